package main

import (
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shalemq/shale/admin"
	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/config"
)

// dashboardOptions maps [admin.dashboard] and what the dashboard shows
// onto admin.Options; nil when the dashboard is off.
func dashboardOptions(cfg *config.Config, reg *prometheus.Registry, redacted []byte) *admin.Options {
	if !cfg.Admin.Dashboard.Enabled {
		return nil
	}
	mode := cfg.System.Durability.Mode
	if mode == config.DurabilityInterval {
		mode += " " + cfg.System.Durability.Interval.String()
	}
	o := &admin.Options{
		Gatherer:   reg,
		Config:     func() []byte { return redacted },
		Durability: mode,
		Version:    "shale " + broker.ShaleVersion() + " · Iggy " + broker.Version,
	}
	if bc := cfg.Backup; bc.Enabled {
		dir := bc.Directory
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(cfg.System.Path, dir)
		}
		o.Backups = &admin.BackupSchedule{Dir: dir, Interval: bc.Interval.Std(), KeepLast: max(bc.KeepLast, 1)}
	}
	return o
}
