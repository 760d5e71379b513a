package broker

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shalemq/shale/log"
	"github.com/shalemq/shale/wire"
)

// OtherLabel is the label value that stands for every stream, topic, group
// or partition past the series cap (Options.MaxTopicSeries).
const OtherLabel = "_other"

// topicSeries hands out the per-topic message counters. Label cardinality
// is bounded: the first max topics that see traffic get their own series,
// labelled by stream and topic name as they were then; every topic after
// that shares the stream="_other", topic="_other" series. Deleted topics
// keep their slot until restart, so with 10,000 topics and the default cap
// of 1,000 a scrape holds at most 1,001 series per counter and the totals
// stay exact.
type topicSeries struct {
	max                                int
	msgsIn, bytesIn, msgsOut, bytesOut *prometheus.CounterVec
	mu                                 sync.RWMutex
	byTopic                            map[[2]uint32]*topicCounters
	other                              *topicCounters
}

type topicCounters struct {
	msgsIn, bytesIn, msgsOut, bytesOut prometheus.Counter
}

func newTopicSeries(max int) *topicSeries {
	vec := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "shale", Name: name, Help: help},
			[]string{"stream", "topic"})
	}
	t := &topicSeries{
		max:      max,
		msgsIn:   vec("topic_messages_in_total", "Messages appended, per stream and topic (capped, see docs/metrics.md)."),
		bytesIn:  vec("topic_bytes_in_total", "Message bytes appended, per stream and topic."),
		msgsOut:  vec("topic_messages_out_total", "Messages returned by polls, per stream and topic."),
		bytesOut: vec("topic_bytes_out_total", "Message bytes returned by polls, per stream and topic."),
		byTopic:  make(map[[2]uint32]*topicCounters),
	}
	t.other = t.counters(OtherLabel, OtherLabel)
	return t
}

func (t *topicSeries) collectors() []prometheus.Collector {
	return []prometheus.Collector{t.msgsIn, t.bytesIn, t.msgsOut, t.bytesOut}
}

func (t *topicSeries) counters(stream, topic string) *topicCounters {
	return &topicCounters{
		msgsIn: t.msgsIn.WithLabelValues(stream, topic), bytesIn: t.bytesIn.WithLabelValues(stream, topic),
		msgsOut: t.msgsOut.WithLabelValues(stream, topic), bytesOut: t.bytesOut.WithLabelValues(stream, topic),
	}
}

// of returns the counters of a topic, giving it a series while the cap
// allows.
func (t *topicSeries) of(l *log.Log, sid, tid uint32) *topicCounters {
	key := [2]uint32{sid, tid}
	t.mu.RLock()
	c := t.byTopic[key]
	t.mu.RUnlock()
	if c != nil {
		return c
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if c = t.byTopic[key]; c != nil {
		return c
	}
	c = t.other
	if len(t.byTopic) < t.max {
		stream, topic := strconv.FormatUint(uint64(sid), 10), strconv.FormatUint(uint64(tid), 10)
		if info, ok := l.Topic(sid, tid); ok {
			topic = info.Name
		}
		if info, ok := l.Stream(sid); ok {
			stream = info.Name
		}
		c = t.counters(stream, topic)
	}
	t.byTopic[key] = c
	return c
}

// connCollector reports shale_connections per transport: the binary
// sessions in the client table, and for HTTP the open connections the
// listener reports through TrackConnections.
type connCollector struct {
	b    *Broker
	desc *prometheus.Desc
	mu   sync.Mutex
	fns  map[Transport]func() int
}

func (c *connCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *connCollector) Collect(ch chan<- prometheus.Metric) {
	for t, n := range c.b.Connections() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), t.String())
	}
}

// TrackConnections lets a listener whose connections are not sessions
// (HTTP) report how many are open, for Connections and /metrics.
func (b *Broker) TrackConnections(t Transport, open func() int) {
	c := b.metrics.conns
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fns == nil {
		c.fns = make(map[Transport]func() int)
	}
	c.fns[t] = open
}

// Connections counts open connections per transport (tcp, quic and http
// always present).
func (b *Broker) Connections() map[Transport]int {
	out := map[Transport]int{TransportTCP: 0, TransportQUIC: 0, TransportHTTP: 0}
	for _, s := range b.sessions.list() {
		out[s.transport]++
	}
	c := b.metrics.conns
	c.mu.Lock()
	defer c.mu.Unlock()
	for t, f := range c.fns {
		out[t] += f()
	}
	return out
}

// PartitionLag is how far one consumer group (or, from ConsumerLag, one
// single consumer) is behind on one partition.
type PartitionLag struct {
	StreamID, TopicID, GroupID, PartitionID uint32
	Stream, Topic, Group                    string
	// ConsumerID is the single consumer's id (ConsumerLag only): a numeric
	// id as given, a name as XXH32 of its bytes.
	ConsumerID uint32
	// Committed is the group's stored offset; HasCommitted is false when
	// it has stored none (the lag then counts from the first message).
	Committed    uint64
	HasCommitted bool
	// Current is the newest durable offset; Messages the count of messages
	// after Committed that are still retained.
	Current, Messages uint64
	// OldestUnconsumed is the timestamp (Unix µs) of the first message the
	// group has not consumed; 0 when it is caught up.
	OldestUnconsumed uint64
}

// LagSeconds is the age of the oldest unconsumed message at now (Unix µs).
func (l PartitionLag) LagSeconds(nowMicros uint64) float64 {
	if l.Messages == 0 || l.OldestUnconsumed == 0 || nowMicros < l.OldestUnconsumed {
		return 0
	}
	return float64(nowMicros-l.OldestUnconsumed) / 1e6
}

// GroupLag lists the lag of every consumer group of a topic, per partition
// (topic read permission).
func (b *Broker) GroupLag(s *Session, stream, topic Ident) ([]PartitionLag, error) {
	sid, tid, err := b.readTopic(s, stream, topic)
	if err != nil {
		return nil, err
	}
	return b.topicLag(sid, tid, nil), nil
}

// AllLag is GroupLag over every topic, without a session (for /metrics).
func (b *Broker) AllLag() []PartitionLag {
	var out []PartitionLag
	for _, st := range b.log.Streams() {
		ts, _ := b.log.Topics(st.ID)
		for _, t := range ts {
			out = b.topicLag(st.ID, t.ID, out)
		}
	}
	return out
}

func (b *Broker) topicLag(sid, tid uint32, out []PartitionLag) []PartitionLag {
	groups, ok := b.log.Groups(sid, tid)
	if !ok || len(groups) == 0 {
		return out
	}
	var stream, topic string
	if si, ok := b.log.Stream(sid); ok {
		stream = si.Name
	}
	ti, ok := b.log.Topic(sid, tid)
	if !ok {
		return out
	}
	topic = ti.Name
	var buf []byte
	for _, g := range groups {
		for _, pi := range ti.Partitions {
			part, err := b.log.Partition(sid, tid, pi.ID)
			if err != nil {
				continue
			}
			info := part.Info()
			l := PartitionLag{StreamID: sid, TopicID: tid, GroupID: g.ID, PartitionID: pi.ID,
				Stream: stream, Topic: topic, Group: g.Name, Current: info.CurrentOffset}
			off, ok, err := part.Offset(log.Consumer{Group: true, ID: g.ID})
			buf = fillLag(&l, part, info, off, ok && err == nil, buf)
			out = append(out, l)
		}
	}
	return out
}

// fillLag sets l's committed offset, message lag and the timestamp of the
// oldest unconsumed message; buf is scratch space, returned for reuse.
func fillLag(l *PartitionLag, part *log.Partition, info log.PartitionInfo, committed uint64, has bool, buf []byte) []byte {
	next := info.FirstOffset
	if has {
		l.Committed, l.HasCommitted = committed, true
		next = max(next, committed+1)
	}
	if next >= info.NextOffset {
		return buf
	}
	l.Messages = info.NextOffset - next
	res, buf, err := part.Poll(buf[:0], log.PollRequest{Strategy: log.StrategyOffset, Value: next, Count: 1})
	if err == nil && res.Count > 0 {
		it := wire.NewMessageIter(buf)
		if m, ok := it.Next(); ok {
			l.OldestUnconsumed = m.Timestamp()
		}
	}
	return buf
}

// ConsumerLag lists how far each single consumer (not a group) that has
// stored an offset on the topic is behind, per partition (topic read
// permission).
func (b *Broker) ConsumerLag(s *Session, stream, topic Ident) ([]PartitionLag, error) {
	sid, tid, err := b.readTopic(s, stream, topic)
	if err != nil {
		return nil, err
	}
	ti, ok := b.log.Topic(sid, tid)
	if !ok {
		return nil, nil
	}
	var streamName string
	if si, ok := b.log.Stream(sid); ok {
		streamName = si.Name
	}
	var out []PartitionLag
	var buf []byte
	for _, pi := range ti.Partitions {
		part, err := b.log.Partition(sid, tid, pi.ID)
		if err != nil {
			continue
		}
		offs, err := part.SingleConsumerOffsets()
		if err != nil {
			return nil, err
		}
		info := part.Info()
		for _, o := range offs {
			l := PartitionLag{StreamID: sid, TopicID: tid, PartitionID: pi.ID, Stream: streamName, Topic: ti.Name,
				ConsumerID: o.Consumer, Current: info.CurrentOffset}
			buf = fillLag(&l, part, info, o.Offset, true, buf)
			out = append(out, l)
		}
	}
	return out, nil
}

// lagCollector reports consumer lag per group and partition on scrape,
// capped at max series per metric: past the cap, one series labelled
// "_other" carries the largest remaining lag, so an alert on the maximum
// still fires.
type lagCollector struct {
	b             *Broker
	max           int
	msgs, seconds *prometheus.Desc
}

func (c *lagCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.msgs; ch <- c.seconds }

func (c *lagCollector) Collect(ch chan<- prometheus.Metric) {
	now := uint64(c.b.now().UnixMicro())
	var otherMsgs uint64
	var otherSecs float64
	lags := c.b.AllLag()
	for i, l := range lags {
		secs := l.LagSeconds(now)
		if i >= c.max {
			otherMsgs, otherSecs = max(otherMsgs, l.Messages), max(otherSecs, secs)
			continue
		}
		labels := []string{l.Stream, l.Topic, l.Group, strconv.FormatUint(uint64(l.PartitionID), 10)}
		ch <- prometheus.MustNewConstMetric(c.msgs, prometheus.GaugeValue, float64(l.Messages), labels...)
		ch <- prometheus.MustNewConstMetric(c.seconds, prometheus.GaugeValue, secs, labels...)
	}
	if len(lags) > c.max {
		o := []string{OtherLabel, OtherLabel, OtherLabel, OtherLabel}
		ch <- prometheus.MustNewConstMetric(c.msgs, prometheus.GaugeValue, float64(otherMsgs), o...)
		ch <- prometheus.MustNewConstMetric(c.seconds, prometheus.GaugeValue, otherSecs, o...)
	}
}
