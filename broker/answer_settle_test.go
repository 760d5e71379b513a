package broker_test

import (
	"context"
	"testing"
	"time"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
)

// TestAnswerHoldSettle: Settle makes a hold exactly the size the listener
// keeps, taking room past the budget rather than failing an answer
// already built, so that later requests wait until it is released; it
// gives back what the answer no longer needs, and does nothing without a
// budget.
func TestAnswerHoldSettle(t *testing.T) {
	const budget = 1 << 20
	e := brokertest.NewWithOptions(t, broker.Options{
		Limits: broker.Limits{RequestMemory: budget, RequestMemoryWait: 20 * time.Millisecond, PollAnswerBytes: 64 << 20}})
	b := e.Broker
	sendBig(t, e, 4)
	poll := func(env *brokertest.Env, hold *broker.AnswerHold) {
		t.Helper()
		res, _, err := env.Broker.PollMessages(env.Root, broker.Poll{Consumer: broker.Consumer{ID: broker.ByID(1)}, Stream: broker.ByID(0), Topic: broker.ByID(0),
			Strategy: broker.StrategyFirst, Count: 2, Hold: hold}, nil)
		if err != nil || res.Count != 2 {
			t.Fatalf("poll: %+v, %v", res, err)
		}
	}
	var hold broker.AnswerHold
	poll(e, &hold)
	if hold.Held() != 2*bigSize || b.RequestMemoryHeld() != 2*bigSize {
		t.Fatalf("the stored answer holds %d (budget %d), want %d", hold.Held(), b.RequestMemoryHeld(), 2*bigSize)
	}
	// The rest of the budget goes to a request; the rendered answer is
	// still counted in full, past the budget.
	rest, ok := b.ReserveRequestMemory(context.Background(), budget-2*bigSize)
	if !ok {
		t.Fatal("no room for the reservation")
	}
	rendered := 3 * bigSize
	hold.Settle(rendered)
	if hold.Held() != int64(rendered) || b.RequestMemoryHeld() != budget+bigSize {
		t.Fatalf("settled at %d: holds %d, budget %d, want %d and %d", rendered, hold.Held(), b.RequestMemoryHeld(), rendered, budget+bigSize)
	}
	// Overdrawn, the budget has room for nothing more: a large request
	// waits and is refused; once the request and the answer are given
	// back, it fits again.
	if _, ok := b.ReserveRequestMemory(context.Background(), 100<<10); ok {
		t.Fatal("a request found room in an overdrawn budget")
	}
	rest()
	if _, ok := b.ReserveRequestMemory(context.Background(), int64(budget-rendered+1)); ok {
		t.Fatal("a request found room the settled answer holds")
	}
	hold.Settle(2 * bigSize)
	if hold.Held() != 2*bigSize || b.RequestMemoryHeld() != 2*bigSize {
		t.Fatalf("settled back: holds %d, budget %d", hold.Held(), b.RequestMemoryHeld())
	}
	hold.Settle(broker.SmallRequest)
	if hold.Held() != 0 || b.RequestMemoryHeld() != 0 {
		t.Fatalf("settled small: holds %d, budget %d", hold.Held(), b.RequestMemoryHeld())
	}
	hold.Release()
	if b.RequestMemoryHeld() != 0 {
		t.Fatalf("%d bytes held after release", b.RequestMemoryHeld())
	}

	// Without a budget nothing is held, whatever the size.
	free := brokertest.NewWithOptions(t, broker.Options{Limits: broker.Limits{PollAnswerBytes: 64 << 20}})
	sendBig(t, free, 2)
	var h broker.AnswerHold
	poll(free, &h)
	h.Settle(1 << 30)
	if h.Held() != 0 || free.Broker.RequestMemoryHeld() != 0 {
		t.Fatalf("without a budget: holds %d, budget %d", h.Held(), free.Broker.RequestMemoryHeld())
	}
}
