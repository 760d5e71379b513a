package main

import (
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
	return o
}
