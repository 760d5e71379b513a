package log_test

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/shalemq/shale/kv"
)

// BenchmarkPollBlobsCold polls back 64 MB of separated values through a
// block cache of 8 MiB, so every blob block is read from the file (the page
// cache) as in a poll of more data than the cache holds: the case
// docs/performance.md ("TCP poll") profiles. It compares the block sizes of
// the blob files a flush writes (kv.Options.BlobBlockSize) and reports the
// process's CPU time per GB polled (getrusage: Pebble's work included).
func BenchmarkPollBlobsCold(b *testing.B) {
	serverGC(b)
	msgs := benchMessages()
	for _, size := range []int{-1, 64 << 10, 256 << 10, 1 << 20} {
		name := fmt.Sprintf("blob-block=%dKiB", size>>10)
		if size < 0 {
			name = "blob-block=4KiB"
		}
		b.Run(name, func(b *testing.B) {
			db, l := openBench(b, kv.Options{CacheSize: 8 << 20, BlobBlockSize: size}, 16<<10, 1)
			defer db.Close()
			appendAll(b, l, 1, 1, msgs)
			if err := db.Flush(); err != nil {
				b.Fatal(err)
			}
			pollBench(b, l)
		})
	}
}

// cpuTime is the user and system CPU seconds of this process so far.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
