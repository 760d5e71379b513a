package integration

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// TestClusterDedupFailover: with system.message_deduplication on, a
// client that sends to the leader, loses it, and sends the same ids again
// to the new leader stores nothing twice: the new leader's window holds
// the ids it applied as a follower (docs/cluster.md "Dedup"). Messages
// with id 0 are never deduplicated, on either leader.
//
// The nodes also run with a JWT secret set in their configuration (the
// same on each, as docs/cluster.md asks): the leader signs with it, and
// its token works on the next leader.
func TestClusterDedupFailover(t *testing.T) {
	c := startTestCluster(t, ClusterOptions{Direct: true, Env: []string{"SHALE_SYSTEM_MESSAGE_DEDUPLICATION_ENABLED=true",
		"SHALE_HTTP_JWT_ENCODING_SECRET=" + configuredJWTSecret}})
	w := NewWorkload(c)
	// Partition 0 gets the checked messages, partition 1 those with id 0.
	w.Partitions, w.Producers = 2, 0
	if err := w.Setup(time.Minute); err != nil {
		t.Fatal(err)
	}
	w.Partitions = 1 // the checker reads partition 0
	l := mustLeader(t, c)
	// Three batches to the first leader: producer 1, seqs 1..30, and one
	// batch with id 0.
	const batches, batch = 3, 10
	for b := range batches {
		if err := dedupSend(c, w, l, 1, uint64(b*batch+1), batch); err != nil {
			t.Fatalf("send %d to the leader %s: %v", b+1, c.Nodes[l].Name, err)
		}
	}
	if err := dedupSendZero(c, w, l, batch); err != nil {
		t.Fatal(err)
	}
	tok := clusterHTTPLogin(t, c.Nodes[l].HTTP, RootUser, RootPassword)
	if !signedWith(tok, configuredJWTSecret) {
		t.Fatalf("the leader's token is not signed with the configured secret: %s", tok)
	}
	c.Kill(l)
	nl, err := c.WaitLeader(time.Minute, c.Others(l)...)
	if err != nil {
		t.Fatalf("after killing %s: %v", c.Nodes[l].Name, err)
	}
	t.Logf("%s killed; %s leads", c.Nodes[l].Name, c.Nodes[nl].Name)
	if st, b := httpDo(t, c.Nodes[nl].HTTP, tok, "GET", "/streams", ""); st != 200 {
		t.Fatalf("the old leader's token on %s: %d %s", c.Nodes[nl].Name, st, b)
	}
	// The same ids again, in the same batches and then all in one: the new
	// leader drops every one of them. A batch mixing old and new ids keeps
	// the new ones.
	for b := range batches {
		if err := dedupSend(c, w, nl, 1, uint64(b*batch+1), batch); err != nil {
			t.Fatalf("resend %d to the new leader %s: %v", b+1, c.Nodes[nl].Name, err)
		}
	}
	if err := dedupSend(c, w, nl, 1, 1, batches*batch); err != nil {
		t.Fatal(err)
	}
	if err := dedupSend(c, w, nl, 1, batches*batch-4, batch); err != nil { // seqs 26..35
		t.Fatal(err)
	}
	if err := dedupSendZero(c, w, nl, batch); err != nil {
		t.Fatal(err)
	}

	c.Start(l)
	reps, err := w.Converge(2 * time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	r := Check(w.Ledger, reps)
	if !r.OK() {
		t.Fatalf("checker: %s", r)
	}
	// Producer 1's 35 distinct ids once each (the checker found no
	// duplicate), and both batches with id 0 whole on partition 1.
	if r.Messages != batches*batch+5 {
		t.Errorf("%d messages on partition 0, want %d", r.Messages, batches*batch+5)
	}
	both := &Workload{C: c, Ledger: NewLedger(), Stream: w.Stream, Topic: w.Topic, Partitions: 2}
	for i := range c.Nodes {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		rep, err := both.ReadReplica(ctx, i)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, m := range rep.Partitions[1] {
			ids[string(m.ID())] = true
		}
		if len(rep.Partitions[1]) != 2*batch || len(ids) != 2*batch {
			t.Errorf("%s: %d messages sent with id 0 kept with %d distinct ids, want %d", rep.Node, len(rep.Partitions[1]), len(ids), 2*batch)
		}
	}
	t.Logf("dedup across a failover: %s", r)
}

// dedupSend sends producer's seqs from..from+n-1 to partition 0 of node i
// and records them acknowledged.
func dedupSend(c *Cluster, w *Workload, i int, producer, from uint64, n int) error {
	keys, msgs := w.checkedBatch(producer, from, n, 1)
	return c.OnNode(i, func(ctx context.Context, cl *client.Client) error {
		if err := cl.Send(ctx, wire.NamedID(w.Stream), wire.NamedID(w.Topic), wire.PartitionID(0), n, msgs); err != nil {
			return err
		}
		w.Ledger.Acked(0, keys)
		return nil
	})
}

// dedupSendZero sends n messages with id 0 (the server gives each a
// random id) to partition 1 of node i.
func dedupSendZero(c *Cluster, w *Workload, i int, n int) error {
	var msgs []byte
	for j := range n {
		msgs = wire.AppendSendMessage(msgs, make([]byte, 16), 1, []byte(fmt.Sprintf("id zero %d", j)), nil)
	}
	return c.OnNode(i, func(ctx context.Context, cl *client.Client) error {
		return cl.Send(ctx, wire.NamedID(w.Stream), wire.NamedID(w.Topic), wire.PartitionID(1), n, msgs)
	})
}

// configuredJWTSecret is the [http.jwt] secret TestClusterDedupFailover's
// nodes are configured with.
const configuredJWTSecret = "a-secret-every-node-shares"

// signedWith reports whether an HS256 token's signature is secret's.
func signedWith(token, secret string) bool {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(token[:i]))
	return token[i+1:] == base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
