package kv_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/shalemq/shale/kv/kvtest"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/shalemq/shale/kv"
)

// walFault injects err into every operation of kind on the WAL (*.log)
// while on is set.
func walFault(on *atomic.Bool, err error, kinds ...errorfs.OpKind) errorfs.Injector {
	return errorfs.InjectorFunc(func(op errorfs.Op) error {
		if !on.Load() || !strings.HasSuffix(op.Path, ".log") {
			return nil
		}
		for _, k := range kinds {
			if op.Kind == k {
				return &fs.PathError{Op: "inject", Path: op.Path, Err: err}
			}
		}
		return nil
	})
}

// TestWALFaults fails the WAL under concurrent committers (one in the
// PipelineApply fallback), in every durability mode, three ways: fsync returns EIO, write returns EIO, write
// returns ENOSPC. Every commit from then on gets an error (ErrFailed) and none
// is acknowledged; the database stays readable, reports the failed state
// (Health, one log line, the gauge and the counter) and keeps refusing
// writes after the fault clears, until it is reopened. A crash at that
// point keeps every acknowledged commit.
func TestWALFaults(t *testing.T) {
	modes := []struct {
		name string
		opts kv.Options
	}{
		{"sync-nosyncwait", kv.Options{Durability: kv.DurabilitySync, Pipeline: kv.PipelineNoSyncWait}},
		{"sync-apply", kv.Options{Durability: kv.DurabilitySync, Pipeline: kv.PipelineApply}},
		{"interval", kv.Options{Durability: kv.DurabilityInterval, SyncInterval: time.Millisecond}},
	}
	faults := []struct {
		name  string
		err   error
		kinds []errorfs.OpKind
	}{
		{"fsync-eio", syscall.EIO, []errorfs.OpKind{errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo}},
		{"write-eio", syscall.EIO, []errorfs.OpKind{errorfs.OpFileWrite, errorfs.OpFileWriteAt}},
		{"write-enospc", syscall.ENOSPC, []errorfs.OpKind{errorfs.OpFileWrite, errorfs.OpFileWriteAt}},
	}
	for _, m := range modes {
		for _, f := range faults {
			t.Run(m.name+"/"+f.name, func(t *testing.T) {
				testWALFault(t, m.opts, f.err, f.kinds)
			})
		}
	}
}

func testWALFault(t *testing.T, opts kv.Options, fault error, kinds []errorfs.OpKind) {
	mem := vfs.NewCrashableMem()
	var on atomic.Bool
	var logs kvtest.LogBuffer
	reg := prometheus.NewRegistry()
	opts.FS = errorfs.Wrap(mem, walFault(&on, fault, kinds...))
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	opts.Registerer = reg
	opts.OnFatal = func(msg string) { t.Errorf("fatal: %s", msg) }
	db, err := kv.Open("db", opts)
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	acked := map[int]bool{}
	for i := range 20 {
		commitOne(t, db, key(i), []byte("before"))
		acked[i] = true
	}

	on.Store(true)
	// Values of 8 KiB fill Pebble's 32 KiB WAL blocks, so commits race
	// the flusher's failure from several block boundaries.
	value := bytes.Repeat([]byte{'v'}, 8<<10)
	var failures atomic.Int64
	var wg sync.WaitGroup
	writers := 8
	if opts.Pipeline == kv.PipelineApply && opts.Durability == kv.DurabilitySync {
		// Apply(Sync) takes no gate (kv.DB.enterPebble): concurrent
		// committers can wedge Pebble's pipeline after a WAL failure.
		writers = 1
	}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				k := 1000 + w*100 + i
				b := db.NewBatch()
				_ = b.Set(key(k), value)
				d, err := db.Commit(b)
				if err == nil {
					err = d.Wait()
				}
				if err == nil {
					mu.Lock()
					acked[k] = true
					mu.Unlock()
					continue
				}
				if !errors.Is(err, kv.ErrFailed) {
					t.Errorf("commit %d: %v, want ErrFailed", k, err)
				}
				failures.Add(1)
			}
		}()
	}
	wg.Wait()
	if failures.Load() == 0 {
		t.Fatal("no commit failed while the WAL was failing")
	}
	if n := len(acked); n != 20 {
		t.Errorf("%d commits acknowledged while every WAL write or sync failed", n-20)
	}

	// The fault is gone, but Pebble's WAL writer has latched it: still refused.
	on.Store(false)
	b := db.NewBatch()
	_ = b.Set(key(5000), []byte("after"))
	if _, err := db.Commit(b); !errors.Is(err, kv.ErrFailed) {
		t.Fatalf("commit after the fault cleared: %v, want ErrFailed", err)
	}
	// A freeing batch is refused too: only a restart recovers.
	b = db.NewBatch()
	_ = b.Delete(key(1))
	b.MarkFreeing()
	if _, err := db.Commit(b); !errors.Is(err, kv.ErrFailed) {
		t.Fatalf("freeing commit after the failure: %v, want ErrFailed", err)
	}

	// Reads go on.
	for i := range 20 {
		if v, ok, err := db.Get(nil, key(i)); err != nil || !ok || string(v) != "before" {
			t.Fatalf("read %d in the failed state: %q %v %v", i, v, ok, err)
		}
	}
	h := db.Health()
	if h.Failed == nil || h.Degraded() != "failed" || !errors.Is(h.Failed, kv.ErrFailed) {
		t.Fatalf("health in the failed state: %+v", h)
	}
	if n := strings.Count(logs.String(), "storage failed"); n != 1 {
		t.Errorf("%d 'storage failed' log lines, want 1:\n%s", n, logs.String())
	}
	if want := "the disk filled up under the WAL"; errors.Is(fault, syscall.ENOSPC) && !strings.Contains(logs.String(), want) {
		t.Errorf("log does not say %q:\n%s", want, logs.String())
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP shale_storage_degraded 1 while writes are refused for the reason: disk_full (until space returns) or failed (until restart).
# TYPE shale_storage_degraded gauge
shale_storage_degraded{reason="disk_full"} 0
shale_storage_degraded{reason="failed"} 1
`), "shale_storage_degraded"); err != nil {
		t.Error(err)
	}
	if n := testutil.ToFloat64(counterFor(t, reg, "failed")); n < float64(failures.Load())+2 {
		t.Errorf("shale_storage_write_errors_total{reason=failed} = %v, want at least %d", n, failures.Load()+2)
	}

	crashed := mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
	_ = db.Close() // reports the failure; must not hang or panic

	opts.FS, opts.Registerer, opts.Logger = crashed, nil, nil
	db2, err := kv.Open("db", opts)
	if err != nil {
		t.Fatalf("reopen after the failure: %v", err)
	}
	defer db2.Close()
	for k := range acked {
		if _, ok, err := db2.Get(nil, key(k)); !ok || err != nil {
			t.Fatalf("acknowledged key %d lost after the failure and a crash (err %v)", k, err)
		}
	}
	commitOne(t, db2, key(6000), []byte("after restart"))
	if h := db2.Health(); h.Degraded() != "" {
		t.Fatalf("health after restart: %+v", h)
	}
}

// counterFor finds shale_storage_write_errors_total{reason} in reg.
func counterFor(t *testing.T, reg *prometheus.Registry, reason string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "shale_storage_write_errors_total" {
			continue
		}
		for _, m := range mf.Metric {
			if m.Label[0].GetValue() == reason {
				c := prometheus.NewCounter(prometheus.CounterOpts{Name: "x"})
				c.Add(m.Counter.GetValue())
				return c
			}
		}
	}
	t.Fatal(fmt.Sprintf("no shale_storage_write_errors_total{reason=%q}", reason))
	return nil
}
