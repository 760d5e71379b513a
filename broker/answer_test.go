package broker_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/wiretest"
)

// bigSize is the stored size of one message of sendBig: larger than
// broker.SmallRequest, so answers holding it take room from the budget.
const bigSize = wire.MessageHeaderSize + 100_000

// sendBig creates stream 0, topic 0 (one partition) and consumer group
// "g", and sends n messages of bigSize bytes, offset i's payload starting
// with "m<i>.".
func sendBig(t *testing.T, e *brokertest.Env, n int) {
	t.Helper()
	b := e.Broker
	e.OnePartition(t)
	if _, err := b.CreateGroup(e.Root, broker.ByID(0), broker.ByID(0), "g"); err != nil {
		t.Fatal(err)
	}
	var msgs []byte
	for i := range n {
		payload := wiretest.NumberedPayload(i, 100_000)
		msgs = wire.AppendMessageHeader(msgs, nil, 1, uint32(len(payload)), 0)
		msgs = append(msgs, payload...)
	}
	wantCode(t, b.Send(e.Root, broker.ByID(0), broker.ByID(0), broker.Partitioning{Kind: broker.PartitionID}, msgs, n), nil)
}

// TestPollAnswerCap: polls asking for every message get answers of at
// most PollAnswerBytes; a consumer polling Next with auto-commit, alone
// or in a group, reads each message exactly once; the cut answers are
// counted; and answers hold their room under the budget until released.
func TestPollAnswerCap(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := brokertest.NewWithOptions(t, broker.Options{Registerer: reg,
		Limits: broker.Limits{RequestMemory: 4 << 20, PollAnswerBytes: 300 << 10}})
	b := e.Broker
	sendBig(t, e, 10)
	member := e.Session(t)
	if _, err := b.Login(member, brokertest.RootUser, brokertest.RootPassword); err != nil {
		t.Fatal(err)
	}
	wantCode(t, b.JoinGroup(member, broker.ByID(0), broker.ByID(0), broker.ByName("g")), nil)
	zero := uint32(0)
	for _, c := range []struct {
		name     string
		s        *broker.Session
		consumer broker.Consumer
		part     *uint32
	}{
		{"consumer", e.Root, broker.Consumer{ID: broker.ByID(7)}, &zero},
		{"group member", member, broker.Consumer{Group: true, ID: broker.ByName("g")}, nil},
	} {
		var all []uint64
		var counts []uint32
		for range 10 {
			var hold broker.AnswerHold
			res, out, err := b.PollMessages(c.s, broker.Poll{Consumer: c.consumer, Stream: broker.ByID(0), Topic: broker.ByID(0),
				Partition: c.part, Strategy: broker.StrategyNext, Count: math.MaxUint32, AutoCommit: true, Hold: &hold}, nil)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if held := b.RequestMemoryHeld(); held != int64(len(out)) || hold.Held() != held {
				t.Fatalf("%s: an answer of %d bytes holds %d (budget %d) until written", c.name, len(out), hold.Held(), held)
			}
			hold.Release()
			if res.Count == 0 {
				break
			}
			if len(out) > 300<<10 {
				t.Fatalf("%s: an answer of %d bytes under a cap of %d", c.name, len(out), 300<<10)
			}
			got := wiretest.NumberedOffsets(t, out)
			if len(got) != int(res.Count) || got[len(got)-1] != res.LastOffset {
				t.Fatalf("%s: result says %d to %d, answer holds %v", c.name, res.Count, res.LastOffset, got)
			}
			counts = append(counts, res.Count)
			all = append(all, got...)
		}
		if fmt.Sprint(all) != "[0 1 2 3 4 5 6 7 8 9]" || fmt.Sprint(counts) != "[3 3 3 1]" {
			t.Errorf("%s: read %v in answers of %v", c.name, all, counts)
		}
	}
	if got := counterValue(t, reg, "shale_poll_answers_limited_total", map[string]string{"reason": "poll_answer_bytes"}); got != 6 {
		t.Errorf("poll_answer_bytes cuts = %v, want 6", got)
	}
	if held := b.RequestMemoryHeld(); held != 0 {
		t.Errorf("%d bytes held after every answer was released", held)
	}
}

// TestPollAnswerMemory: an answer stops early when the budget is full,
// waits for room when not even its first message fits, and fails with
// code 1 when the wait ends.
func TestPollAnswerMemory(t *testing.T) {
	reg := prometheus.NewRegistry()
	const budget = 1 << 20
	e := brokertest.NewWithOptions(t, broker.Options{Registerer: reg,
		Limits: broker.Limits{RequestMemory: budget, RequestMemoryWait: time.Minute, PollAnswerBytes: 64 << 20}})
	b := e.Broker
	sendBig(t, e, 10)
	ctx := context.Background()
	poll := func(hold *broker.AnswerHold) (broker.PollResult, []byte, error) {
		return b.PollMessages(e.Root, broker.Poll{Consumer: broker.Consumer{ID: broker.ByID(1)}, Stream: broker.ByID(0), Topic: broker.ByID(0),
			Strategy: broker.StrategyFirst, Count: 10, Hold: hold}, nil)
	}
	// Room for two and a half messages: two come back.
	taken, ok := b.ReserveRequestMemory(ctx, budget-5*bigSize/2)
	if !ok {
		t.Fatal("no room for the reservation")
	}
	var hold broker.AnswerHold
	res, out, err := poll(&hold)
	if err != nil || res.Count != 2 || res.LastOffset != 1 || len(out) != 2*bigSize || hold.Held() != 2*bigSize {
		t.Fatalf("with room for 2.5: %+v, %d bytes, holds %d, %v", res, len(out), hold.Held(), err)
	}
	if got := counterValue(t, reg, "shale_poll_answers_limited_total", map[string]string{"reason": "request_memory"}); got != 1 {
		t.Errorf("request_memory cuts = %v, want 1", got)
	}
	// Without a hold, an answer is bounded by the cap alone.
	if res, _, err := poll(nil); err != nil || res.Count != 10 {
		t.Fatalf("without a hold: %+v, %v", res, err)
	}
	// No room for one: the poll waits, and is answered once room is back.
	got := make(chan error, 1)
	var waiting broker.AnswerHold
	go func() {
		res, _, err := poll(&waiting)
		if err == nil && res.Count == 0 {
			err = fmt.Errorf("empty answer")
		}
		got <- err
	}()
	for counterValue(t, reg, "shale_poll_answers_limited_total", map[string]string{"reason": "request_memory_wait"}) != 1 {
		time.Sleep(time.Millisecond) // until the poll waits
	}
	select {
	case err := <-got:
		t.Fatalf("the poll was answered (%v) while no room was free", err)
	default:
	}
	hold.Release()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if waiting.Held() < bigSize {
		t.Errorf("the answer that waited holds %d bytes", waiting.Held())
	}
	waiting.Release()
	taken()
	if held := b.RequestMemoryHeld(); held != 0 {
		t.Errorf("%d bytes held after every release", held)
	}

	// A short wait that ends: code 1, the same as a request payload gets.
	short := brokertest.NewWithOptions(t, broker.Options{
		Limits: broker.Limits{RequestMemory: budget, RequestMemoryWait: 20 * time.Millisecond}})
	sendBig(t, short, 1)
	full, _ := short.Broker.ReserveRequestMemory(ctx, budget)
	var h broker.AnswerHold
	_, out, err = short.Broker.PollMessages(short.Root, broker.Poll{Consumer: broker.Consumer{ID: broker.ByID(1)}, Stream: broker.ByID(0), Topic: broker.ByID(0),
		Strategy: broker.StrategyFirst, Count: 10, Hold: &h}, nil)
	wantCode(t, err, wire.ErrError)
	if len(out) != 0 || h.Held() != 0 {
		t.Errorf("a refused poll answered %d bytes and holds %d", len(out), h.Held())
	}
	full()
}
