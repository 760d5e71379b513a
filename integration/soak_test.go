package integration

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// The soak: mixed load against the built binary while it is SIGKILLed over
// and over, then a check of everything that was acknowledged. `make soak`
// runs it for SOAK_DURATION (30m) with a kill every SOAK_KILL_EVERY (a range
// such as "10s-20s", drawn at random each time); `make test` runs the short
// form below. docs/reliability.md states what it proves.

var (
	soakStream   = wire.NamedID("soak")
	soakChecked  = wire.NamedID("checked")  // no expiry: every acknowledged message must stay
	soakExpiring = wire.NamedID("expiring") // short expiry, swept while the load runs
	soakGroup    = wire.NamedID("g-auto")
)

const (
	soakPartitions     = 3
	soakExpParts       = 2
	soakExpiry         = 4 * time.Second
	soakRetentionID    = 100 // producer id of the expiring topic's producer
	soakRequestTimeout = 8 * time.Second
)

// soakConfig is read from the environment; the defaults are the short form.
type soakConfig struct {
	duration         time.Duration
	killMin, killMax time.Duration
	backupEvery      time.Duration
	pace             time.Duration // pause between a producer's batches
	// dedup turns on the server's message deduplication (SOAK_DEDUP=1):
	// then a send repeated after a lost answer may not leave a copy either.
	dedup bool
	// durability is system.durability.mode (SOAK_DURABILITY; default the
	// server's, "sync"). A SIGKILL ends the process, not the machine, so
	// "interval" must lose nothing either.
	durability string
}

func soakConfigFromEnv(t *testing.T) soakConfig {
	c := soakConfig{duration: 30 * time.Second, killMin: 6 * time.Second, killMax: 10 * time.Second, pace: 20 * time.Millisecond}
	if v := os.Getenv("SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("SOAK_DURATION=%q: want a duration such as 30m", v)
		}
		c.duration = d
	}
	if v := os.Getenv("SOAK_KILL_EVERY"); v != "" {
		lo, hi, ok := strings.Cut(v, "-")
		if !ok {
			hi = lo
		}
		a, err1 := time.ParseDuration(lo)
		b, err2 := time.ParseDuration(hi)
		if err1 != nil || err2 != nil || a <= 0 || b < a {
			t.Fatalf("SOAK_KILL_EVERY=%q: want a duration or a range such as 10s-20s", v)
		}
		c.killMin, c.killMax = a, b
	}
	c.dedup = os.Getenv("SOAK_DEDUP") == "1"
	c.durability = os.Getenv("SOAK_DURABILITY")
	c.backupEvery = max(c.duration/8, 10*time.Second)
	if c.duration < 2*time.Minute {
		c.backupEvery = c.duration * 2 / 5
	}
	return c
}

// soakServer is the server under test across its restarts: workers dial
// whatever it listens on now.
type soakServer struct {
	mu    sync.Mutex
	s     *Server
	ports Ports
}

func (sv *soakServer) current() Ports {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	return sv.ports
}

func (sv *soakServer) set(s *Server) {
	sv.mu.Lock()
	sv.s, sv.ports = s, s.Ports
	sv.mu.Unlock()
}

// dial connects over transport ("tcp", "quic" or "http") and logs in as
// root, retrying until it works or ctx ends: the server may be down or
// restarting on new ports.
func (sv *soakServer) dial(ctx context.Context, transport string) (*client.Client, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p := sv.current()
		dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		var c *client.Client
		var err error
		opts := client.Options{Timeout: soakRequestTimeout}
		switch transport {
		case "tcp":
			c, err = client.Dial(dctx, p.TCP, opts)
		case "quic":
			c, err = client.DialQUIC(dctx, p.QUIC, opts)
		case "http":
			c, err = client.DialHTTP(dctx, "http://"+p.HTTP, opts)
		}
		if err == nil {
			if _, err = c.Login(dctx, RootUser, RootPassword); err != nil {
				_ = c.Close()
			}
		}
		cancel()
		if err == nil {
			return c, nil
		}
		sleepCtx(ctx, 100*time.Millisecond)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// errTally counts errors by kind: transport failures are expected while the
// server is down; server error codes on the data path are not.
type errTally struct {
	mu        sync.Mutex
	transport int
	server    map[string]int
}

func (e *errTally) add(what string, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var we *wire.Error
	if errors.As(err, &we) {
		if e.server == nil {
			e.server = map[string]int{}
		}
		e.server[fmt.Sprintf("%s: %s (%d)", what, we.Name, we.Code)]++
		return
	}
	e.transport++
}

// Message layout. The id is (producer, seq+1); the payload is producer u32,
// seq u64, filler length u32, filler, then FNV-64a of everything before it.
func soakMessage(dst []byte, producer uint32, seq uint64, rng *rand.Rand) []byte {
	n := 32 + rng.IntN(400)
	p := make([]byte, 16, 16+n+8)
	binary.LittleEndian.PutUint32(p, producer)
	binary.LittleEndian.PutUint64(p[4:], seq)
	binary.LittleEndian.PutUint32(p[12:], uint32(n))
	for i := range n {
		p = append(p, "shale soak "[i%11]+byte(seq%7))
	}
	h := fnv.New64a()
	h.Write(p)
	p = h.Sum(p)
	var id [16]byte
	binary.LittleEndian.PutUint64(id[:], uint64(producer))
	binary.LittleEndian.PutUint64(id[8:], seq+1)
	return wire.AppendSendMessage(dst, id[:], uint64(time.Now().UnixMicro()), p, nil)
}

// soakDecode checks a stored message and returns its producer and seq.
func soakDecode(m wire.Message) (producer uint32, seq uint64, err error) {
	p := m.Payload()
	if len(p) < 24 {
		return 0, 0, fmt.Errorf("offset %d: payload of %d bytes", m.Offset(), len(p))
	}
	producer, seq = binary.LittleEndian.Uint32(p), binary.LittleEndian.Uint64(p[4:])
	n := int(binary.LittleEndian.Uint32(p[12:]))
	if len(p) != 16+n+8 {
		return 0, 0, fmt.Errorf("offset %d: payload of %d bytes, filler says %d", m.Offset(), len(p), 16+n+8)
	}
	h := fnv.New64a()
	h.Write(p[:16+n])
	if h.Sum64() != binary.BigEndian.Uint64(p[16+n:]) {
		return 0, 0, fmt.Errorf("offset %d: payload checksum mismatch", m.Offset())
	}
	id := m.ID()
	if binary.LittleEndian.Uint64(id) != uint64(producer) || binary.LittleEndian.Uint64(id[8:]) != seq+1 {
		return 0, 0, fmt.Errorf("offset %d: id %x does not match payload (producer %d seq %d)", m.Offset(), id, producer, seq)
	}
	return producer, seq, nil
}

// Per-seq state of a producer.
const (
	seqSent    = 1 << iota // sent at least once
	seqAcked               // a send of it was acknowledged
	seqRetried             // sent again after a send whose answer was lost
)

// soakProducer sends batches of 1–10 messages to one topic, round robin over
// its partitions, and records what was acknowledged. A send that fails is
// sent again, the same messages with the same ids, until acknowledged.
type soakProducer struct {
	id        uint32
	transport string
	topic     wire.Identifier
	parts     uint32

	mu      sync.Mutex
	state   []uint8
	started []int64 // unix nanos of each seq's first send
	ackedAt []int64 // unix nanos of each seq's acknowledgement (0: none)
	part    []uint8 // each seq's partition
	batches int
	retries int // sends repeated after a lost answer
}

func (p *soakProducer) run(ctx context.Context, sv *soakServer, cfg soakConfig, errs *errTally) {
	rng := rand.New(rand.NewPCG(uint64(p.id), uint64(time.Now().UnixNano())))
	var c *client.Client
	defer func() {
		if c != nil {
			_ = c.Close()
		}
	}()
	var seq uint64
	for batch := 0; ctx.Err() == nil; batch++ {
		n := 1 + rng.IntN(10)
		part := uint32(batch) % p.parts
		var msgs []byte
		for i := range n {
			msgs = soakMessage(msgs, p.id, seq+uint64(i), rng)
		}
		p.mu.Lock()
		now := time.Now().UnixNano()
		for range n {
			p.state = append(p.state, seqSent)
			p.started = append(p.started, now)
			p.ackedAt = append(p.ackedAt, 0)
			p.part = append(p.part, uint8(part))
		}
		p.mu.Unlock()
		for attempt := 0; ; attempt++ {
			var err error
			if c == nil {
				if c, err = sv.dial(ctx, p.transport); err != nil {
					return // the run is over; this batch stays unacknowledged
				}
			}
			// The send itself is not cancelled when the run ends: it is
			// answered or fails on its own.
			sctx, cancel := context.WithTimeout(context.Background(), soakRequestTimeout)
			err = c.Send(sctx, soakStream, p.topic, wire.PartitionID(part), n, msgs)
			cancel()
			if err == nil {
				p.mu.Lock()
				now := time.Now().UnixNano()
				for i := range uint64(n) {
					p.state[seq+i] |= seqAcked
					p.ackedAt[seq+i] = now
				}
				p.batches++
				p.mu.Unlock()
				break
			}
			errs.add("send", err)
			_ = c.Close()
			c = nil
			p.mu.Lock()
			for i := range uint64(n) {
				p.state[seq+i] |= seqRetried
			}
			p.retries++
			p.mu.Unlock()
			if ctx.Err() != nil {
				return
			}
			sleepCtx(ctx, 50*time.Millisecond)
		}
		seq += uint64(n)
		sleepCtx(ctx, cfg.pace/2+time.Duration(rng.Int64N(int64(cfg.pace))))
	}
}

// snapshot copies the per-seq states.
func (p *soakProducer) snapshot() []uint8 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]uint8(nil), p.state...)
}

// offsetFloors holds, per consumer and partition, the highest offset whose
// commit was acknowledged (-1: none yet). No later read may be below it.
type offsetFloors struct {
	mu sync.Mutex
	m  map[string]*[soakPartitions]int64
}

func (f *offsetFloors) get(consumer string) [soakPartitions]int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v, ok := f.m[consumer]; ok {
		return *v
	}
	return [soakPartitions]int64{-1, -1, -1}
}

func (f *offsetFloors) raise(consumer string, part uint32, off uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]*[soakPartitions]int64{}
	}
	v, ok := f.m[consumer]
	if !ok {
		v = &[soakPartitions]int64{-1, -1, -1}
		f.m[consumer] = v
	}
	v[part] = max(v[part], int64(off))
}

func (f *offsetFloors) all() map[string][soakPartitions]int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string][soakPartitions]int64{}
	for k, v := range f.m {
		out[k] = *v
	}
	return out
}

// consumeStats are the consumers' counts and the violations they saw.
type consumeStats struct {
	polls, delivered, joins, leaves, reads atomic.Int64
	mu                                     sync.Mutex
	backwards, gaps, corrupt               []string
	seen                                   map[uint32][]bool // per producer, the seqs delivered to a consumer
}

func (s *consumeStats) sawSeq(producer uint32, seq uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[uint32][]bool{}
	}
	l := s.seen[producer]
	for uint64(len(l)) <= seq {
		l = append(l, false)
	}
	l[seq] = true
	s.seen[producer] = l
}

func (s *consumeStats) flag(list *[]string, format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*list = append(*list, fmt.Sprintf(format, args...))
}

// checkPoll verifies every message of a poll answer and returns the first
// and last offsets.
func (s *consumeStats) checkPoll(who string, pm wire.PolledMessages) (first, last uint64) {
	it := wire.NewMessageIter(pm.Messages)
	n := 0
	for m, ok := it.Next(); ok; m, ok = it.Next() {
		if n == 0 {
			first = m.Offset()
		}
		last = m.Offset()
		n++
		if prod, seq, err := soakDecode(m); err != nil {
			s.flag(&s.corrupt, "%s: partition %d: %v", who, pm.PartitionID, err)
		} else {
			s.sawSeq(prod, seq)
		}
	}
	if it.Err() != nil || n != int(pm.Count) {
		s.flag(&s.corrupt, "%s: partition %d: %d of %d messages readable: %v", who, pm.PartitionID, n, pm.Count, it.Err())
	}
	s.polls.Add(1)
	s.delivered.Add(int64(n))
	return first, last
}

// groupMember joins g-auto, polls with auto-commit for a few seconds, leaves
// and starts over on a new connection. A poll may not start at or below an
// offset whose auto-commit was acknowledged before the poll was sent.
func groupMember(ctx context.Context, sv *soakServer, transport string, id int, floors *offsetFloors, st *consumeStats, errs *errTally) {
	rng := rand.New(rand.NewPCG(uint64(id), uint64(time.Now().UnixNano())))
	who := fmt.Sprintf("g-auto member %d (%s)", id, transport)
	ref := wire.GroupRef{Stream: soakStream, Topic: soakChecked, Group: soakGroup}
	for ctx.Err() == nil {
		c, err := sv.dial(ctx, transport)
		if err != nil {
			return
		}
		if _, err := c.Do(ctx, &wire.JoinConsumerGroup{GroupRef: ref}); err != nil {
			errs.add("join", err)
			_ = c.Close()
			continue
		}
		st.joins.Add(1)
		until := time.Now().Add(2*time.Second + time.Duration(rng.Int64N(int64(6*time.Second))))
		alive := true
		for alive && ctx.Err() == nil && time.Now().Before(until) {
			floor := floors.get("g-auto")
			pm, err := c.Poll(context.Background(), wire.PollMessages{
				Consumer: wire.Consumer{Kind: wire.ConsumerGroup, ID: soakGroup}, Stream: soakStream, Topic: soakChecked,
				Strategy: wire.PollingStrategy{Kind: wire.PollNext}, Count: 20, AutoCommit: true})
			if err != nil {
				errs.add("group poll", err)
				alive = false
				break
			}
			if pm.Count == 0 {
				sleepCtx(ctx, 50*time.Millisecond)
				continue
			}
			first, last := st.checkPoll(who, pm)
			if int64(first) <= floor[pm.PartitionID] {
				st.flag(&st.backwards, "%s: partition %d: poll started at %d, but the commit of %d was acknowledged before it was sent",
					who, pm.PartitionID, first, floor[pm.PartitionID])
			}
			floors.raise("g-auto", pm.PartitionID, last)
			sleepCtx(ctx, 20*time.Millisecond)
		}
		if alive {
			if _, err := c.Do(context.Background(), &wire.LeaveConsumerGroup{GroupRef: ref}); err == nil {
				st.leaves.Add(1)
			} else {
				errs.add("leave", err)
			}
		}
		_ = c.Close()
	}
}

// singleConsumer reads every partition with PollNext and stores each
// offset explicitly, reconnecting every few seconds. It is the only user of
// its consumer id, so its stored offsets only rise: a poll must start just
// above the last acknowledged store and never skip a message.
func singleConsumer(ctx context.Context, sv *soakServer, transport string, id uint32, floors *offsetFloors, st *consumeStats, errs *errTally) {
	rng := rand.New(rand.NewPCG(uint64(id), uint64(time.Now().UnixNano())))
	name := fmt.Sprintf("consumer %d", id)
	who := fmt.Sprintf("%s (%s)", name, transport)
	consumer := wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(id)}
	seen := [soakPartitions]int64{-1, -1, -1} // highest offset delivered
	for ctx.Err() == nil {
		c, err := sv.dial(ctx, transport)
		if err != nil {
			return
		}
		st.joins.Add(1)
		until := time.Now().Add(3*time.Second + time.Duration(rng.Int64N(int64(7*time.Second))))
		alive := true
		for alive && ctx.Err() == nil && time.Now().Before(until) {
			for part := uint32(0); part < soakPartitions && alive; part++ {
				floor := floors.get(name)[part]
				pm, err := c.Poll(context.Background(), wire.PollMessages{Consumer: consumer, Stream: soakStream, Topic: soakChecked,
					Partition: wire.SomePartition(part), Strategy: wire.PollingStrategy{Kind: wire.PollNext}, Count: 50})
				if err != nil {
					errs.add("poll", err)
					alive = false
					break
				}
				if pm.Count == 0 {
					continue
				}
				first, last := st.checkPoll(who, pm)
				if int64(first) <= floor {
					st.flag(&st.backwards, "%s: partition %d: poll started at %d, at or below the acknowledged stored offset %d", who, part, first, floor)
				}
				if int64(first) > seen[part]+1 {
					st.flag(&st.gaps, "%s: partition %d: poll started at %d, but only %d had been delivered", who, part, first, seen[part])
				}
				seen[part] = max(seen[part], int64(last))
				ref := wire.OffsetRef{Consumer: consumer, Stream: soakStream, Topic: soakChecked, Partition: wire.SomePartition(part)}
				if err := c.StoreOffset(context.Background(), ref, last); err != nil {
					errs.add("store offset", err)
					alive = false
					break
				}
				floors.raise(name, part, last)
			}
			sleepCtx(ctx, 50*time.Millisecond)
		}
		st.leaves.Add(1)
		_ = c.Close()
	}
}

// offsetMonitor reads the single consumers' stored offsets every second: a
// read may not be below a store acknowledged before it was sent.
func offsetMonitor(ctx context.Context, sv *soakServer, ids []uint32, floors *offsetFloors, st *consumeStats, errs *errTally) {
	var c *client.Client
	defer func() {
		if c != nil {
			_ = c.Close()
		}
	}()
	for ctx.Err() == nil {
		if c == nil {
			var err error
			if c, err = sv.dial(ctx, "tcp"); err != nil {
				return
			}
		}
		for _, id := range ids {
			name := fmt.Sprintf("consumer %d", id)
			floor := floors.get(name)
			for part := uint32(0); part < soakPartitions && c != nil; part++ {
				o, ok, err := c.Offset(context.Background(), wire.OffsetRef{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(id)},
					Stream: soakStream, Topic: soakChecked, Partition: wire.SomePartition(part)})
				if err != nil {
					errs.add("get offset", err)
					_ = c.Close()
					c = nil
					break
				}
				st.reads.Add(1)
				if got := int64(-1); floor[part] >= 0 {
					if ok {
						got = int64(o.StoredOffset)
					}
					if got < floor[part] {
						st.flag(&st.backwards, "monitor: %s partition %d: stored offset read as %d (present %v) after a store of %d was acknowledged",
							name, part, got, ok, floor[part])
					}
				}
			}
		}
		sleepCtx(ctx, time.Second)
	}
}

// soakRun holds everything the run records for the final check.
type soakRun struct {
	cfg       soakConfig
	sv        *soakServer
	producers []*soakProducer
	retention *soakProducer
	floors    offsetFloors
	st        consumeStats
	errs      errTally
	backups   soakBackups
	kills     int
	killedAt  []time.Time
	startedAt []time.Time // when each restarted instance was listening
	exited    []string    // instances that were gone before their kill
	// serverErrors are the error lines the killed instances logged
	serverErrors []string
	maxStart     time.Duration
	began        time.Time
}

func TestSoak(t *testing.T) {
	cfg := soakConfigFromEnv(t)
	env := []string{"SHALE_SYSTEM_LOGGING_LEVEL=info", "SHALE_DATA_MAINTENANCE_MESSAGES_INTERVAL=1s"}
	if cfg.dedup {
		env = append(env, "SHALE_SYSTEM_MESSAGE_DEDUPLICATION_ENABLED=true")
	}
	if cfg.durability != "" {
		env = append(env, "SHALE_SYSTEM_DURABILITY_MODE="+cfg.durability)
	}
	dir := t.TempDir()
	r := &soakRun{cfg: cfg, sv: &soakServer{}}
	r.sv.set(Start(t, dir, env...))
	r.setup(t)
	r.began = time.Now()
	t.Logf("soak: %v, a SIGKILL every %v–%v, deduplication %v, durability %q, data in %s", cfg.duration, cfg.killMin, cfg.killMax, cfg.dedup, cfg.durability, dir)

	loadCtx, stopLoad := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	spawn := func(fn func()) { wg.Add(1); go func() { defer wg.Done(); fn() }() }
	for i, tr := range []string{"tcp", "tcp", "quic", "http"} {
		p := &soakProducer{id: uint32(i + 1), transport: tr, topic: soakChecked, parts: soakPartitions}
		r.producers = append(r.producers, p)
		spawn(func() { p.run(loadCtx, r.sv, cfg, &r.errs) })
	}
	r.retention = &soakProducer{id: soakRetentionID, transport: "tcp", topic: soakExpiring, parts: soakExpParts}
	spawn(func() { r.retention.run(loadCtx, r.sv, cfg, &r.errs) })
	for i, tr := range []string{"tcp", "tcp", "quic"} {
		spawn(func() { groupMember(loadCtx, r.sv, tr, i+1, &r.floors, &r.st, &r.errs) })
	}
	singles := []uint32{1, 2}
	spawn(func() { singleConsumer(loadCtx, r.sv, "tcp", 1, &r.floors, &r.st, &r.errs) })
	spawn(func() { singleConsumer(loadCtx, r.sv, "http", 2, &r.floors, &r.st, &r.errs) })
	spawn(func() { offsetMonitor(loadCtx, r.sv, singles, &r.floors, &r.st, &r.errs) })
	spawn(func() { r.backupLoop(loadCtx, t.TempDir()) })

	// The kills run on the test goroutine: Start may fail the test.
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	end := r.began.Add(cfg.duration)
	for {
		wait := cfg.killMin + time.Duration(rng.Int64N(int64(cfg.killMax-cfg.killMin)+1))
		if time.Now().Add(wait).After(end) {
			time.Sleep(time.Until(end))
			break
		}
		time.Sleep(wait)
		r.sv.mu.Lock()
		s := r.sv.s
		r.sv.mu.Unlock()
		select {
		case err := <-s.done:
			s.done <- err
			r.exited = append(r.exited, fmt.Sprintf("instance %d exited on its own (%v):\n%s", r.kills+1, err, s.Output()))
		default:
		}
		r.killedAt = append(r.killedAt, time.Now())
		s.Kill()
		r.kills++
		if l := s.Lines("level=ERROR"); len(l) > 0 {
			r.serverErrors = append(r.serverErrors, l...)
		}
		t0 := time.Now()
		s = Start(t, dir, env...)
		r.startedAt = append(r.startedAt, time.Now())
		r.maxStart = max(r.maxStart, time.Since(t0))
		r.sv.set(s)
		if r.kills%10 == 0 {
			t.Logf("soak: %d kills, %v left", r.kills, time.Until(end).Round(time.Second))
		}
	}
	stopLoad()
	wg.Wait()
	r.check(t, dir)
}

// setup creates the stream, the two topics and the group.
func (r *soakRun) setup(t *testing.T) {
	ctx := context.Background()
	c, err := r.sv.dial(ctx, "tcp")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.CreateStream(ctx, "soak"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTopic(ctx, wire.CreateTopic{Stream: soakStream, PartitionsCount: soakPartitions, Name: "checked",
		MessageExpiry: wire.Unlimited, MaxTopicSize: wire.Unlimited}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTopic(ctx, wire.CreateTopic{Stream: soakStream, PartitionsCount: soakExpParts, Name: "expiring",
		MessageExpiry: uint64(soakExpiry / time.Microsecond), MaxTopicSize: wire.Unlimited}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(ctx, &wire.CreateConsumerGroup{Stream: soakStream, Topic: soakChecked, Name: "g-auto"}); err != nil {
		t.Fatal(err)
	}
}
