package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shalemq/shale/client"
)

// Kind is a benchmark layout; the names are iggy-bench's.
type Kind string

const (
	// PinnedProducer: producer i sends to stream i%Streams, partition
	// (i/Streams)%Partitions.
	PinnedProducer Kind = "pinned-producer"
	// PinnedConsumer: consumer i reads the partition a pinned producer i
	// wrote, by offset from 0. The data must already be there.
	PinnedConsumer Kind = "pinned-consumer"
	// PinnedProducerAndConsumer: both at once, consumer i following
	// producer i's partition.
	PinnedProducerAndConsumer Kind = "pinned-producer-and-consumer"
	// BalancedProducer: producers send with balanced (round-robin)
	// partitioning to stream i%Streams.
	BalancedProducer Kind = "balanced-producer"
	// BalancedConsumerGroup: consumers join one group per stream and poll
	// Next with auto-commit until the group has read the messages asked for.
	BalancedConsumerGroup Kind = "balanced-consumer-group"
	// EndToEnd: each actor sends a batch and polls until it has it back;
	// latency is from the send to the receipt of the whole batch.
	EndToEnd Kind = "end-to-end"
)

// Kinds lists every kind, in the order iggy-bench documents them.
var Kinds = []Kind{PinnedProducer, PinnedConsumer, PinnedProducerAndConsumer, BalancedProducer, BalancedConsumerGroup, EndToEnd}

// Short names iggy-bench accepts too.
var aliases = map[string]Kind{"pp": PinnedProducer, "pc": PinnedConsumer, "ppc": PinnedProducerAndConsumer,
	"bp": BalancedProducer, "bcg": BalancedConsumerGroup, "e2e": EndToEnd}

// ParseKind accepts a kind's name or its short form (pp, pc, ppc, bp, bcg, e2e).
func ParseKind(s string) (Kind, error) {
	if k, ok := aliases[s]; ok {
		return k, nil
	}
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown benchmark kind %q (want one of %v)", s, Kinds)
}

func (k Kind) produces() bool {
	return k == PinnedProducer || k == PinnedProducerAndConsumer || k == BalancedProducer
}

func (k Kind) consumes() bool {
	return k == PinnedConsumer || k == PinnedProducerAndConsumer || k == BalancedConsumerGroup
}

// Config is one benchmark run.
type Config struct {
	Kind      Kind
	Transport string // tcp, quic or http; recorded in the report
	// Dial opens one logged-in connection; every actor gets its own.
	Dial func(ctx context.Context) (*client.Client, error) `json:"-"`

	Producers  int
	Consumers  int
	Streams    int
	Partitions int // per topic; each stream has one topic

	MessageSize int // payload bytes per message
	BatchSize   int // messages per send and per poll
	// Batches per actor; ignored when Duration is set.
	Batches  int
	Duration time.Duration
	// Warmup runs the actors before measuring (producers and pinned
	// consumers; not consumer groups, whose reads cannot be repeated).
	Warmup time.Duration
	// RateLimit paces the producers (and end-to-end actors) to this many
	// payload bytes a second in total; 0 = as fast as the server answers.
	RateLimit uint64
	// CatchUp keeps a paced producer on its fixed schedule: one that fell
	// behind (a slow answer) sends at once until it is back on time, so
	// the offered load stays RateLimit, as pebblelimit's -rate does. By
	// default a producer more than one interval late starts the schedule
	// afresh from now and the missed sends are dropped. Either way a
	// request's latency runs from the moment it actually starts.
	CatchUp bool
	// Sample is the width of one point of the time series.
	Sample time.Duration
	// StreamPrefix names the streams: <prefix>1 … <prefix>N.
	StreamPrefix string
	// IdleConnections are opened with Dial (so logged in) before the clock
	// starts and held, unused, until the run ends: what a server pays for
	// connected clients that do nothing.
	IdleConnections int
}

// ErrConfig wraps every problem Validate finds.
var ErrConfig = errors.New("bench: invalid configuration")

// EnsureDefaults fills the zero fields with iggy-bench-like defaults.
func (c *Config) EnsureDefaults() {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	if c.Kind == "" {
		c.Kind = PinnedProducer
	}
	if c.Transport == "" {
		c.Transport = "tcp"
	}
	def(&c.Streams, 1)
	def(&c.Partitions, 1)
	def(&c.MessageSize, 1000)
	def(&c.BatchSize, 1000)
	if c.Kind.produces() || c.Kind == EndToEnd {
		def(&c.Producers, 1)
	}
	if c.Kind.consumes() {
		def(&c.Consumers, 1)
	}
	if c.Batches == 0 && c.Duration == 0 {
		c.Batches = 1000
	}
	if c.Sample == 0 {
		c.Sample = 100 * time.Millisecond
	}
	if c.StreamPrefix == "" {
		c.StreamPrefix = "bench-stream-"
	}
}

// Validate reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if _, err := ParseKind(string(c.Kind)); err != nil {
		bad("%v", err)
	}
	switch c.Transport {
	case "tcp", "quic", "http":
	default:
		bad("transport %q: want tcp, quic or http", c.Transport)
	}
	if c.Dial == nil {
		bad("no Dial function")
	}
	for _, f := range []struct {
		name string
		v    int
		max  int
	}{{"streams", c.Streams, 10_000}, {"partitions", c.Partitions, 10_000},
		{"message size", c.MessageSize, 64_000_000}, {"batch size", c.BatchSize, 1_000_000}} {
		if f.v < 1 || f.v > f.max {
			bad("%s %d: want 1..%d", f.name, f.v, f.max)
		}
	}
	if c.Producers < 0 || c.Consumers < 0 || c.Producers > 10_000 || c.Consumers > 10_000 {
		bad("producers %d, consumers %d: want 0..10000", c.Producers, c.Consumers)
	}
	if (c.Kind.produces() || c.Kind == EndToEnd) && c.Producers == 0 {
		bad("%s needs at least one producer", c.Kind)
	}
	if c.Kind.consumes() && c.Consumers == 0 {
		bad("%s needs at least one consumer", c.Kind)
	}
	if c.Kind == PinnedProducerAndConsumer && c.Producers != c.Consumers {
		bad("%s pairs consumer i with producer i: producers (%d) and consumers (%d) must be equal", c.Kind, c.Producers, c.Consumers)
	}
	if c.IdleConnections < 0 || c.IdleConnections > 100_000 {
		bad("idle connections %d: want 0..100000", c.IdleConnections)
	}
	if c.Batches < 0 || c.Duration < 0 || c.Warmup < 0 || c.Sample <= 0 {
		bad("batches, duration, warm-up and sample must not be negative")
	}
	if c.Kind == EndToEnd && c.MessageSize < 16 {
		bad("end-to-end needs messages of at least 16 bytes (a sequence number is carried in the payload)")
	}
	if c.Kind == BalancedConsumerGroup && c.Warmup > 0 {
		bad("balanced-consumer-group takes no warm-up: a group's reads cannot be repeated")
	}
	if c.Kind == BalancedConsumerGroup && c.Transport == "http" {
		bad("balanced-consumer-group needs tcp or quic: Iggy's HTTP API cannot join consumer groups")
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
	}
	return nil
}

// target is where actor i sends or reads in a pinned layout.
func (c *Config) target(i int) (stream, partition int) {
	return i % c.Streams, (i / c.Streams) % c.Partitions
}

func (c *Config) streamName(s int) string { return fmt.Sprintf("%s%d", c.StreamPrefix, s+1) }
