package integration

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// Workload is the checked load a cluster test runs: producers sending
// checked messages to the leader and a reader that polls the leader,
// records what it saw and stores its consumer offsets, all recorded in a
// Ledger.
type Workload struct {
	C          *Cluster
	Ledger     *Ledger
	Stream     string
	Topic      string
	Partitions uint32
	Producers  int
	Batch      int
	Payload    int // payload bytes per message

	cancel context.CancelFunc
	wg     sync.WaitGroup
	errs   atomic.Int64 // failed sends and stores (each recorded ambiguous)
}

// checkerConsumer is the consumer id the reader stores offsets under.
const checkerConsumer = 1

// NewWorkload returns the default workload: 4 producers, 3 partitions,
// batches of 10 messages of 100 bytes.
func NewWorkload(c *Cluster) *Workload {
	return &Workload{C: c, Ledger: NewLedger(), Stream: "checked", Topic: "log", Partitions: 3, Producers: 4, Batch: 10, Payload: 100}
}

// Setup waits for a leader and creates the stream and topic on it,
// retrying through elections for up to timeout.
func (w *Workload) Setup(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		last = w.setupOnce()
		if last == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("create stream and topic: %w", last)
}

func (w *Workload) setupOnce() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l := w.C.Leader(ctx)
	if l < 0 {
		return errors.New("no leader")
	}
	cl, err := w.C.Dial(ctx, l, 10*time.Second)
	if err != nil {
		return err
	}
	defer cl.Close()
	if _, ok, err := cl.Stream(ctx, wire.NamedID(w.Stream)); err != nil {
		return err
	} else if !ok {
		if _, err := cl.CreateStream(ctx, w.Stream); err != nil && !errors.Is(err, wire.ErrStreamNameAlreadyExists) {
			return err
		}
	}
	if _, ok, err := cl.Topic(ctx, wire.NamedID(w.Stream), wire.NamedID(w.Topic)); err != nil || ok {
		return err
	}
	_, err = cl.CreateTopic(ctx, wire.CreateTopic{Stream: wire.NamedID(w.Stream), Name: w.Topic, PartitionsCount: w.Partitions})
	if errors.Is(err, wire.ErrTopicNameAlreadyExists) {
		return nil
	}
	return err
}

// Run starts the producers and the reader; Stop ends them.
func (w *Workload) Run() {
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	for p := range w.Producers {
		w.wg.Add(1)
		go func() { defer w.wg.Done(); w.produce(ctx, uint64(p+1)) }()
	}
	w.wg.Add(1)
	go func() { defer w.wg.Done(); w.read(ctx) }()
}

// Stop ends the load and waits for it.
func (w *Workload) Stop() {
	if w.cancel != nil {
		w.cancel()
		w.wg.Wait()
		w.cancel = nil
	}
}

// Failures is the number of sends and stores that failed so far.
func (w *Workload) Failures() int64 { return w.errs.Load() }

// WaitProgress waits until at least n more sends are acknowledged than
// when it was called: the cluster is serving. The bound is a liveness
// limit, not a speed assertion.
func (w *Workload) WaitProgress(n int, timeout time.Duration) error {
	_, start := w.Ledger.Counts()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if _, now := w.Ledger.Counts(); now >= start+n {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	_, now := w.Ledger.Counts()
	return fmt.Errorf("%d acknowledged sends in %s, want %d", now-start, timeout, n)
}

// leaderConn returns a logged-in connection to the node that says it is
// the leader, or nil.
func (w *Workload) leaderConn(ctx context.Context) (*client.Client, int) {
	l := w.C.Leader(ctx)
	if l < 0 {
		return nil, -1
	}
	cl, err := w.C.Dial(ctx, l, 5*time.Second)
	if err != nil {
		return nil, -1
	}
	return cl, l
}

func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// produce sends batches of consecutive seqs to one partition. A failed
// send is recorded ambiguous and sent again, with the same ids, to the
// leader of the moment, until it is acknowledged or the load stops.
func (w *Workload) produce(ctx context.Context, producer uint64) {
	partition := uint32(producer-1) % w.Partitions
	stream, topic := wire.NamedID(w.Stream), wire.NamedID(w.Topic)
	var cl *client.Client
	defer func() {
		if cl != nil {
			_ = cl.Close()
		}
	}()
	seq := uint64(0)
	for ctx.Err() == nil {
		if cl == nil {
			if cl, _ = w.leaderConn(ctx); cl == nil {
				pause(ctx, 100*time.Millisecond)
				continue
			}
		}
		keys, msgs := w.checkedBatch(producer, seq+1, w.Batch, uint64(time.Now().UnixMicro()))
		for ctx.Err() == nil {
			if cl == nil {
				if cl, _ = w.leaderConn(ctx); cl == nil {
					pause(ctx, 100*time.Millisecond)
					continue
				}
			}
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := cl.Send(sctx, stream, topic, wire.PartitionID(partition), len(keys), msgs)
			cancel()
			if err == nil {
				w.Ledger.Acked(partition, keys)
				seq += uint64(len(keys))
				break
			}
			w.Ledger.Ambiguous(partition, keys)
			w.errs.Add(1)
			_ = cl.Close()
			cl = nil
			pause(ctx, 50*time.Millisecond)
		}
	}
}

// read polls every partition of the leader from where it stopped, records
// each message it sees and stores its offset after each poll.
func (w *Workload) read(ctx context.Context) {
	stream, topic := wire.NamedID(w.Stream), wire.NamedID(w.Topic)
	consumer := wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(checkerConsumer)}
	next := make([]uint64, w.Partitions)
	var cl *client.Client
	node := -1
	defer func() {
		if cl != nil {
			_ = cl.Close()
		}
	}()
	fail := func() {
		w.errs.Add(1)
		_ = cl.Close()
		cl = nil
		pause(ctx, 100*time.Millisecond)
	}
	for ctx.Err() == nil {
		if cl == nil {
			if cl, node = w.leaderConn(ctx); cl == nil {
				pause(ctx, 100*time.Millisecond)
				continue
			}
		}
		for p := uint32(0); p < w.Partitions && cl != nil && ctx.Err() == nil; p++ {
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			polled, err := cl.Poll(pctx, wire.PollMessages{Consumer: consumer, Stream: stream, Topic: topic,
				Partition: wire.SomePartition(p), Strategy: wire.PollingStrategy{Kind: wire.PollOffset, Value: next[p]}, Count: 100})
			cancel()
			if err != nil {
				fail()
				break
			}
			it := wire.NewMessageIter(polled.Messages)
			seen := false
			for m, ok := it.Next(); ok; m, ok = it.Next() {
				if k, err := ParseChecked(m); err == nil {
					w.Ledger.Observed(w.C.Nodes[node].Name, p, m.Offset(), k)
				}
				next[p] = m.Offset() + 1
				seen = true
			}
			if !seen {
				continue
			}
			ref := wire.OffsetRef{Consumer: consumer, Stream: stream, Topic: topic, Partition: wire.SomePartition(p)}
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err = cl.StoreOffset(sctx, ref, next[p]-1)
			cancel()
			w.Ledger.OffsetStored(OffsetKey{Consumer: checkerConsumer, Partition: p}, next[p]-1, err == nil)
			if err != nil {
				fail()
				break
			}
		}
		pause(ctx, 100*time.Millisecond)
	}
}

// ReadReplica reads every partition of the workload's topic from offset 0
// on node i, and the reader's stored offsets, straight from that node.
func (w *Workload) ReadReplica(ctx context.Context, i int) (Replica, error) {
	rep := Replica{Node: w.C.Nodes[i].Name, Partitions: map[uint32][]wire.Message{}, Offsets: map[OffsetKey]uint64{}}
	cl, err := w.C.Dial(ctx, i, 10*time.Second)
	if err != nil {
		return rep, err
	}
	defer cl.Close()
	stream, topic := wire.NamedID(w.Stream), wire.NamedID(w.Topic)
	consumer := wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(checkerConsumer + 1)}
	for p := uint32(0); p < w.Partitions; p++ {
		var msgs []wire.Message
		for next := uint64(0); ; {
			polled, err := cl.Poll(ctx, wire.PollMessages{Consumer: consumer, Stream: stream, Topic: topic,
				Partition: wire.SomePartition(p), Strategy: wire.PollingStrategy{Kind: wire.PollOffset, Value: next}, Count: 1000})
			if err != nil {
				return rep, fmt.Errorf("%s: poll partition %d at %d: %w", rep.Node, p, next, err)
			}
			it := wire.NewMessageIter(polled.Messages)
			n := 0
			for m, ok := it.Next(); ok; m, ok = it.Next() {
				msgs = append(msgs, append(wire.Message(nil), m...))
				next = m.Offset() + 1
				n++
			}
			if it.Err() != nil {
				return rep, fmt.Errorf("%s: partition %d: %w", rep.Node, p, it.Err())
			}
			if n == 0 {
				break
			}
		}
		rep.Partitions[p] = msgs
		ref := wire.OffsetRef{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(checkerConsumer)},
			Stream: stream, Topic: topic, Partition: wire.SomePartition(p)}
		off, ok, err := cl.Offset(ctx, ref)
		if err != nil {
			return rep, fmt.Errorf("%s: consumer offset of partition %d: %w", rep.Node, p, err)
		}
		if ok {
			rep.Offsets[OffsetKey{Consumer: checkerConsumer, Partition: p}] = off.StoredOffset
		}
	}
	return rep, nil
}

// Converge reads every node until all hold the same partitions and
// consumer offsets, for up to timeout (a liveness limit: followers catch
// up within a few heartbeats), and returns the last reads. Each round
// first creates a marker stream on the leader and reads a node only once
// the marker is there: the node has applied everything written before it,
// and a follower, which reloads its view of the database when it applies
// a metadata change, shows all of it.
func (w *Workload) Converge(timeout time.Duration) ([]Replica, error) {
	deadline := time.Now().Add(timeout)
	var reps []Replica
	var last error
	for round := 1; ; round++ {
		reps, last = w.readAll(fmt.Sprintf("converge-%d", round), deadline)
		if last == nil {
			var r CheckReport
			compareReplicas(&r, reps)
			w.compareOffsets(&r, reps)
			if r.OK() {
				return reps, nil
			}
			last = errors.New(r.Problems[0])
		}
		if time.Now().After(deadline) {
			return reps, fmt.Errorf("replicas did not converge within %s: %w", timeout, last)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// readAll creates the stream marker on the leader and reads every node
// once the marker has reached it.
func (w *Workload) readAll(marker string, deadline time.Time) ([]Replica, error) {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	l := w.C.Leader(ctx)
	if l < 0 {
		return nil, errors.New("no leader to write the marker")
	}
	cl, err := w.C.Dial(ctx, l, 10*time.Second)
	if err != nil {
		return nil, err
	}
	_, err = cl.CreateStream(ctx, marker)
	_ = cl.Close()
	if err != nil && !errors.Is(err, wire.ErrStreamNameAlreadyExists) {
		return nil, fmt.Errorf("marker %s on %s: %w", marker, w.C.Nodes[l].Name, err)
	}
	var reps []Replica
	for i := range w.C.Nodes {
		if err := w.waitStream(ctx, i, marker); err != nil {
			return nil, err
		}
		rep, err := w.ReadReplica(ctx, i)
		if err != nil {
			return nil, err
		}
		reps = append(reps, rep)
	}
	return reps, nil
}

// waitStream waits until node i has the stream name.
func (w *Workload) waitStream(ctx context.Context, i int, name string) error {
	for {
		cl, err := w.C.Dial(ctx, i, 10*time.Second)
		if err == nil {
			_, ok, serr := cl.Stream(ctx, wire.NamedID(name))
			_ = cl.Close()
			if serr == nil && ok {
				return nil
			}
			err = serr
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s never showed the marker stream %s (last error %v)", w.C.Nodes[i].Name, name, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (w *Workload) compareOffsets(r *CheckReport, reps []Replica) {
	for _, rep := range reps[1:] {
		if fmt.Sprint(rep.Offsets) != fmt.Sprint(reps[0].Offsets) {
			r.problem("consumer offsets %v on %s, %v on %s", reps[0].Offsets, reps[0].Node, rep.Offsets, rep.Node)
		}
	}
}

// checkedBatch builds n messages of producer with seqs first..first+n-1,
// each carrying its key's id and checked payload and the timestamp ts.
func (w *Workload) checkedBatch(producer, first uint64, n int, ts uint64) ([]MsgKey, []byte) {
	keys := make([]MsgKey, n)
	var msgs []byte
	for j := range keys {
		keys[j] = MsgKey{Producer: producer, Seq: first + uint64(j)}
		msgs = wire.AppendSendMessage(msgs, keys[j].ID(), ts, CheckedPayload(keys[j], w.Payload), nil)
	}
	return keys, msgs
}
