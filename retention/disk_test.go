package retention_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/kv/kvtest"
	"github.com/shalemq/shale/log"
	"github.com/shalemq/shale/retention"
)

// dirSize sums the sizes of the regular files under dir.
func dirSize(t testing.TB, dir string) uint64 {
	t.Helper()
	var n uint64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // Pebble deleted it while we walked
		}
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if err != nil {
				return err
			}
			n += uint64(info.Size())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// listing names the files under dir with their sizes, for failure messages.
func listing(dir string) string {
	var out []string
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				out = append(out, fmt.Sprintf("%s=%dKiB", filepath.Base(path), info.Size()>>10))
			}
		}
		return nil
	})
	return strings.Join(out, " ")
}

// TestSweepReclaimsDisk writes over a gigabyte into a topic with a short
// expiry on a real directory, lets it expire, sweeps, and checks that the
// directory shrinks below a fifth of its peak: the range delete plus
// compaction really returns the space.
func TestSweepReclaimsDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 1 GiB")
	}
	if raceEnabled {
		t.Skip("writes 1 GiB; too slow under -race (make test runs it without)")
	}
	dir := t.TempDir()
	// Pebble keeps a few used WAL files for recycling, each as large as a
	// memtable: with kv's default 64 MiB memtable that is about 256 MiB on
	// disk whatever retention does. A 16 MiB memtable keeps that fixed
	// overhead out of the way of what this test measures: the space of the
	// deleted messages coming back.
	db, err := kv.Open(dir, kv.Options{Logger: quiet, Durability: kv.DurabilityInterval, MemTableSize: 16 << 20, MinFreeDisk: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := &fakeClock{now: t0}
	l, err := log.Open(db, log.Options{Clock: clock.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	sw, err := retention.New(l, retention.Options{Clock: clock.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.CreateStream("s"); err != nil {
		t.Fatal(err)
	}
	const partitions = 2
	if _, err := l.CreateTopic(0, log.TopicSpec{Name: "t", PartitionsCount: partitions, MessageExpiry: uint64(time.Minute.Microseconds())}); err != nil {
		t.Fatal(err)
	}
	// 1 MiB appends of 1 KiB messages: one stored chunk each.
	const perAppend, msgSize, appends = 1024, 1024, 1100
	batch := messages(perAppend, msgSize-64)
	for i := range appends {
		p, err := l.Partition(0, 0, uint32(i%partitions))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Append(batch, perAppend); err != nil {
			t.Fatal(err)
		}
	}
	kvtest.WaitFor(t, 30*time.Second, func() error {
		if ti, _ := l.Topic(0, 0); ti.MessagesCount != appends*perAppend {
			return fmt.Errorf("%d of %d messages durable", ti.MessagesCount, appends*perAppend)
		}
		return nil
	})
	peak := dirSize(t, dir)
	t.Logf("peak: %d MiB in the data directory after writing %d MiB", peak>>20, appends*perAppend*msgSize>>20)

	clock.now = clock.now.Add(2 * time.Minute)
	rep, err := sw.SweepOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Messages != appends*perAppend || rep.Bytes != appends*perAppend*msgSize {
		t.Fatalf("swept %d messages, %d bytes; want %d, %d", rep.Messages, rep.Bytes, appends*perAppend, appends*perAppend*msgSize)
	}
	t.Logf("sweep: %d messages, %d MiB in %v; Pebble disk usage %d → %d MiB",
		rep.Messages, rep.Bytes>>20, rep.Duration, rep.DiskBefore>>20, rep.DiskAfter>>20)
	// Pebble deletes obsolete files in the background after the
	// compaction; wait for the directory to reflect it.
	var after uint64
	kvtest.WaitFor(t, 30*time.Second, func() error {
		if after = dirSize(t, dir); after*5 >= peak {
			return fmt.Errorf("data directory is %d MiB after the sweep, peak was %d MiB: %s", after>>20, peak>>20, listing(dir))
		}
		return nil
	})
	t.Logf("after: %d MiB (%.1f%% of peak): %s", after>>20, 100*float64(after)/float64(peak), listing(dir))

	// Appends continue at the next offset.
	p, _ := l.Partition(0, 0, 0)
	a, err := p.Append(batch[:msgSize], 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(appends / partitions * perAppend); a.First != want {
		t.Fatalf("append after expiry got offset %d, want %d", a.First, want)
	}
}

// quiet drops the log lines of the big tests (Pebble's write stalls, one
// line per truncated partition).
var quiet = slog.New(slog.DiscardHandler)
