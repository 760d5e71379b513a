package main

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shalemq/shale/admin"
	"github.com/shalemq/shale/config"
)

// startBackups runs the [backup] schedule in the background while enabled.
func startBackups(ctx context.Context, s *server, cfg *config.Config, reg prometheus.Registerer, logger *slog.Logger) error {
	bc := cfg.Backup
	if !bc.Enabled {
		return nil
	}
	dir := bc.Directory
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(cfg.System.Path, dir)
	}
	sched, err := admin.NewScheduler(s.broker, admin.ScheduleOptions{Interval: bc.Interval.Std(), Dir: dir,
		KeepLast: bc.KeepLast, MaxRate: int64(min(uint64(bc.MaxRate), 1<<62)), Logger: logger, Registerer: reg})
	if err != nil {
		return err
	}
	logger.Info("scheduled backups on", "dir", dir, "interval", bc.Interval.Std(), "keep_last", bc.KeepLast)
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		if err := sched.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("backup schedule stopped", "err", err)
		}
	}()
	return nil
}
