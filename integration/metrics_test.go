package integration

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// scrape fetches /metrics and parses it with Prometheus's own text parser.
func scrape(t *testing.T, s *Server) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + s.Ports.HTTP + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// value is the value of the series of family name whose labels include
// want; found is false when there is none.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (v float64, found bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, w := range want {
			if have[k] != w {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// TestMetricsAfterLoad sends and polls over TCP, QUIC and HTTP, lets a
// consumer group fall behind and retention delete, then checks that
// /metrics parses and every series operators rely on has a real value.
func TestMetricsAfterLoad(t *testing.T) {
	s := Start(t, "", "SHALE_DATA_MAINTENANCE_MESSAGES_INTERVAL=1s", "SHALE_BACKUP_ENABLED=true", "SHALE_BACKUP_INTERVAL=1s")
	ctx := context.Background()
	clients := map[string]*client.Client{"tcp": dialTCP(t, s), "quic": dialQUIC(t, s), "http": dialHTTP(t, s)}
	for _, c := range clients {
		login(t, c)
	}
	root := clients["tcp"]
	if _, err := root.CreateStream(ctx, "load"); err != nil {
		t.Fatal(err)
	}
	if _, err := root.CreateTopic(ctx, wire.CreateTopic{Stream: wire.NamedID("load"), PartitionsCount: 2, Name: "events"}); err != nil {
		t.Fatal(err)
	}
	// A topic whose messages expire at once, so the sweeper deletes.
	if _, err := root.CreateTopic(ctx, wire.CreateTopic{Stream: wire.NamedID("load"), PartitionsCount: 1, Name: "brief", MessageExpiry: 1}); err != nil {
		t.Fatal(err)
	}
	st, tp := wire.NamedID("load"), wire.NamedID("events")
	if _, err := root.Do(ctx, &wire.CreateConsumerGroup{Stream: st, Topic: tp, Name: "slow"}); err != nil {
		t.Fatal(err)
	}
	for name, c := range clients {
		if err := c.Send(ctx, st, tp, wire.PartitionID(0), 10, batch(name, 10)); err != nil {
			t.Fatalf("send over %s: %v", name, err)
		}
		if err := c.Send(ctx, st, wire.NamedID("brief"), wire.PartitionID(0), 3, batch(name, 3)); err != nil {
			t.Fatalf("send over %s: %v", name, err)
		}
		if _, err := c.Poll(ctx, wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)},
			Stream: st, Topic: tp, Partition: wire.SomePartition(0), Strategy: wire.PollingStrategy{Kind: wire.PollFirst}, Count: 5}); err != nil {
			t.Fatalf("poll over %s: %v", name, err)
		}
		if err := c.Send(ctx, st, tp, wire.PartitionID(9), 1, batch(name, 1)); err == nil {
			t.Fatalf("send to a missing partition over %s: no error", name)
		}
	}
	// The group consumed 5 of partition 0's 30 messages.
	group := wire.Consumer{Kind: wire.ConsumerGroup, ID: wire.NamedID("slow")}
	if _, err := root.Do(ctx, &wire.JoinConsumerGroup{GroupRef: wire.GroupRef{Stream: st, Topic: tp, Group: wire.NamedID("slow")}}); err != nil {
		t.Fatalf("join: %v", err)
	}
	if err := root.StoreOffset(ctx, wire.OffsetRef{Consumer: group, Stream: st, Topic: tp, Partition: wire.SomePartition(0)}, 4); err != nil {
		t.Fatalf("store group offset: %v", err)
	}

	var fams map[string]*dto.MetricFamily
	waitFor(t, 30*time.Second, func() error {
		fams = scrape(t, s)
		if v, _ := value(fams, "shale_retention_messages_deleted_total", nil); v < 9 {
			return fmt.Errorf("retention deleted %v messages, want 9", v)
		}
		if v, _ := value(fams, "shale_backup_runs_total", map[string]string{"result": "ok"}); v < 1 {
			return fmt.Errorf("%v scheduled backups, want one", v)
		}
		return nil
	})

	checks := []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"shale_request_duration_seconds", map[string]string{"transport": "tcp", "command": "message.send"}, 2},
		{"shale_request_duration_seconds", map[string]string{"transport": "quic", "command": "message.send"}, 2},
		{"shale_request_duration_seconds", map[string]string{"transport": "http", "command": "message.send"}, 2},
		{"shale_request_duration_seconds", map[string]string{"transport": "http", "command": "message.poll"}, 1},
		{"shale_request_duration_seconds", map[string]string{"transport": "quic", "command": "message.poll"}, 1},
		{"shale_request_errors_total", map[string]string{"transport": "tcp", "command": "message.send"}, 1},
		{"shale_request_errors_total", map[string]string{"transport": "quic", "command": "message.send"}, 1},
		{"shale_request_errors_total", map[string]string{"transport": "http", "command": "message.send"}, 1},
		{"shale_topic_messages_in_total", map[string]string{"stream": "load", "topic": "events"}, 30},
		{"shale_topic_bytes_in_total", map[string]string{"stream": "load", "topic": "events"}, 30 * 64},
		{"shale_topic_messages_out_total", map[string]string{"stream": "load", "topic": "events"}, 15},
		{"shale_topic_bytes_out_total", map[string]string{"stream": "load", "topic": "events"}, 15 * 64},
		{"shale_consumer_group_lag_messages", map[string]string{"stream": "load", "topic": "events", "group": "slow", "partition": "0"}, 25},
		{"shale_consumer_group_lag_seconds", map[string]string{"stream": "load", "topic": "events", "group": "slow", "partition": "0"}, 1e-6},
		{"shale_kv_wal_fsync_seconds", nil, 1},
		{"shale_kv_commit_seconds", nil, 1},
		{"shale_connections", map[string]string{"transport": "tcp"}, 1},
		{"shale_connections", map[string]string{"transport": "quic"}, 1},
		{"shale_connections", map[string]string{"transport": "http"}, 1},
		{"shale_retention_messages_deleted_total", nil, 9},
		{"shale_kv_disk_usage_bytes", nil, 1},
		{"shale_kv_wal_bytes_written_total", nil, 1},
		{"shale_kv_wal_bytes", nil, 0}, // Pebble counts the live file only once it rotates
		{"shale_kv_wal_files", nil, 1},
		{"shale_kv_memtables", nil, 1},
		{"shale_kv_memtable_bytes", nil, 1},
		{"shale_kv_read_amplification", nil, 0},
		{"shale_kv_l0_files", nil, 0},
		{"shale_kv_compactions_total", nil, 0},
		{"shale_kv_write_amplification", nil, 0},
		{"shale_kv_block_cache_hits_total", nil, 0},
		{"shale_backup_runs_total", map[string]string{"result": "ok"}, 1},
		{"shale_backup_last_size_bytes", nil, 1},
		{"shale_backup_last_success_timestamp_seconds", nil, 1},
		{"shale_messages_in_total", nil, 39},
		{"shale_messages_out_total", nil, 15},
	}
	for _, c := range checks {
		v, ok := value(fams, c.name, c.labels)
		if !ok {
			t.Errorf("%s%v: no series", c.name, c.labels)
			continue
		}
		if v < c.min {
			t.Errorf("%s%v = %v, want at least %v", c.name, c.labels, v, c.min)
		}
	}
	// Every series the Grafana dashboard queries exists.
	dash, err := os.ReadFile("../docs/grafana/shale.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range regexp.MustCompile(`shale_[a-z0-9_]+`).FindAllString(string(dash), -1) {
		if name == "shale_overview" {
			continue
		}
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_count"), "_sum")
		if fams[base] == nil {
			t.Errorf("docs/grafana/shale.json queries %s, which /metrics does not serve", name)
		}
	}
	// The lag group's other partition holds nothing: lag 0, not absent.
	if v, ok := value(fams, "shale_consumer_group_lag_messages", map[string]string{"group": "slow", "partition": "1"}); !ok || v != 0 {
		t.Errorf("lag on the empty partition: %v %v, want 0", v, ok)
	}
}

// waitFor polls cond until it returns nil or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after %v: %v", timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
