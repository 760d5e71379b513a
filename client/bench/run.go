package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// TopicName and GroupName are what the benchmark creates in each stream.
const (
	TopicName = "bench-topic"
	GroupName = "bench-group"
)

// run is the state actors share.
type run struct {
	cfg          *Config
	measureStart time.Time // the end of the warm-up
	deadline     time.Time // zero in count mode
	// progress counters of the measured phase, of the role the run reports
	msgs, bytes atomic.Int64
	// pinned producer-and-consumer: what producer i has sent (warm-up
	// included) and whether it has finished
	produced []atomic.Int64
	prodDone []atomic.Bool
	// balanced consumer group: messages each stream's group still has to read
	groupLeft []atomic.Int64
	// startOffset[i]: where actor i's partition's next message will land
	startOffset []uint64
}

// Run sets up the streams the kind needs, runs the actors and builds the
// report. Progress, when not nil, gets a progress line (ending in \r, for a
// terminal) about once a second.
func Run(ctx context.Context, cfg Config, progress io.Writer) (*Report, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &cfg
	r := &run{cfg: c}
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type actor struct {
		role string
		id   int
		fn   func(ctx context.Context, cl *client.Client, rec *ActorRecords) error
	}
	var actors []actor
	switch c.Kind {
	case EndToEnd:
		for i := range c.Producers {
			actors = append(actors, actor{"end-to-end", i, r.endToEnd})
		}
	default:
		if c.Kind.produces() {
			for i := range c.Producers {
				actors = append(actors, actor{"producer", i, r.producer})
			}
		}
		if c.Kind.consumes() {
			for i := range c.Consumers {
				actors = append(actors, actor{"consumer", i, r.consumer})
			}
		}
	}
	// Every actor connects before the clock starts.
	clients := make([]*client.Client, len(actors))
	defer func() {
		for _, cl := range clients {
			if cl != nil {
				_ = cl.Close()
			}
		}
	}()
	for i := range actors {
		cl, err := c.Dial(ctx)
		if err != nil {
			return nil, fmt.Errorf("connect actor %d: %w", i+1, err)
		}
		clients[i] = cl
	}
	idle, err := r.dialIdle(ctx)
	defer func() {
		for _, cl := range idle {
			_ = cl.Close()
		}
	}()
	if err != nil {
		return nil, err
	}
	if c.Kind == BalancedConsumerGroup {
		for i, cl := range clients {
			s, _ := c.target(i)
			if _, err := cl.Do(ctx, &wire.JoinConsumerGroup{GroupRef: wire.GroupRef{Stream: wire.NamedID(c.streamName(s)),
				Topic: wire.NamedID(TopicName), Group: wire.NamedID(GroupName)}}); err != nil {
				return nil, fmt.Errorf("consumer %d joins %s: %w", i+1, GroupName, err)
			}
		}
	}

	started := time.Now()
	r.measureStart = started.Add(c.Warmup)
	if c.Duration > 0 {
		r.deadline = r.measureStart.Add(c.Duration)
	}
	stopProgress := r.showProgress(progress)
	recs := make([]ActorRecords, len(actors))
	errs := make([]error, len(actors))
	var wg sync.WaitGroup
	for i, a := range actors {
		s, _ := c.target(a.id)
		recs[i] = ActorRecords{Role: a.role, ID: a.id + 1, Stream: s}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.fn(ctx, clients[i], &recs[i]); err != nil {
				errs[i] = fmt.Errorf("%s %d: %w", a.role, a.id+1, err)
				cancel()
			}
		}()
	}
	wg.Wait()
	stopProgress()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	rep := BuildReport(c, started, c.Duration, recs) // count runs: the longest actor's time
	rep.Environment.LoadAvg = loadAvg()
	return rep, nil
}

// setup creates the streams, topics and group the kind needs and learns the
// offsets the pinned actors start at.
func (r *run) setup(ctx context.Context) error {
	c := r.cfg
	cl, err := c.Dial(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer cl.Close()
	create := c.Kind.produces() || c.Kind == EndToEnd
	for s := range c.Streams {
		sid := wire.NamedID(c.streamName(s))
		_, ok, err := cl.Stream(ctx, sid)
		if err != nil {
			return fmt.Errorf("stream %s: %w", c.streamName(s), err)
		}
		if !ok {
			if !create {
				return fmt.Errorf("stream %s does not exist: run a producing benchmark (pinned-producer) with the same --streams and --partitions first", c.streamName(s))
			}
			if _, err := cl.CreateStream(ctx, c.streamName(s)); err != nil {
				return fmt.Errorf("create stream %s: %w", c.streamName(s), err)
			}
		}
		t, ok, err := cl.Topic(ctx, sid, wire.NamedID(TopicName))
		if err != nil {
			return fmt.Errorf("topic %s/%s: %w", c.streamName(s), TopicName, err)
		}
		if !ok {
			if !create {
				return fmt.Errorf("topic %s/%s does not exist: run a producing benchmark first", c.streamName(s), TopicName)
			}
			if t, err = cl.CreateTopic(ctx, wire.CreateTopic{Stream: sid, PartitionsCount: uint32(c.Partitions), Name: TopicName}); err != nil {
				return fmt.Errorf("create topic in %s: %w", c.streamName(s), err)
			}
		}
		if len(t.Partitions) < c.Partitions {
			return fmt.Errorf("topic %s/%s has %d partitions, the benchmark wants %d (use another --streams prefix or delete the stream)",
				c.streamName(s), TopicName, len(t.Partitions), c.Partitions)
		}
		if s == 0 {
			r.startOffset = make([]uint64, max(c.Producers, c.Consumers))
		}
		for i := range r.startOffset {
			if ts, p := c.target(i); ts == s {
				if pi := t.Partitions[p]; pi.MessagesCount > 0 || pi.CurrentOffset > 0 {
					r.startOffset[i] = pi.CurrentOffset + 1
				}
			}
		}
		if c.Kind == BalancedConsumerGroup {
			gref := wire.GroupRef{Stream: sid, Topic: wire.NamedID(TopicName), Group: wire.NamedID(GroupName)}
			b, err := cl.Do(ctx, &wire.GetConsumerGroup{GroupRef: gref})
			if err != nil {
				return fmt.Errorf("consumer group in %s: %w", c.streamName(s), err)
			}
			if len(b) == 0 {
				if _, err := cl.Do(ctx, &wire.CreateConsumerGroup{Stream: sid, Topic: wire.NamedID(TopicName), Name: GroupName}); err != nil {
					return fmt.Errorf("create consumer group in %s: %w", c.streamName(s), err)
				}
			}
		}
	}
	if c.Kind == PinnedConsumer {
		r.startOffset = make([]uint64, c.Consumers) // pinned consumers read from the start
	}
	if c.Kind == EndToEnd && c.Producers > c.Streams*c.Partitions {
		return fmt.Errorf("end-to-end gives each actor a partition of its own: %d actors need at least that many streams × partitions (have %d)",
			c.Producers, c.Streams*c.Partitions)
	}
	n := max(c.Producers, c.Consumers)
	r.produced = make([]atomic.Int64, n)
	r.prodDone = make([]atomic.Bool, n)
	r.groupLeft = make([]atomic.Int64, c.Streams)
	if c.Kind == BalancedConsumerGroup && c.Duration == 0 {
		for i := range c.Consumers {
			s, _ := c.target(i)
			r.groupLeft[s].Add(int64(c.Batches * c.BatchSize))
		}
	}
	return nil
}

// batch lays out one send of BatchSize messages of MessageSize bytes.
func (c *Config) batch() []byte {
	payload := make([]byte, c.MessageSize)
	for i := range payload {
		payload[i] = byte('a' + i%26)
	}
	msgs := make([]byte, 0, c.BatchSize*(wire.MessageHeaderSize+c.MessageSize))
	for range c.BatchSize {
		msgs = wire.AppendSendMessage(msgs, nil, uint64(time.Now().UnixMicro()), payload, nil)
	}
	return msgs
}

// send is the request an actor repeats: one batch, its index block
// computed once, since only payload bytes change between sends.
func (c *Config) send(stream, topic wire.Identifier, p wire.Partitioning) *wire.SendMessages {
	msgs := c.batch()
	return &wire.SendMessages{Stream: stream, Topic: topic, Partitioning: p, Count: uint32(c.BatchSize),
		Indexes: wire.AppendIndexes(nil, msgs), Messages: msgs}
}

// phase tracks where an actor is: warm-up, measured, or done.
type phase struct {
	r         *run
	measuring bool
	done      int  // measured batches
	shared    bool // the count is the group's (groupLeft), not this actor's
}

// next reports whether another request should start at now, and whether
// that request is measured.
func (p *phase) next(now time.Time) bool {
	c := p.r.cfg
	if !p.measuring && !now.Before(p.r.measureStart) {
		p.measuring = true
	}
	if !p.measuring {
		return true
	}
	if !p.r.deadline.IsZero() {
		return now.Before(p.r.deadline)
	}
	return p.shared || p.done < c.Batches
}

func (p *phase) record(rec *ActorRecords, start, end time.Time, msgs int, bytes int64, report bool, late time.Duration) {
	if !p.measuring {
		return
	}
	p.done++
	rec.Records = append(rec.Records, Record{At: start.Sub(p.r.measureStart), Latency: end.Sub(start), Messages: msgs, Bytes: bytes, Late: late})
	rec.Elapsed = end.Sub(p.r.measureStart)
	if report {
		p.r.msgs.Add(int64(msgs))
		p.r.bytes.Add(bytes)
	}
}

// pacer spaces an actor's requests to its share of RateLimit.
type pacer struct {
	interval time.Duration
	next     time.Time
	catchUp  bool // Config.CatchUp
}

func (r *run) pacer(actors int, batchBytes int) *pacer {
	if r.cfg.RateLimit == 0 {
		return nil
	}
	per := float64(r.cfg.RateLimit) / float64(actors)
	return &pacer{interval: time.Duration(float64(batchBytes) / per * float64(time.Second)), catchUp: r.cfg.CatchUp}
}

// wait sleeps until the next slot and returns that slot's time (zero for
// no pacer). A pacer that fell behind does not burst to catch up, unless
// catchUp is set: the schedule restarts from now.
func (p *pacer) wait(ctx context.Context) time.Time {
	if p == nil {
		return time.Time{}
	}
	now := time.Now()
	if p.next.IsZero() || (!p.catchUp && now.Sub(p.next) > p.interval) {
		p.next = now
	}
	if d := p.next.Sub(now); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	slot := p.next
	p.next = p.next.Add(p.interval)
	return slot
}

// lateness is how far after slot (zero: unpaced) a request started.
func lateness(slot, start time.Time) time.Duration {
	if slot.IsZero() {
		return 0
	}
	return max(start.Sub(slot), 0)
}

func (r *run) producer(ctx context.Context, cl *client.Client, rec *ActorRecords) error {
	c := r.cfg
	i := rec.ID - 1
	s, part := c.target(i)
	stream, topic := wire.NamedID(c.streamName(s)), wire.NamedID(TopicName)
	p := wire.PartitionID(uint32(part))
	if c.Kind == BalancedProducer {
		p = wire.Balanced()
	}
	send := c.send(stream, topic, p)
	bytes := int64(c.BatchSize * c.MessageSize)
	pace := r.pacer(c.Producers, int(bytes))
	defer r.prodDone[i].Store(true)
	ph := phase{r: r}
	for ctx.Err() == nil {
		slot := pace.wait(ctx)
		start := time.Now()
		if !ph.next(start) {
			break
		}
		if _, err := cl.Do(ctx, send); err != nil {
			return ctxErr(ctx, err)
		}
		r.produced[i].Add(int64(c.BatchSize))
		ph.record(rec, start, time.Now(), c.BatchSize, bytes, true, lateness(slot, start))
	}
	return nil
}

// payloadBytes sums the payload lengths of polled messages.
func payloadBytes(msgs []byte) (int64, error) {
	var n int64
	it := wire.NewMessageIter(msgs)
	for m, ok := it.Next(); ok; m, ok = it.Next() {
		n += int64(m.PayloadLength())
	}
	return n, it.Err()
}

func (r *run) consumer(ctx context.Context, cl *client.Client, rec *ActorRecords) error {
	c := r.cfg
	i := rec.ID - 1
	s, part := c.target(i)
	req := wire.PollMessages{Stream: wire.NamedID(c.streamName(s)), Topic: wire.NamedID(TopicName), Count: uint32(c.BatchSize),
		Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(uint32(i + 1))}}
	group := c.Kind == BalancedConsumerGroup
	if group {
		req.Consumer = wire.Consumer{Kind: wire.ConsumerGroup, ID: wire.NamedID(GroupName)}
		req.Strategy = wire.PollingStrategy{Kind: wire.PollNext}
		req.AutoCommit = true
	} else {
		req.Partition = wire.SomePartition(uint32(part))
	}
	report := c.Kind != PinnedProducerAndConsumer // the run reports the producers' rate then
	first := r.startOffset[i]
	offset := first
	var buf []byte
	ph := phase{r: r, shared: group}
	idleSince := time.Time{}
	for ctx.Err() == nil {
		start := time.Now()
		wasMeasuring := ph.measuring
		if !ph.next(start) {
			break
		}
		if ph.measuring && !wasMeasuring && !group && c.Kind == PinnedConsumer {
			offset = first // the warm-up read the start already: read it again, measured
		}
		if group && r.deadline.IsZero() && r.groupLeft[s].Load() <= 0 {
			break
		}
		if !group {
			req.Strategy = wire.PollingStrategy{Kind: wire.PollOffset, Value: offset}
		}
		var pm wire.PolledMessages
		var err error
		pm, buf, err = cl.PollInto(ctx, req, buf)
		if err != nil {
			return ctxErr(ctx, err)
		}
		end := time.Now()
		if pm.Count == 0 && c.Kind == PinnedConsumer && offset > first && (!ph.measuring || !r.deadline.IsZero()) {
			offset = first // warming up, or a timed run: read the partition again
			continue
		}
		if pm.Count == 0 {
			done, err := r.caughtUp(i, s, offset-first, &idleSince, end)
			if done || err != nil {
				return err
			}
			sleepCtx(ctx, 200*time.Microsecond)
			continue
		}
		idleSince = time.Time{}
		nb, err := payloadBytes(pm.Messages)
		if err != nil {
			return fmt.Errorf("poll answer: %w", err)
		}
		offset += uint64(pm.Count)
		if group {
			r.groupLeft[s].Add(-int64(pm.Count))
		}
		ph.record(rec, start, end, int(pm.Count), nb, report, 0)
		if c.Kind == PinnedProducerAndConsumer && r.prodDone[i].Load() && int64(offset-first) >= r.produced[i].Load() {
			break
		}
	}
	return nil
}

// caughtUp decides what an empty poll means: in a pinned producer-and-
// consumer run, wait for the producer (done once it has finished and all
// its messages are read); for a consumer group, stop after two seconds of
// nothing (its partitions may be someone else's); otherwise the partition
// ran out before the count asked for.
func (r *run) caughtUp(i, s int, read uint64, idleSince *time.Time, now time.Time) (bool, error) {
	c := r.cfg
	switch c.Kind {
	case PinnedProducerAndConsumer:
		return r.prodDone[i].Load() && int64(read) >= r.produced[i].Load(), nil
	case BalancedConsumerGroup:
		if idleSince.IsZero() {
			*idleSince = now
		}
		if now.Sub(*idleSince) > 2*time.Second {
			if r.deadline.IsZero() && r.groupLeft[s].Load() > 0 {
				return true, fmt.Errorf("the group of %s found no more messages with %d still to read", c.streamName(s), r.groupLeft[s].Load())
			}
			return true, nil
		}
		return false, nil
	}
	if read == 0 {
		return true, fmt.Errorf("partition has no messages: run pinned-producer with the same layout first")
	}
	return true, fmt.Errorf("partition ran out after %d messages; ask for fewer --message-batches or produce more first", read)
}

// endToEnd sends a batch to the actor's own partition, then polls until the
// whole batch is back; the latency is that round.
func (r *run) endToEnd(ctx context.Context, cl *client.Client, rec *ActorRecords) error {
	c := r.cfg
	i := rec.ID - 1
	s, part := c.target(i)
	stream, topic := wire.NamedID(c.streamName(s)), wire.NamedID(TopicName)
	send := c.send(stream, topic, wire.PartitionID(uint32(part)))
	msgs := send.Messages
	bytes := int64(c.BatchSize * c.MessageSize)
	pace := r.pacer(c.Producers, int(bytes))
	req := wire.PollMessages{Stream: stream, Topic: topic, Partition: wire.SomePartition(uint32(part)), Count: uint32(c.BatchSize),
		Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(uint32(i + 1))}}
	offset := r.startOffset[i]
	var buf []byte
	ph := phase{r: r}
	for seq := uint64(1); ctx.Err() == nil; seq++ {
		slot := pace.wait(ctx)
		start := time.Now()
		if !ph.next(start) {
			break
		}
		// The first message of each batch carries the actor and sequence,
		// so the poll can check it got this batch back, not another.
		binary.LittleEndian.PutUint64(msgs[wire.MessageHeaderSize:], uint64(i+1))
		binary.LittleEndian.PutUint64(msgs[wire.MessageHeaderSize+8:], seq)
		if _, err := cl.Do(ctx, send); err != nil {
			return ctxErr(ctx, err)
		}
		var nb int64
		for got := 0; got < c.BatchSize; {
			req.Strategy = wire.PollingStrategy{Kind: wire.PollOffset, Value: offset}
			req.Count = uint32(c.BatchSize - got)
			pm, b, err := cl.PollInto(ctx, req, buf)
			buf = b
			if err != nil {
				return ctxErr(ctx, err)
			}
			if pm.Count == 0 {
				sleepCtx(ctx, 50*time.Microsecond)
				if ctx.Err() != nil {
					return nil
				}
				continue
			}
			if got == 0 {
				m, err := wire.ParseMessage(pm.Messages)
				if err != nil || len(m.Payload()) < 16 || binary.LittleEndian.Uint64(m.Payload()) != uint64(i+1) ||
					binary.LittleEndian.Uint64(m.Payload()[8:]) != seq {
					return fmt.Errorf("poll at offset %d did not return the batch just sent (is another client writing to %s partition %d?)",
						offset, c.streamName(s), part)
				}
			}
			n, err := payloadBytes(pm.Messages)
			if err != nil {
				return fmt.Errorf("poll answer: %w", err)
			}
			nb += n
			got += int(pm.Count)
			offset += uint64(pm.Count)
		}
		ph.record(rec, start, time.Now(), c.BatchSize, nb, true, lateness(slot, start))
	}
	return nil
}

// ctxErr hides the error of a request cut short by the run's cancellation
// (another actor failed; that actor's error is the one reported).
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// showProgress prints the rate of the last second until the returned stop
// is called, which clears the line.
func (r *run) showProgress(w io.Writer) (stop func()) {
	if w == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		var lastMsgs, lastBytes int64
		last := time.Now()
		for {
			select {
			case <-done:
				fmt.Fprintf(w, "\r%s\r", strings.Repeat(" ", 78))
				return
			case now := <-t.C:
				m, b := r.msgs.Load(), r.bytes.Load()
				fmt.Fprint(w, ProgressLine(now.Sub(r.measureStart), m, b-lastBytes, m-lastMsgs, now.Sub(last)))
				lastMsgs, lastBytes, last = m, b, now
			}
		}
	}()
	return func() { close(done); <-finished }
}

// ProgressLine renders one progress update: the time into the measured
// phase (negative while warming up), the messages so far, and the rate over
// the last interval.
func ProgressLine(at time.Duration, total, dBytes, dMsgs int64, interval time.Duration) string {
	if at < 0 {
		return fmt.Sprintf("\rwarming up, %.0f s to go%s", (-at).Seconds(), strings.Repeat(" ", 40))
	}
	sec := interval.Seconds()
	if sec <= 0 {
		sec = 1
	}
	return fmt.Sprintf("\r%7.1f s  %9.1f MB/s  %11.0f msgs/s  %12d msgs   ", at.Seconds(), float64(dBytes)/1e6/sec, float64(dMsgs)/sec, total)
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// dialIdle opens the configured idle connections, 16 at a time. It returns
// what it opened even on error, for the caller to close.
func (r *run) dialIdle(ctx context.Context) ([]*client.Client, error) {
	n := r.cfg.IdleConnections
	if n == 0 {
		return nil, nil
	}
	idle := make([]*client.Client, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range idle {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			idle[i], errs[i] = r.cfg.Dial(ctx)
		}()
	}
	wg.Wait()
	kept := idle[:0]
	for _, cl := range idle {
		if cl != nil {
			kept = append(kept, cl)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return kept, fmt.Errorf("idle connections: %d of %d failed: %w", n-len(kept), n, err)
	}
	return kept, nil
}
