package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shalemq/shale/wire"
)

// TestClusterBackgroundWritersLeaderOnly: with retention and the
// expired-token cleaner running every 200 ms on every node, the leader
// deletes expired messages and tokens and every node ends without them
// (the deletes replicate), while unexpired data stays everywhere; and no
// node logs a background write refused, which a follower sweeping on its
// own would (its writes are refused with code 8).
func TestClusterBackgroundWritersLeaderOnly(t *testing.T) {
	c := startTestCluster(t, ClusterOptions{Env: []string{
		"SHALE_DATA_MAINTENANCE_MESSAGES_INTERVAL=200ms",
		"SHALE_PERSONAL_ACCESS_TOKEN_CLEANER_INTERVAL=200ms",
	}})
	l := mustLeader(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cl, err := c.Dial(ctx, l, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	st := wire.NamedID("bg")
	if _, err := cl.CreateStream(ctx, "bg"); err != nil {
		t.Fatal(err)
	}
	// "brief": every message expires at once (1 µs); "kept": never.
	for _, tp := range []wire.CreateTopic{{Stream: st, PartitionsCount: 1, Name: "brief", MessageExpiry: 1},
		{Stream: st, PartitionsCount: 1, Name: "kept"}} {
		if _, err := cl.CreateTopic(ctx, tp); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cl.Do(ctx, &wire.CreatePersonalAccessToken{Name: "long-lived"}); err != nil {
		t.Fatal(err)
	}
	// Several rounds, so that a follower sweeping on its own would have
	// found replicated, expired messages to delete before the leader's
	// deletion reached it.
	const rounds, perRound = 5, 4
	for round := range rounds {
		for _, tp := range []string{"brief", "kept"} {
			if err := cl.Send(ctx, st, wire.NamedID(tp), wire.PartitionID(0), perRound, batch(tp, perRound)); err != nil {
				t.Fatal(err)
			}
		}
		name := fmt.Sprintf("expiring-%d", round)
		if _, err := cl.Do(ctx, &wire.CreatePersonalAccessToken{Name: name, Expiry: 1}); err != nil {
			t.Fatal(err)
		}
		want := uint64((round + 1) * perRound)
		deadline := time.Now().Add(time.Minute)
		for {
			err := c.backgroundDone(ctx, st, want)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: %v", round, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if got := c.Leader(ctx); got != l {
		t.Logf("the leadership moved from %s during the run (now %d)", c.Nodes[l].Name, got)
	}
	if n := len(c.Nodes[l].Server.Lines("retention deleted messages")); n == 0 {
		t.Errorf("the leader %s logged no retention deletion", c.Nodes[l].Name)
	}
	for _, i := range c.Running() {
		for _, bad := range []string{"not the cluster leader", "retention sweep failed", "expired-token cleanup failed", "cut short"} {
			if lines := c.Nodes[i].Server.Lines(bad); len(lines) > 0 {
				t.Errorf("%s logged a refused background write: %s", c.Nodes[i].Name, strings.Join(lines, "\n"))
			}
		}
	}
}

// backgroundDone checks, on every running node, that topic "brief" of
// stream st holds no message (all expired and swept) though its offsets
// reached sent, that topic "kept" holds all sent messages, and that only
// the token "long-lived" is left.
func (c *Cluster) backgroundDone(ctx context.Context, st wire.Identifier, sent uint64) error {
	for _, i := range c.Running() {
		name := c.Nodes[i].Name
		cl, err := c.adminClient(ctx, i)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for _, tp := range []string{"brief", "kept"} {
			p, err := cl.Poll(ctx, wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)},
				Stream: st, Topic: wire.NamedID(tp), Partition: wire.SomePartition(0),
				Strategy: wire.PollingStrategy{Kind: wire.PollOffset, Value: 0}, Count: 1000})
			if err != nil {
				c.dropAdmin(i)
				return fmt.Errorf("%s: poll %s: %w", name, tp, err)
			}
			switch {
			case p.CurrentOffset+1 < sent:
				return fmt.Errorf("%s: %s ends at offset %d, %d sent", name, tp, p.CurrentOffset, sent)
			case tp == "brief" && p.Count != 0:
				return fmt.Errorf("%s: %s still holds %d expired messages", name, tp, p.Count)
			case tp == "kept" && uint64(p.Count) != sent:
				return fmt.Errorf("%s: %s holds %d of %d messages", name, tp, p.Count, sent)
			}
		}
		b, err := cl.Do(ctx, &wire.GetPersonalAccessTokens{})
		if err != nil {
			c.dropAdmin(i)
			return fmt.Errorf("%s: tokens: %w", name, err)
		}
		toks, err := wire.DecodePersonalAccessTokens(b)
		if err != nil {
			return err
		}
		if len(toks) != 1 || toks[0].Name != "long-lived" {
			return fmt.Errorf("%s: tokens %v, want only long-lived", name, toks)
		}
	}
	return nil
}
