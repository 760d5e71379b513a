package admin_test

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shalemq/shale/admin"
	"github.com/shalemq/shale/broker/brokertest"
)

func TestSchedulerKeepsLastN(t *testing.T) {
	dataDir := t.TempDir()
	e := brokertest.NewOnDisk(t, dataDir)
	fill(t, e)
	dir := filepath.Join(t.TempDir(), "backups")
	reg := prometheus.NewRegistry()
	s, err := admin.NewScheduler(e.Broker, admin.ScheduleOptions{Interval: time.Hour, Dir: dir, KeepLast: 2, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	// Not an archive: never pruned.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	var kept []string
	for range 4 {
		path, err := s.RunOnce()
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, filepath.Base(path))
		time.Sleep(2 * time.Millisecond) // names carry milliseconds
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	want := append([]string{"notes.txt"}, kept[2:]...)
	if len(names) != 3 || names[0] != want[0] || names[1] != want[1] || names[2] != want[2] {
		t.Fatalf("directory holds %v, want %v", names, want)
	}
	for _, n := range names[1:] {
		if _, err := admin.VerifyFile(filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	if left := checkpointsLeft(t, dataDir); len(left) != 0 {
		t.Fatalf("checkpoints left: %v", left)
	}
	if n := counter(t, reg, "shale_backup_runs_total", "ok"); n != 4 {
		t.Fatalf("ok runs = %v", n)
	}
}

func TestSchedulerFailureIsCounted(t *testing.T) {
	dataDir := t.TempDir()
	e := brokertest.NewOnDisk(t, dataDir)
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	s, err := admin.NewScheduler(e.Broker, admin.ScheduleOptions{Interval: time.Hour, Dir: file, KeepLast: 1, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunOnce(); err == nil {
		t.Fatal("a backup into a file succeeded")
	}
	if n := counter(t, reg, "shale_backup_runs_total", "error"); n != 1 {
		t.Fatalf("error runs = %v", n)
	}
	if left := checkpointsLeft(t, dataDir); len(left) != 0 {
		t.Fatalf("checkpoints left: %v", left)
	}
}

// counter reads one labelled series of a registered counter vector.
func counter(t *testing.T, reg *prometheus.Registry, name, result string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{result=%q}", name, result)
	return 0
}
