package broker_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
)

// TestAdmitConnection: the per-transport and per-address caps refuse the
// connection past them, each refusal is counted by reason, the log says
// so at most once a second, and a released connection frees its place.
func TestAdmitConnection(t *testing.T) {
	reg := prometheus.NewRegistry()
	logs := &bytes.Buffer{}
	env := brokertest.NewWithOptions(t, broker.Options{Registerer: reg, Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Limits: broker.Limits{MaxConnections: map[broker.Transport]int{broker.TransportTCP: 3}, MaxConnectionsPerAddress: 2}})
	b := env.Broker
	admit := func(t broker.Transport, addr string) func() {
		release, ok := b.AdmitConnection(t, addr)
		if !ok {
			return nil
		}
		return release
	}
	a1 := admit(broker.TransportTCP, "10.0.0.1:1000")
	a2 := admit(broker.TransportTCP, "10.0.0.1:1001")
	if a1 == nil || a2 == nil {
		t.Fatal("the first two connections of an address were refused")
	}
	if admit(broker.TransportTCP, "10.0.0.1:1002") != nil {
		t.Error("a third connection from one address was admitted (cap 2)")
	}
	// Another transport counts on its own.
	if admit(broker.TransportQUIC, "10.0.0.1:1003") == nil {
		t.Error("QUIC was refused for the address's TCP connections")
	}
	b3 := admit(broker.TransportTCP, "10.0.0.2:1000")
	if b3 == nil {
		t.Fatal("another address was refused")
	}
	if admit(broker.TransportTCP, "10.0.0.3:1000") != nil {
		t.Error("a fourth TCP connection was admitted (cap 3)")
	}
	a1()
	a1() // twice is harmless
	if admit(broker.TransportTCP, "10.0.0.1:1004") == nil {
		t.Error("a released place was not given back")
	}
	for reason, want := range map[string]float64{"per_address": 1, "max_connections": 1} {
		if got := counterValue(t, reg, "shale_connections_refused_total", map[string]string{"transport": "tcp", "reason": reason}); got != want {
			t.Errorf("refused{tcp,%s} = %v, want %v", reason, got, want)
		}
	}
	// Two refusals within a second: one line.
	if n := strings.Count(logs.String(), "connection refused"); n != 1 {
		t.Errorf("%d log lines for two refusals within a second, want 1:\n%s", n, logs)
	}
}

// TestRequestMemory: payloads up to broker.SmallRequest are free; larger
// ones share the budget, wait in order for room, are refused when the
// wait ends or when they exceed the whole budget, and give their room back.
func TestRequestMemory(t *testing.T) {
	env := brokertest.NewWithOptions(t, broker.Options{
		Limits: broker.Limits{RequestMemory: 1 << 20, RequestMemoryWait: 50 * time.Millisecond}})
	b := env.Broker
	ctx := context.Background()
	small, ok := b.ReserveRequestMemory(ctx, broker.SmallRequest)
	if !ok {
		t.Fatal("a small payload was refused")
	}
	small()
	big, ok := b.ReserveRequestMemory(ctx, 700<<10)
	if !ok {
		t.Fatal("a payload within the budget was refused")
	}
	if held := b.RequestMemoryHeld(); held != 700<<10 {
		t.Errorf("held %d, want %d", held, 700<<10)
	}
	if _, ok := b.ReserveRequestMemory(ctx, 400<<10); ok {
		t.Error("a payload past the budget was admitted without waiting for room")
	}
	if _, ok := b.ReserveRequestMemory(ctx, 2<<20); ok {
		t.Error("a payload larger than the whole budget was admitted")
	}
	// A waiter is served when room is given back.
	got := make(chan func(), 1)
	reg := prometheus.NewRegistry()
	long := brokertest.NewWithOptions(t, broker.Options{Registerer: reg,
		Limits: broker.Limits{RequestMemory: 1 << 20, RequestMemoryWait: time.Minute}}).Broker
	first, _ := long.ReserveRequestMemory(ctx, 700<<10)
	go func() {
		r, ok := long.ReserveRequestMemory(ctx, 400<<10)
		if !ok {
			r = nil
		}
		got <- r
	}()
	for counterValue(t, reg, "shale_request_memory_waits_total", nil) != 1 {
		time.Sleep(time.Millisecond) // until the waiter waits
	}
	select {
	case <-got:
		t.Fatal("the waiter got room that was still held")
	default:
	}
	first()
	r := <-got
	if r == nil {
		t.Fatal("the waiter was refused after room was given back")
	}
	r()
	big()
	if held := b.RequestMemoryHeld() + long.RequestMemoryHeld(); held != 0 {
		t.Errorf("%d bytes still held after every release", held)
	}
}

// counterValue is the value of the counter name whose labels include
// labels.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no %s%v", name, labels)
	return 0
}
