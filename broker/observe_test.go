package broker_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
)

// TestTopicSeriesCap: past MaxTopicSeries topics, traffic lands in the
// "_other" series and the totals stay exact.
func TestTopicSeriesCap(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := brokertest.NewWithOptions(t, broker.Options{Registerer: reg, MaxTopicSeries: 2})
	b := e.Broker
	if _, err := b.CreateStream(e.Root, "s"); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		name := fmt.Sprintf("t%d", i)
		if _, err := b.CreateTopic(e.Root, broker.ByName("s"), broker.TopicSpec{Name: name, PartitionsCount: 1, Compression: 1}); err != nil {
			t.Fatal(err)
		}
		if err := b.Send(e.Root, broker.ByName("s"), broker.ByName(name), broker.Partitioning{Kind: broker.PartitionBalanced}, message("x"), 1); err != nil {
			t.Fatal(err)
		}
	}
	if n := testutil.CollectAndCount(reg, "shale_topic_messages_in_total"); n != 3 {
		t.Fatalf("series: %d, want 2 topics + _other", n)
	}
	vec := "shale_topic_messages_in_total"
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP shale_topic_messages_in_total Messages appended, per stream and topic (capped, see docs/metrics.md).
# TYPE shale_topic_messages_in_total counter
shale_topic_messages_in_total{stream="_other",topic="_other"} 3
shale_topic_messages_in_total{stream="s",topic="t0"} 1
shale_topic_messages_in_total{stream="s",topic="t1"} 1
`), vec); err != nil {
		t.Fatal(err)
	}
}

// TestGroupLag: lag counts retained messages after the committed offset
// and dates the first of them.
func TestGroupLag(t *testing.T) {
	e := brokertest.New(t)
	b := e.Broker
	if _, err := b.CreateStream(e.Root, "s"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateTopic(e.Root, broker.ByName("s"), broker.TopicSpec{Name: "t", PartitionsCount: 1, Compression: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateGroup(e.Root, broker.ByName("s"), broker.ByName("t"), "g"); err != nil {
		t.Fatal(err)
	}
	lag, err := b.GroupLag(e.Root, broker.ByName("s"), broker.ByName("t"))
	if err != nil || len(lag) != 1 || lag[0].Messages != 0 {
		t.Fatalf("empty topic: %+v %v", lag, err)
	}
	for range 4 {
		if err := b.Send(e.Root, broker.ByName("s"), broker.ByName("t"), broker.Partitioning{Kind: broker.PartitionID}, message("x"), 1); err != nil {
			t.Fatal(err)
		}
	}
	lag, _ = b.GroupLag(e.Root, broker.ByName("s"), broker.ByName("t"))
	if len(lag) != 1 || lag[0].Messages != 4 || lag[0].HasCommitted || lag[0].OldestUnconsumed == 0 || lag[0].Group != "g" {
		t.Fatalf("lag: %+v", lag)
	}
	if got := lag[0].LagSeconds(lag[0].OldestUnconsumed + 2_500_000); got != 2.5 {
		t.Fatalf("lag seconds: %v", got)
	}
	if _, err := b.GroupLag(e.Session(t), broker.ByName("s"), broker.ByName("t")); err == nil {
		t.Fatal("lag without login: want an error")
	}
}

// TestConsumerLag: single consumers' stored offsets show with their lag;
// groups do not.
func TestConsumerLag(t *testing.T) {
	e := brokertest.New(t)
	b := e.Broker
	if _, err := b.CreateStream(e.Root, "s"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateTopic(e.Root, broker.ByName("s"), broker.TopicSpec{Name: "t", PartitionsCount: 1, Compression: 1}); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if err := b.Send(e.Root, broker.ByName("s"), broker.ByName("t"), broker.Partitioning{Kind: broker.PartitionID}, message("x"), 1); err != nil {
			t.Fatal(err)
		}
	}
	p0 := uint32(0)
	if err := b.StoreConsumerOffset(e.Root, broker.Consumer{ID: broker.ByID(7)}, broker.ByName("s"), broker.ByName("t"), &p0, 1); err != nil {
		t.Fatal(err)
	}
	lag, err := b.ConsumerLag(e.Root, broker.ByName("s"), broker.ByName("t"))
	if err != nil || len(lag) != 1 || lag[0].ConsumerID != 7 || lag[0].Messages != 3 || lag[0].Committed != 1 || lag[0].OldestUnconsumed == 0 {
		t.Fatalf("consumer lag: %+v %v", lag, err)
	}
}
