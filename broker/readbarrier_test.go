package broker_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/wire"
)

// TestReadBarrier: offset reads and Next polls pass the read barrier
// first and answer its refusal instead of the stored offset; polls by
// position, offset stores and unauthenticated sessions never ask it.
func TestReadBarrier(t *testing.T) {
	e, consumer := offsetEnv(t)
	b := e.Broker
	calls := 0
	var refuse error
	b.SetReadBarrier(func(context.Context) error {
		calls++
		return refuse
	})
	refuse = fmt.Errorf("cut off: %w", wire.ErrDisconnected)
	asked := func(what string, want int) {
		t.Helper()
		if calls != want {
			t.Fatalf("%s: %d barrier calls, want %d", what, calls, want)
		}
		calls = 0
	}

	off, ok, err := b.ConsumerOffset(e.Root, consumer, broker.ByID(0), broker.ByID(0), nil)
	wantCode(t, err, wire.ErrDisconnected)
	if ok || off.StoredOffset != 0 {
		t.Fatalf("refused read answered %+v ok=%v", off, ok)
	}
	asked("offset read", 1)
	group := broker.Consumer{Group: true, ID: broker.ByName("g")}
	_, _, err = b.ConsumerOffset(e.Root, group, broker.ByID(0), broker.ByID(0), nil)
	wantCode(t, err, wire.ErrDisconnected)
	asked("group offset read", 1)
	// A stream that does not exist (here) is refused too, not "nothing stored".
	_, ok, err = b.ConsumerOffset(e.Root, consumer, broker.ByName("made elsewhere"), broker.ByID(0), nil)
	wantCode(t, err, wire.ErrDisconnected)
	asked("offset read of an unknown stream", 1)

	next := broker.Poll{Consumer: consumer, Stream: broker.ByID(0), Topic: broker.ByID(0), Strategy: broker.StrategyNext, Count: 10, AutoCommit: true}
	res, out, err := b.PollMessages(e.Root, next, nil)
	wantCode(t, err, wire.ErrDisconnected)
	if res.Count != 0 || len(out) != 0 {
		t.Fatalf("refused poll returned %d messages", res.Count)
	}
	asked("next poll", 1)
	byOffset := next
	byOffset.Strategy, byOffset.AutoCommit = broker.StrategyOffset, false
	if res, _, err := b.PollMessages(e.Root, byOffset, nil); err != nil || res.Count != 3 {
		t.Fatalf("poll by offset: %+v %v", res, err)
	}
	asked("poll by offset", 0)
	wantCode(t, b.StoreConsumerOffset(e.Root, consumer, broker.ByID(0), broker.ByID(0), nil, 2), nil)
	asked("offset store", 0)
	_, _, err = b.ConsumerOffset(e.Session(t), consumer, broker.ByID(0), broker.ByID(0), nil)
	wantCode(t, err, wire.ErrUnauthenticated)
	asked("unauthenticated read", 0)

	refuse = nil
	off, ok, err = b.ConsumerOffset(e.Root, consumer, broker.ByID(0), broker.ByID(0), nil)
	if err != nil || !ok || off.StoredOffset != 2 {
		t.Fatalf("confirmed read: %+v ok=%v err=%v", off, ok, err)
	}
	asked("confirmed offset read", 1)

	b.SetReadBarrier(nil)
	if _, _, err := b.PollMessages(e.Root, next, nil); err != nil {
		t.Fatal(err)
	}
	asked("next poll without a barrier", 0)
}
