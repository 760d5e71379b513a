package cluster

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/shalemq/shale/kv"
)

// BenchmarkSnapshotTransfer measures one snapshot's way on disk: a
// checkpoint of a database holding SHALE_SNAP_BENCH_MB (default 64) MiB of
// incompressible values, streamed over loopback TCP, received and verified,
// rewritten into sstables and ingested into a second database. It reports
// MB/s of database data and the peak Go heap in use meanwhile, which is what
// the chunked stream bounds (the value grows with the data if anything
// buffers it), and the time the checkpoint took.
func BenchmarkSnapshotTransfer(b *testing.B) {
	mb := 64
	if v, err := strconv.Atoi(os.Getenv("SHALE_SNAP_BENCH_MB")); err == nil && v > 0 {
		mb = v
	}
	root := b.TempDir()
	src, err := kv.Open(filepath.Join(root, "src", "db"), kv.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	val := make([]byte, 4000)
	for i := 0; i < mb<<20/len(val); {
		batch := src.NewBatch()
		for j := 0; j < 256; j, i = j+1, i+1 {
			_, _ = rand.Read(val)
			if err := batch.Set(kv.NewKey(nil, kv.TagMessages).U64(uint64(i)), val); err != nil {
				b.Fatal(err)
			}
		}
		d, err := src.CommitLocal(batch)
		if err == nil {
			err = d.Wait()
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	batch := src.NewBatch()
	if err := batch.Set(raftKey(keyApplied), encodeApplied(7, 2)); err != nil {
		b.Fatal(err)
	}
	if d, err := src.CommitLocal(batch); err != nil || d.Wait() != nil {
		b.Fatal("commit", err)
	}
	b.SetBytes(int64(mb) << 20)
	b.ResetTimer()
	var peak atomic.Uint64
	for i := range b.N {
		dst, err := kv.Open(filepath.Join(root, fmt.Sprintf("dst%d", i), "db"), kv.Options{})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}()
		transferOnce(b, src, dst, filepath.Join(root, fmt.Sprintf("ckpt%d", i)), filepath.Join(root, fmt.Sprintf("dst%d", i), "recv"))
		close(stop)
		wg.Wait()
		_ = dst.Close()
	}
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
}

func transferOnce(b *testing.B, src, dst *kv.DB, ckpt, recv string) {
	start := time.Now()
	if err := src.Checkpoint(ckpt); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "checkpoint-ms")
	defer os.RemoveAll(ckpt)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	errc := make(chan error, 1)
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			errc <- err
			return
		}
		defer c.Close()
		w := bufio.NewWriterSize(c, 64<<10)
		if _, err := writeSnapFiles(w, src.Files(), ckpt); err != nil {
			errc <- err
			return
		}
		errc <- w.Flush()
	}()
	c, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	files := dst.Files()
	if err := files.MkdirAll(filepath.Join(recv, "checkpoint")); err != nil {
		b.Fatal(err)
	}
	if _, err := readSnapFiles(bufio.NewReaderSize(c, 64<<10), files, filepath.Join(recv, "checkpoint")); err != nil {
		b.Fatal(err)
	}
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	n := &Node{db: dst}
	meta := &pb.SnapshotMetadata{Index: new(uint64(7)), Term: new(uint64(2))}
	repl, err := n.prepareInstall(filepath.Join(recv, "checkpoint"), filepath.Join(recv, "sst"), meta)
	if err != nil {
		b.Fatal(err)
	}
	defer repl.Close()
	if err := repl.Ingest(); err != nil {
		b.Fatal(err)
	}
}
