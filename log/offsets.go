package log

import (
	"encoding/binary"
	"fmt"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/wire"
)

// Offset returns the stored offset of consumer c on this partition.
func (p *Partition) Offset(c Consumer) (uint64, bool, error) {
	var buf [8]byte
	v, ok, err := p.log.db.Get(buf[:0], offsetKey(p.streamID, p.topicID, p.id, c.kind(), c.ID))
	if err != nil || !ok {
		return 0, false, err
	}
	if len(v) != 8 {
		return 0, false, fmt.Errorf("partition %d: corrupt stored offset", p.id)
	}
	return binary.LittleEndian.Uint64(v), true, nil
}

// StoreOffset stores offset as consumer c's position on this partition: "the
// last offset processed" (docs/protocol/binary.md §7.2). It may move backwards. The offset
// must not be past the newest durable message, and the partition must have
// had messages (error 4100 otherwise).
func (p *Partition) StoreOffset(c Consumer, offset uint64) error {
	durable := p.durable.Load()
	if durable == 0 || offset >= durable {
		return fmt.Errorf("offset %d on partition %d whose next offset is %d: %w", offset, p.id, durable, wire.ErrInvalidOffset)
	}
	return p.storeOffset(c, offset)
}

// storeOffset writes the offset without validation. It holds p.mu while
// committing so a concurrent purge (which deletes offsets under p.mu) cannot
// be overtaken by an older store; the fsync is waited for outside the lock.
func (p *Partition) storeOffset(c Consumer, offset uint64) error {
	var v [8]byte
	binary.LittleEndian.PutUint64(v[:], offset)
	b := p.log.db.NewBatch()
	if err := b.Set(offsetKey(p.streamID, p.topicID, p.id, c.kind(), c.ID), v[:]); err != nil {
		b.Close()
		return err
	}
	p.mu.Lock()
	if p.mu.gone != nil {
		p.mu.Unlock()
		b.Close()
		return p.mu.gone
	}
	d, err := p.log.db.Commit(b)
	p.mu.Unlock()
	if err != nil {
		return storageErr(err)
	}
	return storageErr(d.Wait())
}

// DeleteOffset removes consumer c's stored offset (error 3021 when there is
// none).
func (p *Partition) DeleteOffset(c Consumer) error {
	key := offsetKey(p.streamID, p.topicID, p.id, c.kind(), c.ID)
	p.mu.Lock()
	if p.mu.gone != nil {
		p.mu.Unlock()
		return p.mu.gone
	}
	_, ok, err := p.log.db.Get(nil, key)
	if err != nil || !ok {
		p.mu.Unlock()
		if err == nil {
			err = fmt.Errorf("consumer %d on partition %d: %w", c.ID, p.id, wire.ErrConsumerOffsetNotFound)
		}
		return err
	}
	b := p.log.db.NewBatch()
	if err := b.Delete(key); err != nil {
		p.mu.Unlock()
		b.Close()
		return err
	}
	d, err := p.log.db.Commit(b)
	p.mu.Unlock()
	if err != nil {
		return storageErr(err)
	}
	return storageErr(d.Wait())
}

// MinStoredOffset returns the lowest offset stored by any consumer or group
// on this partition: Iggy never deletes messages past it (docs/protocol/binary.md §7.4).
func (p *Partition) MinStoredOffset() (uint64, bool, error) {
	it, err := p.log.db.NewIter(partitionSpan(kv.TagOffsets, p.streamID, p.topicID, p.id))
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	var lowest uint64
	found := false
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.Value()
		if err != nil {
			return 0, false, err
		}
		if len(v) != 8 {
			continue
		}
		if o := binary.LittleEndian.Uint64(v); !found || o < lowest {
			lowest, found = o, true
		}
	}
	return lowest, found, it.Error()
}
