package log_test

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/log"
	"github.com/shalemq/shale/wire"
)

// The crash test runs a child process (this test binary, in child mode)
// that appends synced batches to 4 partitions and prints a line for every
// batch only after Append returned, then kills it with SIGKILL at random
// moments, reopens the data directory and checks that every acknowledged
// batch is there, byte for byte.

const (
	crashChildEnv   = "SHALE_CRASH_CHILD_DIR"
	crashPartitions = 4
)

// crashPayload derives message i of a batch from the batch seed, so the
// parent can check stored bytes without being sent them.
func crashPayload(seed uint64, i int) []byte {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	b := make([]byte, 1+r.IntN(1500))
	for j := range b {
		b[j] = byte(r.Uint32())
	}
	return b
}

func crashBatch(seed uint64) ([]byte, int) {
	r := rand.New(rand.NewPCG(seed, 1<<40))
	n := 1 + r.IntN(40)
	var msgs []byte
	for i := range n {
		var id []byte
		if r.IntN(3) == 0 {
			id = make([]byte, 16)
			for j := range id {
				id[j] = byte(r.Uint32())
			}
		}
		msgs = wire.AppendSendMessage(msgs, id, uint64(i), crashPayload(seed, i), nil)
	}
	return msgs, n
}

func openCrashLog(t testing.TB, dir string) (*kv.DB, *log.Log) {
	db, err := kv.Open(dir, kv.Options{MinFreeDisk: 0, CacheSize: 8 << 20, MemTableSize: 4 << 20})
	if err != nil {
		t.Fatalf("open db: %v", err)
	}
	l, err := log.Open(db, log.Options{})
	if err != nil {
		t.Fatalf("open log: %v", err)
	}
	return db, l
}

// TestCrashChild is the child process; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("child of TestCrashRecovery only")
	}
	_, l := openCrashLog(t, dir)
	if _, ok := l.Stream(0); !ok {
		if _, err := l.CreateStream("crash"); err != nil {
			t.Fatal(err)
		}
		if _, err := l.CreateTopic(0, log.TopicSpec{Name: "t", PartitionsCount: crashPartitions, Compression: 1}); err != nil {
			t.Fatal(err)
		}
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	emit := func(format string, args ...any) {
		mu.Lock()
		fmt.Fprintf(out, format+"\n", args...)
		out.Flush()
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for pid := range uint32(crashPartitions) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := l.Partition(0, 0, pid)
			if err != nil {
				emit("error %v", err)
				return
			}
			r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(pid)))
			for i := 0; ; i++ {
				seed := r.Uint64()
				msgs, n := crashBatch(seed)
				a, err := p.Append(msgs, n)
				if err != nil {
					emit("error %v", err)
					return
				}
				emit("ack %d %d %d %d", pid, a.First, a.Count, seed)
				if i%5 == 4 {
					// A consumer offset, acknowledged only once stored.
					if err := p.StoreOffset(log.Consumer{ID: 7}, a.Last); err != nil {
						emit("error %v", err)
						return
					}
					emit("offset %d %d", pid, a.Last)
				}
			}
		}()
	}
	wg.Wait()
}

type ackedBatch struct {
	first uint64
	count int
	seed  uint64
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a child process 20 times")
	}
	dir := t.TempDir()
	kills := 20
	acked := make([][]ackedBatch, crashPartitions)
	offsets := make([]uint64, crashPartitions) // last acknowledged stored offset
	hasOffset := make([]bool, crashPartitions)
	recoveredNext := make([]uint64, crashPartitions)
	r := rand.New(rand.NewPCG(1, 2))

	for round := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill after a random number of acknowledgements, so the kill lands
		// at a different point of the append path each time.
		target := 5 + r.IntN(60)
		seen := 0
		firstThisRound := make([]bool, crashPartitions)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch {
			case len(f) == 5 && f[0] == "ack":
				pid, _ := strconv.Atoi(f[1])
				first, _ := strconv.ParseUint(f[2], 10, 64)
				count, _ := strconv.Atoi(f[3])
				seed, _ := strconv.ParseUint(f[4], 10, 64)
				b := ackedBatch{first: first, count: count, seed: seed}
				if list := acked[pid]; !firstThisRound[pid] {
					// After a restart the partition continues at (or after
					// unacknowledged but durable batches beyond) the
					// recovered next offset: never below it.
					if first < recoveredNext[pid] {
						t.Fatalf("round %d partition %d: first offset %d reuses offsets below the recovered next %d", round, pid, first, recoveredNext[pid])
					}
					firstThisRound[pid] = true
				} else if prev := list[len(list)-1]; first != prev.first+uint64(prev.count) {
					t.Fatalf("round %d partition %d: batch at %d after batch %d+%d: a gap or a reuse", round, pid, first, prev.first, prev.count)
				}
				acked[pid] = append(acked[pid], b)
				seen++
			case len(f) == 3 && f[0] == "offset":
				pid, _ := strconv.Atoi(f[1])
				off, _ := strconv.ParseUint(f[2], 10, 64)
				offsets[pid], hasOffset[pid] = off, true
			case strings.HasPrefix(sc.Text(), "error"):
				t.Fatalf("child: %s", sc.Text())
			}
			if seen >= target {
				break
			}
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if seen < target {
			t.Fatalf("round %d: child ended after %d acks: %s", round, seen, stderr.String())
		}
		recoveredNext = verifyCrashState(t, dir, acked, offsets, hasOffset)
	}
	total := 0
	for _, l := range acked {
		total += len(l)
	}
	t.Logf("%d kills, %d acknowledged batches verified", kills, total)
}

// verifyCrashState reopens dir and checks every acknowledged batch, offset
// contiguity, counters and consumer offsets. It returns each partition's
// next offset.
func verifyCrashState(t *testing.T, dir string, acked [][]ackedBatch, offsets []uint64, hasOffset []bool) []uint64 {
	t.Helper()
	db, l := openCrashLog(t, dir)
	defer db.Close()
	next := make([]uint64, crashPartitions)
	for pid := range uint32(crashPartitions) {
		p, err := l.Partition(0, 0, pid)
		if err != nil {
			t.Fatal(err)
		}
		// Scan everything: offsets 0..next-1 without a gap, counters equal
		// to what is there.
		var all []byte
		var from uint64
		for {
			res, out, err := p.Poll(nil, log.PollRequest{Strategy: log.StrategyOffset, Value: from, Count: 1000})
			if err != nil {
				t.Fatal(err)
			}
			if res.Count == 0 {
				break
			}
			all = append(all, out...)
			from = res.LastOffset + 1
		}
		info := p.Info()
		var count, size uint64
		it := wire.NewMessageIter(all)
		for m, ok := it.Next(); ok; m, ok = it.Next() {
			if m.Offset() != count {
				t.Fatalf("partition %d: offset %d at position %d", pid, m.Offset(), count)
			}
			if m.Checksum() != m.ComputeChecksum() {
				t.Fatalf("partition %d offset %d: checksum mismatch", pid, m.Offset())
			}
			count++
			size += uint64(len(m))
		}
		if info.NextOffset != count || info.MessagesCount != count || info.SizeBytes != size {
			t.Fatalf("partition %d: info %+v, scanned %d messages of %d bytes", pid, info, count, size)
		}
		next[pid] = info.NextOffset

		// Every acknowledged batch is there with its payloads.
		for _, b := range acked[pid] {
			if b.first+uint64(b.count) > count {
				t.Fatalf("partition %d: acknowledged batch %d+%d lost (next %d)", pid, b.first, b.count, count)
			}
			_, out, err := p.Poll(nil, log.PollRequest{Strategy: log.StrategyOffset, Value: b.first, Count: uint32(b.count)})
			if err != nil {
				t.Fatal(err)
			}
			it := wire.NewMessageIter(out)
			i := 0
			for m, ok := it.Next(); ok; m, ok = it.Next() {
				if !bytes.Equal(m.Payload(), crashPayload(b.seed, i)) {
					t.Fatalf("partition %d offset %d: payload differs from what was acknowledged", pid, m.Offset())
				}
				i++
			}
			if i != b.count {
				t.Fatalf("partition %d: batch at %d has %d of %d messages", pid, b.first, i, b.count)
			}
		}
		if hasOffset[pid] {
			got, ok, err := p.Offset(log.Consumer{ID: 7})
			if err != nil || !ok || got < offsets[pid] {
				t.Fatalf("partition %d: consumer offset %d (ok %v, %v), acknowledged %d", pid, got, ok, err, offsets[pid])
			}
		}
	}
	return next
}
