package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shalemq/shale/wire"
)

// TestClusterSharedAuth: the root user and the generated JWT key are the
// cluster's, written once by its first leader (docs/cluster.md "Shared
// state"). An HTTP token issued by the leader is accepted by every node
// and, after the leader is SIGKILLed, by the new leader; root logs in on
// every node with the one password and is the same record everywhere;
// users and personal access tokens made on the leader work on every node,
// also on a follower that was down meanwhile and caught up from a
// snapshot.
func TestClusterSharedAuth(t *testing.T) {
	c := startTestCluster(t, ClusterOptions{Direct: true})
	l := mustLeader(t, c)
	lh := c.Nodes[l].HTTP
	tok := clusterHTTPLogin(t, lh, RootUser, RootPassword)
	if st, b := httpDo(t, lh, tok, "POST", "/users", `{"username":"alice","password":"alice-secret","status":"active","permissions":null}`); st/100 != 2 {
		t.Fatalf("create alice on the leader: %d %s", st, b)
	}
	_, b := httpDo(t, lh, tok, "POST", "/personal-access-tokens", `{"name":"ops","expiry":0}`)
	var pat struct{ Token string }
	if err := json.Unmarshal(b, &pat); err != nil || pat.Token == "" {
		t.Fatalf("create a token on the leader: %s %v", b, err)
	}

	// Every node: root, alice and the token log in; the leader's JWT
	// works; a JWT a follower issued works on the leader; root is one
	// record (same id and creation time).
	var rootCreated string
	for i, n := range c.Nodes {
		waitHTTPLogin(t, n.HTTP, RootUser, RootPassword)
		waitHTTPLogin(t, n.HTTP, "alice", "alice-secret")
		if st, b := httpDo(t, n.HTTP, "", "POST", "/personal-access-tokens/login", `{"token":"`+pat.Token+`"}`); st != 200 {
			t.Errorf("%s: token login: %d %s", n.Name, st, b)
		}
		st, b := httpDo(t, n.HTTP, tok, "GET", "/users/0", "")
		if st != 200 {
			t.Fatalf("%s: the leader's JWT: %d %s", n.Name, st, b)
		}
		var root struct {
			ID        uint32 `json:"id"`
			CreatedAt uint64 `json:"created_at"`
			Username  string `json:"username"`
		}
		if err := json.Unmarshal(b, &root); err != nil || root.Username != RootUser {
			t.Fatalf("%s: root: %s %v", n.Name, b, err)
		}
		if got := fmt.Sprint(root.ID, root.CreatedAt); i == 0 {
			rootCreated = got
		} else if got != rootCreated {
			t.Errorf("%s: root is %s, node-1's %s", n.Name, got, rootCreated)
		}
		own := clusterHTTPLogin(t, n.HTTP, RootUser, RootPassword)
		if st, b := httpDo(t, lh, own, "GET", "/users", ""); st != 200 {
			t.Errorf("%s's JWT on the leader: %d %s", n.Name, st, b)
		}
	}

	// A follower goes down; the leader makes a user and enough entries
	// that its log is truncated past the follower, which then catches up
	// from a snapshot.
	f := c.Others(l)[0]
	c.Kill(f)
	if st, b := httpDo(t, lh, tok, "POST", "/users", `{"username":"bob","password":"bob-secret","status":"active","permissions":null}`); st/100 != 2 {
		t.Fatalf("create bob: %d %s", st, b)
	}
	fillLog(t, c, l, 1300)
	c.Start(f)
	waitHTTPLogin(t, c.Nodes[f].HTTP, "bob", "bob-secret")
	if st, b := httpDo(t, c.Nodes[f].HTTP, tok, "GET", "/users", ""); st != 200 || !strings.Contains(string(b), `"bob"`) {
		t.Errorf("%s after its snapshot: %d %s", c.Nodes[f].Name, st, b)
	}
	if n := scrapeCounter(t, c.Nodes[f].HTTP, "shale_cluster_snapshots_installed_total"); n < 1 {
		t.Errorf("%s caught up without a snapshot (%v installed): the test did not reach the snapshot path", c.Nodes[f].Name, n)
	}

	// The leader is killed: its token works on the new leader, for a read
	// and for a write.
	c.Kill(l)
	nl, err := c.WaitLeader(time.Minute, c.Others(l)...)
	if err != nil {
		t.Fatal(err)
	}
	nh := c.Nodes[nl].HTTP
	if st, b := httpDo(t, nh, tok, "GET", "/users", ""); st != 200 {
		t.Fatalf("the old leader's JWT on the new leader %s: %d %s", c.Nodes[nl].Name, st, b)
	}
	if st, b := httpDo(t, nh, tok, "POST", "/streams", `{"name":"after-failover"}`); st/100 != 2 {
		t.Fatalf("a write with the old leader's JWT on %s: %d %s", c.Nodes[nl].Name, st, b)
	}
	// Restarted, the old leader still accepts it (the key is in its
	// database), and so does its new leader's.
	c.Start(l)
	waitHTTPLogin(t, c.Nodes[l].HTTP, RootUser, RootPassword)
	newTok := clusterHTTPLogin(t, nh, "alice", "alice-secret")
	for _, tk := range []string{tok, newTok} {
		if st, b := httpDo(t, c.Nodes[l].HTTP, tk, "GET", "/personal-access-tokens", ""); st != 200 {
			t.Errorf("%s restarted: a JWT: %d %s", c.Nodes[l].Name, st, b)
		}
	}
}

// httpDo makes one request to addr with the JWT (none when empty) and
// returns the status and body.
func httpDo(t *testing.T, addr, jwt, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if jwt != "" {
		req.Header.Set("Authorization", "Bearer "+jwt)
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s on %s: %v", method, path, addr, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func clusterHTTPLogin(t *testing.T, addr, user, pass string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": pass})
	st, b := httpDo(t, addr, "", "POST", "/users/login", string(body))
	var id struct {
		AccessToken struct{ Token string } `json:"access_token"`
	}
	if err := json.Unmarshal(b, &id); st != 200 || err != nil || id.AccessToken.Token == "" {
		t.Fatalf("http login of %s on %s: %d %s", user, addr, st, b)
	}
	return id.AccessToken.Token
}

// waitHTTPLogin waits until user can log in over HTTP on addr (a follower
// shows a user once it applied its creation): a liveness bound, not a
// speed assertion.
func waitHTTPLogin(t *testing.T, addr, user, pass string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": pass})
	deadline := time.Now().Add(time.Minute)
	for {
		st, b := httpDo(t, addr, "", "POST", "/users/login", string(body))
		if st == 200 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s cannot log in on %s: %d %s", user, addr, st, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// fillLog sends n one-message batches to node i over four connections,
// n raft entries.
func fillLog(t *testing.T, c *Cluster, i, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	setup, err := c.Dial(ctx, i, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer setup.Close()
	if _, err := setup.CreateStream(ctx, "fill"); err != nil {
		t.Fatal(err)
	}
	if _, err := setup.CreateTopic(ctx, wire.CreateTopic{Stream: wire.NamedID("fill"), Name: "fill", PartitionsCount: 1}); err != nil {
		t.Fatal(err)
	}
	const conns = 4
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := c.Dial(ctx, i, 10*time.Second)
			if err != nil {
				errs <- err
				return
			}
			defer cl.Close()
			for j := w; j < n; j += conns {
				msg := wire.AppendSendMessage(nil, make([]byte, 16), 1, []byte("fill"), nil)
				if err := cl.Send(ctx, wire.NamedID("fill"), wire.NamedID("fill"), wire.PartitionID(0), 1, msg); err != nil {
					errs <- fmt.Errorf("fill send %d: %w", j, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// scrapeCounter reads one unlabelled series from addr's /metrics (0 when
// absent).
func scrapeCounter(t *testing.T, addr, name string) float64 {
	t.Helper()
	st, b := httpDo(t, addr, "", "GET", "/metrics", "")
	if st != 200 {
		t.Fatalf("GET /metrics on %s: %d", addr, st)
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		var v float64
		if rest, ok := bytes.CutPrefix(line, []byte(name+" ")); ok {
			if _, err := fmt.Sscan(string(rest), &v); err == nil {
				return v
			}
		}
	}
	return 0
}
