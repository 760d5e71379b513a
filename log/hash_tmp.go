package log

import "github.com/OneOfOne/xxhash"

// partitionForKey is Iggy's messages-key placement: XXH32(key, seed 0) mod n.
// TODO(wire): use wire.PartitionForKey once the codec lands.
func partitionForKey(key []byte, n uint32) uint32 { return xxhash.Checksum32(key) % n }
