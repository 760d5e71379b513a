package retention_test

import (
	"context"
	"testing"
	"time"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/log"
	"github.com/shalemq/shale/retention"
)

// BenchmarkProduceDuringSweep measures produce throughput into one topic,
// alone and while a sweep deletes and compacts a 256 MiB expired range of
// another topic.
func BenchmarkProduceDuringSweep(b *testing.B) {
	for _, sweeping := range []bool{false, true} {
		name := "alone"
		if sweeping {
			name = "with-sweep"
		}
		b.Run(name, func(b *testing.B) {
			db, err := kv.Open(b.TempDir(), kv.Options{Logger: quiet, Durability: kv.DurabilityInterval, MinFreeDisk: 0})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			clock := &fakeClock{now: t0}
			l, err := log.Open(db, log.Options{Clock: clock.Now, Logger: quiet})
			if err != nil {
				b.Fatal(err)
			}
			sw, err := retention.New(l, retention.Options{Clock: clock.Now, Logger: quiet})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := l.CreateStream("s"); err != nil {
				b.Fatal(err)
			}
			for _, name := range []string{"old", "live"} {
				if _, err := l.CreateTopic(0, log.TopicSpec{Name: name, PartitionsCount: 1, MessageExpiry: uint64(time.Minute.Microseconds())}); err != nil {
					b.Fatal(err)
				}
			}
			const perAppend, msgSize = 1024, 1024
			batch := messages(perAppend, msgSize-64)
			old, _ := l.Partition(0, 0, 0)
			live, _ := l.Partition(0, 1, 0)
			if sweeping {
				for range 256 {
					if _, err := old.Append(batch, perAppend); err != nil {
						b.Fatal(err)
					}
				}
			}
			// Only the old topic has expired: the live one's messages are
			// stamped after the clock moves.
			clock.now = clock.now.Add(2 * time.Minute)
			const appendsPerOp = 64
			b.SetBytes(appendsPerOp * perAppend * msgSize)
			b.ResetTimer()
			start := time.Now()
			swept := make(chan error, 1)
			if sweeping {
				go func() { _, err := sw.SweepOnce(context.Background()); swept <- err }()
			}
			for range b.N {
				for range appendsPerOp {
					if _, err := live.Append(batch, perAppend); err != nil {
						b.Fatal(err)
					}
				}
			}
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N*appendsPerOp*perAppend*msgSize)/(1<<20)/elapsed.Seconds(), "MB/s")
			if sweeping {
				if err := <-swept; err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
