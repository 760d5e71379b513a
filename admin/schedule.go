package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shalemq/shale/broker"
)

// ScheduleOptions configure a Scheduler; config's [backup] maps onto it.
type ScheduleOptions struct {
	// Interval between backups. Required.
	Interval time.Duration
	// Dir receives the archives; it is created when missing. Required.
	Dir string
	// KeepLast is how many archives to keep. Default 1.
	KeepLast int
	// Logger receives each run's outcome. Default slog.Default().
	Logger *slog.Logger
	// Registerer, when set, receives the shale_backup_* metrics.
	Registerer prometheus.Registerer
	// MaxRate caps the backup's read rate (BackupOptions.MaxRate).
	MaxRate int64
}

// Scheduler takes a backup into a directory every interval and prunes old
// ones, but only after the new archive has been read back and verified. A
// failed run is logged and counted; it never stops the server.
type Scheduler struct {
	b    *broker.Broker
	opts ScheduleOptions
	log  *slog.Logger

	runs        *prometheus.CounterVec
	lastSuccess prometheus.Gauge
	lastSize    prometheus.Gauge
	lastSeconds prometheus.Gauge
}

// NewScheduler checks the options and registers the metrics.
func NewScheduler(b *broker.Broker, opts ScheduleOptions) (*Scheduler, error) {
	if opts.Interval <= 0 {
		return nil, errors.New("backup: the interval must be positive")
	}
	if opts.Dir == "" {
		return nil, errors.New("backup: a directory is required")
	}
	if opts.KeepLast < 1 {
		opts.KeepLast = 1
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Scheduler{b: b, opts: opts, log: opts.Logger.With("component", "backup"),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shale_backup_runs_total",
			Help: "Scheduled backups by result (ok, error)."}, []string{"result"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Name: "shale_backup_last_success_timestamp_seconds",
			Help: "When the last scheduled backup was verified and kept (Unix time)."}),
		lastSize: prometheus.NewGauge(prometheus.GaugeOpts{Name: "shale_backup_last_size_bytes",
			Help: "Size of the last kept backup archive."}),
		lastSeconds: prometheus.NewGauge(prometheus.GaugeOpts{Name: "shale_backup_last_duration_seconds",
			Help: "How long the last successful backup took, verification included."}),
	}
	s.runs.WithLabelValues("ok")
	s.runs.WithLabelValues("error")
	if r := opts.Registerer; r != nil {
		for _, c := range []prometheus.Collector{s.runs, s.lastSuccess, s.lastSize, s.lastSeconds} {
			if err := r.Register(c); err != nil {
				return nil, fmt.Errorf("backup metrics: %w", err)
			}
		}
	}
	return s, nil
}

// Run takes a backup every interval until ctx ends; the first one interval
// after the start.
func (s *Scheduler) Run(ctx context.Context) error {
	t := time.NewTicker(s.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			_, _ = s.RunOnce()
		}
	}
}

// RunOnce takes one backup, verifies it and prunes; it returns the kept
// archive's path. Errors are logged and counted here too.
func (s *Scheduler) RunOnce() (path string, err error) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("backup panicked: %v", r)
		}
		if err != nil {
			s.runs.WithLabelValues("error").Inc()
			s.log.Error("scheduled backup failed", "err", err)
			return
		}
		s.runs.WithLabelValues("ok").Inc()
	}()
	path, size, err := s.write()
	if err != nil {
		return "", err
	}
	elapsed := time.Since(start)
	s.lastSuccess.Set(float64(time.Now().UnixNano()) / 1e9)
	s.lastSize.Set(float64(size))
	s.lastSeconds.Set(elapsed.Seconds())
	removed, err := s.prune()
	s.log.Info("scheduled backup written", "path", path, "bytes", size, "took", elapsed.Round(time.Millisecond), "pruned", removed)
	return path, err
}

// write streams a backup into a .partial file, syncs it, reads it back in
// full and only then gives it its final name.
func (s *Scheduler) write() (string, int64, error) {
	if err := os.MkdirAll(s.opts.Dir, 0o755); err != nil {
		return "", 0, err
	}
	bk, err := Prepare(s.b, BackupOptions{Logger: s.log, MaxRate: s.opts.MaxRate})
	if err != nil {
		return "", 0, err
	}
	defer bk.Close()
	final := filepath.Join(s.opts.Dir, bk.Filename())
	tmp := final + ".partial"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", 0, err
	}
	n, err := bk.WriteTo(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = bk.Close()
	}
	if err == nil {
		_, err = VerifyFile(tmp)
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return "", 0, err
	}
	return final, n, syncDir(s.opts.Dir)
}

// prune removes the oldest archives beyond KeepLast (names sort by time).
// Files that are not archives are left alone.
func (s *Scheduler) prune() (int, error) {
	entries, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return 0, err
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); e.Type().IsRegular() && strings.HasPrefix(n, FilePrefix) && strings.HasSuffix(n, Extension) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var errs []error
	removed := 0
	for len(names) > s.opts.KeepLast {
		if err := os.Remove(filepath.Join(s.opts.Dir, names[0])); err != nil {
			errs = append(errs, err)
		} else {
			removed++
		}
		names = names[1:]
	}
	return removed, errors.Join(errs...)
}
