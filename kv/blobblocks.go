package kv

import "github.com/cockroachdb/pebble/v2"

// pebbleBlockSize is Pebble's default target size of a table block.
const pebbleBlockSize = 4 << 10

// setBlobBlockSize makes the blocks of the blob files written by memtable
// flushes size bytes, keeping 4 KiB blocks everywhere else.
//
// Pebble (v2.1) has no block size of its own for blob files: a compaction
// that writes blob files takes the options of its output level
// (Options.MakeBlobWriterOptions(level)), and a flush's output level is L0.
// So L0's block size is the blob block size of every flush, which is where
// message bytes are separated; the few compactions that rewrite values into
// new blob files (an sstable referencing too many blob files, or a rewrite of
// a blob file that is mostly garbage, which uses L6's options) keep 4 KiB
// blocks, as do the data blocks of every table below L0. L0's index blocks
// stay at 4 KiB.
func setBlobBlockSize(po *pebble.Options, size int) {
	po.Levels[0].BlockSize = size
	po.Levels[0].IndexBlockSize = pebbleBlockSize
	for i := 1; i < len(po.Levels); i++ {
		po.Levels[i].BlockSize = pebbleBlockSize
		po.Levels[i].IndexBlockSize = pebbleBlockSize
	}
}
