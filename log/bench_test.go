package log_test

import (
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"sync"
	"testing"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/log"
	"github.com/shalemq/shale/wire"
)

// The storage benchmarks of docs/storage.md: 1 KB messages in batches of
// 1,000, as the peer benchmark (shared/bench) writes them. Every operation
// moves benchBatches batches (64 MB), so -benchtime 1x already measures a
// steady state rather than one fsync.
const (
	benchMsgSize  = 1000
	benchBatch    = 1000
	benchBatches  = 64
	benchMsgBytes = wire.MessageHeaderSize + benchMsgSize
)

var benchQuiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func benchMessages() []byte {
	payload := make([]byte, benchMsgSize)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	var msgs []byte
	for i := range benchBatch {
		msgs = wire.AppendSendMessage(msgs, nil, uint64(i), payload, nil)
	}
	return msgs
}

type benchStore struct {
	name     string
	opts     kv.Options
	chunk    int
	producer int
}

func openBench(b *testing.B, opts kv.Options, chunk, partitions int) (*kv.DB, *log.Log) {
	b.Helper()
	opts.Logger = benchQuiet
	opts.MinFreeDisk = 0
	db, err := kv.Open(b.TempDir(), opts)
	if err != nil {
		b.Fatal(err)
	}
	l, err := log.Open(db, log.Options{ChunkSize: chunk, Logger: benchQuiet})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := l.CreateStream("bench"); err != nil {
		b.Fatal(err)
	}
	if _, err := l.CreateTopic(0, log.TopicSpec{Name: "t", PartitionsCount: uint32(partitions), Compression: 1}); err != nil {
		b.Fatal(err)
	}
	return db, l
}

// appendAll writes benchBatches batches spread over the producers, each
// producer goroutine writing to partition (its number mod partitions).
func appendAll(b *testing.B, l *log.Log, partitions, producers int, msgs []byte) {
	var wg sync.WaitGroup
	errs := make(chan error, producers)
	for n := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := l.Partition(0, 0, uint32(n%partitions))
			if err != nil {
				errs <- err
				return
			}
			for i := n; i < benchBatches; i += producers {
				if _, err := p.Append(msgs, benchBatch); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

func reportThroughput(b *testing.B, messages int) {
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(messages)*benchMsgSize/sec/1e6, "MB/s")
	b.ReportMetric(float64(messages)/sec, "msgs/s")
	b.ReportMetric(0, "ns/op")
}

var benchModes = []struct {
	name string
	opts kv.Options
}{
	{"sync", kv.Options{Durability: kv.DurabilitySync, Pipeline: kv.PipelineNoSyncWait}},
	{"sync-apply", kv.Options{Durability: kv.DurabilitySync, Pipeline: kv.PipelineApply}},
	{"interval", kv.Options{Durability: kv.DurabilityInterval}},
	// sync with every value inside the tables (value separation off), the
	// layout before blob files: compactions rewrite message bytes.
	{"sync-inline", kv.Options{Durability: kv.DurabilitySync, SeparateValues: -1}},
}

// layouts compare chunk sizes through the same code: one key per batch
// (1 MiB chunks hold a whole 1,000-message batch) down to the smallest
// chunks log accepts (4 KiB: about four 1 KB messages a key). 16 KiB is the
// default. shared/bench/pebblelimit measures a true key per message on raw
// Pebble.
var benchLayouts = []struct {
	name  string
	chunk int
}{
	{"key-per-batch", 1 << 20},
	{"key-per-256KiB", 256 << 10},
	{"key-per-64KiB", 64 << 10},
	{"key-per-16KiB", 16 << 10},
	{"key-per-4KiB", 4 << 10},
}

// serverGC runs a benchmark with the GOGC cmd/shale sets (400).
func serverGC(b *testing.B) {
	old := debug.SetGCPercent(400)
	b.Cleanup(func() { debug.SetGCPercent(old) })
}

func BenchmarkAppend(b *testing.B) {
	serverGC(b)
	msgs := benchMessages()
	for _, layout := range benchLayouts {
		for _, mode := range benchModes {
			// One producer per partition, and four producers sharing one
			// partition (where group commit lets them share fsyncs).
			for _, shape := range []struct{ partitions, producers int }{{1, 1}, {4, 4}, {1, 4}} {
				name := fmt.Sprintf("%s/%s/partitions=%d", layout.name, mode.name, shape.partitions)
				if shape.producers != shape.partitions {
					name += fmt.Sprintf("/producers=%d", shape.producers)
				}
				b.Run(name, func(b *testing.B) {
					db, l := openBench(b, mode.opts, layout.chunk, shape.partitions)
					defer db.Close()
					b.SetBytes(benchBatches * benchBatch * benchMsgSize)
					b.ResetTimer()
					for range b.N {
						appendAll(b, l, shape.partitions, shape.producers, msgs)
					}
					b.StopTimer()
					reportThroughput(b, b.N*benchBatches*benchBatch)
				})
			}
		}
	}
}

// BenchmarkPollFromCache reads back 64 MB just written (block cache warm),
// 1,000 messages per poll, as a consumer catching up does: straight from
// the memtable, and after a flush from sstables, with message bytes inside
// them or separated into blob files.
func BenchmarkPollFromCache(b *testing.B) {
	serverGC(b)
	msgs := benchMessages()
	sources := []struct {
		name     string
		flush    bool
		separate int
	}{
		{"memtable", false, -1},
		{"sstables", true, -1},
		{"blobs", true, 1 << 10},
	}
	for _, layout := range benchLayouts {
		for _, src := range sources {
			b.Run(layout.name+"/"+src.name, func(b *testing.B) {
				// Sync mode: every append is durable, hence pollable, when
				// appendAll returns (interval mode acknowledges before that).
				db, l := openBench(b, kv.Options{CacheSize: 512 << 20, SeparateValues: src.separate}, layout.chunk, 1)
				defer db.Close()
				appendAll(b, l, 1, 1, msgs)
				if src.flush {
					if err := db.Flush(); err != nil {
						b.Fatal(err)
					}
				}
				pollBench(b, l)
			})
		}
	}
}

func pollBench(b *testing.B, l *log.Log) {
	p, err := l.Partition(0, 0, 0)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, benchBatch*benchMsgBytes+4096)
	pollAll := func() int {
		n := 0
		for from := uint64(0); from < benchBatches*benchBatch; {
			res, out, err := p.Poll(buf[:0], log.PollRequest{Strategy: log.StrategyOffset, Value: from, Count: benchBatch})
			if err != nil {
				b.Fatal(err)
			}
			if res.Count == 0 {
				b.Fatalf("nothing at offset %d", from)
			}
			buf = out
			n += int(res.Count)
			from = res.LastOffset + 1
		}
		return n
	}
	pollAll() // warm the block cache
	b.SetBytes(benchBatches * benchBatch * benchMsgSize)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	total := 0
	for range b.N {
		total += pollAll()
	}
	b.StopTimer()
	// CPU time (Pebble's included) tells variants apart on a busy machine,
	// where wall time mostly measures the other processes.
	b.ReportMetric((cpuTime()-cpu)/(float64(total)*benchMsgSize/1e9), "cpu-s/GB")
	reportThroughput(b, total)
}
