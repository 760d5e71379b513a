package integration

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// TestClusterDemotedLeaderConnections: a leader cut off from the others
// while clients over TCP and QUIC send to it answers those sends, in
// flight while it still leads or arriving as it steps down, with 8
// (disconnected), the code Iggy clients reconnect on, and then closes both
// connections, so neither client is left on a node that can no longer
// write.
func TestClusterDemotedLeaderConnections(t *testing.T) {
	c := startTestCluster(t, ClusterOptions{})
	l := mustLeader(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tcpc, err := c.Dial(ctx, l, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer tcpc.Close()
	if _, err := tcpc.CreateStream(ctx, "rc"); err != nil {
		t.Fatal(err)
	}
	if _, err := tcpc.CreateTopic(ctx, wire.CreateTopic{Stream: wire.NamedID("rc"), PartitionsCount: 1, Name: "t"}); err != nil {
		t.Fatal(err)
	}
	quicc, err := client.DialQUIC(ctx, c.Nodes[l].QUIC, client.Options{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer quicc.Close()
	if _, err := quicc.Login(ctx, RootUser, RootPassword); err != nil {
		t.Fatal(err)
	}
	clients := map[string]*client.Client{"tcp": tcpc, "quic": quicc}
	for name, cl := range clients {
		if err := cl.Send(ctx, wire.NamedID("rc"), wire.NamedID("t"), wire.PartitionID(0), 1, batch(name, 1)); err != nil {
			t.Fatalf("%s: send to the leader: %v", name, err)
		}
	}

	// Cut off (its links stalled), the leader proposes the sends but can
	// never commit them; it steps down within an election timeout.
	c.Isolate(l, LinkStall)
	defer c.HealAll()
	var wg sync.WaitGroup
	sent := map[string]error{}
	var mu sync.Mutex
	for name, cl := range clients {
		wg.Go(func() {
			err := cl.Send(ctx, wire.NamedID("rc"), wire.NamedID("t"), wire.PartitionID(0), 1, batch(name, 1))
			mu.Lock()
			sent[name] = err
			mu.Unlock()
		})
	}
	wg.Wait()
	for name, err := range sent {
		if !errors.Is(err, wire.ErrDisconnected) {
			t.Errorf("%s: a send to the cut-off leader answered %v, want 8 (disconnected)", name, err)
		} else {
			t.Logf("%s: the send answered %v", name, err)
		}
	}
	// Then the connections close: a request fails on the connection
	// itself (over TCP after the status-8 notice) rather than being
	// answered, by code (30 for the dropped session) or not, forever.
	// The deadline is a liveness bound.
	for name, cl := range clients {
		deadline := time.Now().Add(time.Minute)
		for {
			pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
			err := cl.Ping(pctx)
			pcancel()
			var we *wire.Error
			if err != nil && !errors.As(err, &we) {
				t.Logf("%s: the connection ended: %v", name, err)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the demoted leader %s still serves the connection (last ping: %v)", name, c.Nodes[l].Name, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}
