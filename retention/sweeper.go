package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shalemq/shale/log"
)

// Options configure a Sweeper.
type Options struct {
	// Interval is the time between sweeps in Run: Iggy's
	// data_maintenance.messages.interval. Default 1 minute.
	Interval time.Duration
	// Clock gives "now" for expiry. Default time.Now; tests inject theirs.
	Clock func() time.Time
	// RespectConsumerOffsets keeps every message above a partition's lowest
	// stored consumer or group offset, as Iggy does. nil means true.
	RespectConsumerOffsets *bool
	// Logger receives a line per sweep that deleted something or was held
	// back. Default slog.Default().
	Logger *slog.Logger
	// Registerer, when set, receives the sweeper's Prometheus collectors.
	Registerer prometheus.Registerer
	// Ticks, when set, replaces Run's ticker: each value received starts a
	// sweep. Tests drive Run with it instead of waiting for Interval.
	Ticks <-chan time.Time
	// Swept, when set, is called after every sweep Run starts.
	Swept func(Report, error)
}

// EnsureDefaults fills zero fields with their defaults.
func (o *Options) EnsureDefaults() {
	if o.Interval == 0 {
		o.Interval = time.Minute
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.RespectConsumerOffsets == nil {
		respect := true
		o.RespectConsumerOffsets = &respect
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Validate reports every problem at once.
func (o *Options) Validate() error {
	if o.Interval < 0 {
		return errors.New("retention: interval must not be negative")
	}
	return nil
}

// Report says what a sweep deleted, or what the next one would (Preview).
type Report struct {
	// Topics lists the topics with something deleted or held back.
	Topics []TopicReport
	// Messages and Bytes total what was (or would be) deleted.
	Messages, Bytes uint64
	// HeldMessages and HeldBytes total what the consumer-offset barrier
	// kept.
	HeldMessages, HeldBytes uint64
	// DiskBefore and DiskAfter are the database's disk usage around the
	// sweep (SweepOnce only). Concurrent appends count too, so the
	// difference is a lower bound of what the sweep returned.
	DiskBefore, DiskAfter uint64
	// Duration is how long the sweep or preview took.
	Duration time.Duration
	// Errors are per-partition failures; the other partitions were still
	// swept.
	Errors []error
}

// TopicReport is one topic's part of a Report.
type TopicReport struct {
	StreamID, TopicID uint32
	Name              string
	// Retention is the effective policy the sweep applied.
	Retention  log.Retention
	Partitions []PartitionReport
}

// PartitionReport is one partition's part of a Report.
type PartitionReport struct {
	PartitionID uint32
	// From and To bound the deleted offsets: [From, To).
	From, To        uint64
	Messages, Bytes uint64
	// HeldMessages and HeldBytes are what the barrier kept; BarrierOffset
	// is the lowest stored consumer offset that set it (valid when
	// HeldMessages > 0).
	HeldMessages, HeldBytes uint64
	BarrierOffset           uint64
}

// Sweeper enforces every topic's message expiry and max size. It is safe
// for concurrent use; sweeps are serialised.
type Sweeper struct {
	log     *log.Log
	opts    Options
	logger  *slog.Logger
	metrics metrics
	sweepMu sync.Mutex // one sweep at a time
}

type metrics struct {
	messages  prometheus.Counter
	bytes     prometheus.Counter
	reclaimed prometheus.Counter
	duration  prometheus.Histogram
	held      prometheus.Gauge
}

// New returns a sweeper over l. It fails when opts are invalid or the
// collectors cannot be registered.
func New(l *log.Log, opts Options) (*Sweeper, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	s := &Sweeper{log: l, opts: opts, logger: opts.Logger.With("component", "retention")}
	s.metrics = metrics{
		messages: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "shale", Subsystem: "retention",
			Name: "messages_deleted_total", Help: "Messages deleted by retention."}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "shale", Subsystem: "retention",
			Name: "bytes_deleted_total", Help: "Wire-form message bytes deleted by retention."}),
		reclaimed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "shale", Subsystem: "retention",
			Name: "disk_bytes_reclaimed_total", Help: "Drop in database disk usage across sweeps (a lower bound: appends count against it)."}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "shale", Subsystem: "retention",
			Name: "sweep_duration_seconds", Help: "Time one retention sweep took, compaction included.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)}),
		held: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "shale", Subsystem: "retention",
			Name: "barrier_held_messages", Help: "Messages the last sweep kept only because a consumer offset is below them."}),
	}
	if r := opts.Registerer; r != nil {
		for _, c := range []prometheus.Collector{s.metrics.messages, s.metrics.bytes, s.metrics.reclaimed, s.metrics.duration, s.metrics.held} {
			if err := r.Register(c); err != nil {
				return nil, fmt.Errorf("retention: register metrics: %w", err)
			}
		}
	}
	return s, nil
}

// Run sweeps every Interval until ctx is done, then returns nil. A failed
// sweep is logged and the next one tries again.
func (s *Sweeper) Run(ctx context.Context) error {
	ticks := s.opts.Ticks
	if ticks == nil {
		ticker := time.NewTicker(s.opts.Interval)
		defer ticker.Stop()
		ticks = ticker.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticks:
			rep, err := s.SweepOnce(ctx)
			if err != nil && ctx.Err() == nil {
				s.logger.Error("retention sweep failed", "err", err)
			}
			if s.opts.Swept != nil {
				s.opts.Swept(rep, err)
			}
		}
	}
}

// SweepOnce deletes everything the topics' retention allows now, compacting
// each deleted range, and reports it. Per-partition failures are in
// Report.Errors and joined into the error; the other partitions are still
// swept.
func (s *Sweeper) SweepOnce(ctx context.Context) (Report, error) {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	start := time.Now()
	rep := s.plan(ctx)
	rep.DiskBefore = s.log.DiskUsage()
	for ti := range rep.Topics {
		tr := &rep.Topics[ti]
		for pi := range tr.Partitions {
			pr := &tr.Partitions[pi]
			if pr.To <= pr.From {
				continue
			}
			if err := ctx.Err(); err != nil {
				rep.Errors = append(rep.Errors, err)
				break
			}
			p, err := s.log.Partition(tr.StreamID, tr.TopicID, pr.PartitionID)
			if err != nil {
				rep.Errors = append(rep.Errors, err) // deleted since planning
				pr.From, pr.To, pr.Messages, pr.Bytes = 0, 0, 0, 0
				continue
			}
			done, err := p.TruncateBefore(pr.To)
			if err != nil {
				rep.Errors = append(rep.Errors, fmt.Errorf("stream %d topic %d partition %d: %w", tr.StreamID, tr.TopicID, pr.PartitionID, err))
			}
			// What actually went, which a concurrent purge may have made
			// less than planned.
			pr.From, pr.To, pr.Messages, pr.Bytes = done.First-done.Messages, done.First, done.Messages, done.Bytes
			if done.Messages > 0 {
				s.logger.Info("retention deleted messages", "stream", tr.StreamID, "topic", tr.TopicID,
					"partition", pr.PartitionID, "from", pr.From, "to", pr.To, "messages", pr.Messages, "bytes", pr.Bytes)
			}
		}
	}
	rep.Messages, rep.Bytes = 0, 0
	for _, tr := range rep.Topics {
		for _, pr := range tr.Partitions {
			rep.Messages += pr.Messages
			rep.Bytes += pr.Bytes
		}
	}
	rep.DiskAfter = s.log.DiskUsage()
	rep.Duration = time.Since(start)

	s.metrics.messages.Add(float64(rep.Messages))
	s.metrics.bytes.Add(float64(rep.Bytes))
	if rep.DiskBefore > rep.DiskAfter {
		s.metrics.reclaimed.Add(float64(rep.DiskBefore - rep.DiskAfter))
	}
	s.metrics.duration.Observe(rep.Duration.Seconds())
	s.metrics.held.Set(float64(rep.HeldMessages))
	for _, tr := range rep.Topics {
		for _, pr := range tr.Partitions {
			if pr.HeldMessages > 0 {
				s.logger.Warn("retention held back by a stored consumer offset", "stream", tr.StreamID, "topic", tr.TopicID,
					"partition", pr.PartitionID, "lowest_stored_offset", pr.BarrierOffset,
					"held_messages", pr.HeldMessages, "held_bytes", pr.HeldBytes)
			}
		}
	}
	return rep, errors.Join(rep.Errors...)
}

// Preview reports what SweepOnce would delete now, and what the barrier
// would hold back, without deleting anything.
func (s *Sweeper) Preview() Report {
	start := time.Now()
	rep := s.plan(context.Background())
	rep.Duration = time.Since(start)
	return rep
}

// plan computes every topic's plan from the current state.
func (s *Sweeper) plan(ctx context.Context) Report {
	var rep Report
	now := uint64(s.opts.Clock().UnixMicro())
	barrier := *s.opts.RespectConsumerOffsets
	for _, target := range s.log.RetentionTargets() {
		if ctx.Err() != nil {
			rep.Errors = append(rep.Errors, ctx.Err())
			break
		}
		pol := Policy{Now: now, Expiry: target.Retention.Expiry, MaxSize: target.Retention.MaxSize, Barrier: barrier}
		if !capped(pol.MaxSize) && (pol.Expiry == 0 || pol.Expiry == log.Unlimited) {
			continue // nothing can ever go: do not read the partitions
		}
		parts, err := s.facts(target, pol)
		if err != nil {
			rep.Errors = append(rep.Errors, fmt.Errorf("stream %d topic %d: %w", target.StreamID, target.TopicID, err))
			continue
		}
		tr := TopicReport{StreamID: target.StreamID, TopicID: target.TopicID, Name: target.Name, Retention: target.Retention}
		for i, pl := range PlanTopic(parts, pol) {
			if pl.Messages == 0 && pl.HeldMessages == 0 {
				continue
			}
			tr.Partitions = append(tr.Partitions, PartitionReport{
				PartitionID: pl.ID, From: pl.From, To: pl.To, Messages: pl.Messages, Bytes: pl.Bytes,
				HeldMessages: pl.HeldMessages, HeldBytes: pl.HeldBytes, BarrierOffset: parts[i].MinStored,
			})
			rep.Messages += pl.Messages
			rep.Bytes += pl.Bytes
			rep.HeldMessages += pl.HeldMessages
			rep.HeldBytes += pl.HeldBytes
		}
		if len(tr.Partitions) > 0 {
			rep.Topics = append(rep.Topics, tr)
		}
	}
	return rep
}

// facts reads what PlanTopic needs of a topic's partitions: counters, the
// lowest stored consumer offset, and as many chunk summaries as ScanMore
// asks for (split at the barrier, so it is exact to the message).
func (s *Sweeper) facts(target log.RetentionTarget, pol Policy) ([]PartitionFacts, error) {
	parts := make([]PartitionFacts, len(target.Partitions))
	var topicBytes uint64
	for i, p := range target.Partitions {
		info := p.Info()
		parts[i] = PartitionFacts{ID: p.ID(), First: info.FirstOffset, Next: info.NextOffset, Bytes: info.SizeBytes}
		topicBytes += info.SizeBytes
	}
	excess := Excess(topicBytes, pol)
	for i, p := range target.Partitions {
		f := &parts[i]
		if f.First == f.Next {
			continue
		}
		var err error
		if f.MinStored, f.HasStored, err = p.MinStoredOffset(); err != nil {
			return nil, err
		}
		var splitAt uint64
		if pol.Barrier && f.HasStored {
			splitAt = f.MinStored + 1
		}
		var scanned uint64
		err = p.ScanChunks(splitAt, func(c Chunk) bool {
			// The scan may see a newer state than Info did; keep the facts
			// to what Info described.
			if c.End > f.Next {
				return false
			}
			f.Chunks = append(f.Chunks, c)
			scanned += c.Bytes
			return ScanMore(c, scanned, excess, pol)
		})
		if err != nil {
			return nil, fmt.Errorf("partition %d: %w", f.ID, err)
		}
		if len(f.Chunks) > 0 && f.Chunks[0].First != f.First {
			// A truncation ran between Info and the scan; plan from what
			// the scan saw.
			f.First = f.Chunks[0].First
		}
	}
	return parts, nil
}
