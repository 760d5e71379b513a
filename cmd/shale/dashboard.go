package main

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shalemq/shale/admin"
	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/config"
	"github.com/shalemq/shale/retention"
)

// dashboardOptions maps [admin.dashboard] and what the dashboard shows
// onto admin.Options; nil when the dashboard is off. The sweeper starts
// after the HTTP listener, so the preview reads it through sweeper.
func dashboardOptions(cfg *config.Config, reg *prometheus.Registry, redacted []byte, sweeper *atomic.Pointer[retention.Sweeper]) *admin.Options {
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
	if cfg.DataMaintenance.Messages.CleanerEnabled {
		o.Retention = func() []admin.RetentionPreview {
			sw := sweeper.Load()
			if sw == nil {
				return nil
			}
			var out []admin.RetentionPreview
			for _, t := range sw.Preview().Topics {
				for _, p := range t.Partitions {
					out = append(out, admin.RetentionPreview{StreamID: t.StreamID, TopicID: t.TopicID, PartitionID: p.PartitionID,
						From: p.From, To: p.To, Messages: p.Messages, Bytes: p.Bytes, HeldMessages: p.HeldMessages})
				}
			}
			return out
		}
	}
	return o
}
