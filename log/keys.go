package log

import "github.com/shalemq/shale/kv"

// Metadata kinds of the catalog, from kv's one registry.
const (
	metaStream    = kv.MetaStream    // stream id → streamRecord
	metaTopic     = kv.MetaTopic     // stream id, topic id → topicRecord
	metaPartition = kv.MetaPartition // stream id, topic id, partition id → partitionRecord
	metaGroup     = kv.MetaGroup     // stream id, topic id, group id → groupRecord
	metaAlloc     = kv.MetaAlloc     // scope → idAlloc (free-id stack for streams, topics, groups)
)

// Allocator scopes: the byte after metaAlloc.
const (
	allocStreams byte = 's' // (no ids)
	allocTopics  byte = 't' // stream id
	allocGroups  byte = 'g' // stream id, topic id
)

// Consumer kinds as stored in offset keys; the values are Iggy's (docs/protocol/binary.md §2.2).
const (
	consumerSingle byte = 1
	consumerGroup  byte = 2
)

// Byte offsets inside keys.
const (
	msgKeyLen       = 1 + 4 + 4 + 4 + 8 // tag, stream, topic, partition, first offset
	msgKeyOffsetAt  = 13
	partPrefixLen   = 1 + 4 + 4 + 4
	offsetKeyKindAt = partPrefixLen
	offsetKeyIDAt   = partPrefixLen + 1
)

func messageKey(dst []byte, s, t, p uint32, offset uint64) []byte {
	return kv.NewKey(dst, kv.TagMessages).U32(s).U32(t).U32(p).U64(offset)
}

// partitionSpan returns [lower, upper) covering every key with tag of one
// partition.
func partitionSpan(tag byte, s, t, p uint32) (lower, upper []byte) {
	lower = kv.NewKey(nil, tag).U32(s).U32(t).U32(p)
	return lower, kv.PrefixEnd(nil, lower)
}

// topicSpan covers every key with tag of one topic.
func topicSpan(tag byte, s, t uint32) (lower, upper []byte) {
	lower = kv.NewKey(nil, tag).U32(s).U32(t)
	return lower, kv.PrefixEnd(nil, lower)
}

// streamSpan covers every key with tag of one stream.
func streamSpan(tag byte, s uint32) (lower, upper []byte) {
	lower = kv.NewKey(nil, tag).U32(s)
	return lower, kv.PrefixEnd(nil, lower)
}

func countersKey(s, t, p uint32) []byte {
	return kv.NewKey(nil, kv.TagCounters).U32(s).U32(t).U32(p)
}

func offsetKey(s, t, p uint32, kind byte, id uint32) []byte {
	return kv.NewKey(nil, kv.TagOffsets).U32(s).U32(t).U32(p).U8(kind).U32(id)
}

func streamMetaKey(s uint32) []byte { return kv.NewKey(nil, kv.TagMeta).U8(metaStream).U32(s) }

func topicMetaKey(s, t uint32) []byte {
	return kv.NewKey(nil, kv.TagMeta).U8(metaTopic).U32(s).U32(t)
}

func partitionMetaKey(s, t, p uint32) []byte {
	return kv.NewKey(nil, kv.TagMeta).U8(metaPartition).U32(s).U32(t).U32(p)
}

func groupMetaKey(s, t, g uint32) []byte {
	return kv.NewKey(nil, kv.TagMeta).U8(metaGroup).U32(s).U32(t).U32(g)
}

func allocKey(scope byte, ids ...uint32) []byte {
	k := kv.NewKey(nil, kv.TagMeta).U8(metaAlloc).U8(scope)
	for _, id := range ids {
		k = k.U32(id)
	}
	return k
}

// metaSpan covers the metadata keys of one kind below a prefix of ids.
func metaSpan(kind byte, ids ...uint32) (lower, upper []byte) {
	k := kv.NewKey(nil, kv.TagMeta).U8(kind)
	for _, id := range ids {
		k = k.U32(id)
	}
	return k, kv.PrefixEnd(nil, k)
}
