package log

import (
	"encoding/binary"

	"github.com/shalemq/shale/kv"
)

// SingleConsumerOffsets lists the offsets single consumers (not groups)
// have stored on this partition, ascending consumer id. Each is read from
// one iterator snapshot; a concurrent store may or may not be seen.
func (p *Partition) SingleConsumerOffsets() ([]StoredOffset, error) {
	it, err := p.log.db.NewIter(partitionSpan(kv.TagOffsets, p.streamID, p.topicID, p.id))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []StoredOffset
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if len(k) != offsetKeyIDAt+4 || k[offsetKeyKindAt] == consumerGroup {
			continue
		}
		v, err := it.Value()
		if err != nil {
			return nil, err
		}
		if len(v) != 8 {
			continue
		}
		out = append(out, StoredOffset{Kind: "consumer", Consumer: kv.U32At(k, offsetKeyIDAt), Offset: binary.LittleEndian.Uint64(v)})
	}
	return out, it.Error()
}
