package http

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"strings"
	"testing"
	"time"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/kv/kvtest"
)

// TestPollAnswerHeldUntilWritten: an HTTP poll answer holds its JSON
// body's bytes (not the smaller stored size) under the request memory
// budget until the client has read it, keeps its Content-Length, and
// gives the room back once sent. Under a budget the stored answer fits
// but its JSON does not, the answer still goes out whole, its JSON
// counted past the budget.
func TestPollAnswerHeldUntilWritten(t *testing.T) {
	for _, budget := range []int64{64 << 20, 20 << 20} {
		t.Run(fmt.Sprintf("budget=%dMiB", budget>>20), func(t *testing.T) { testPollAnswerHeld(t, budget) })
	}
}

func testPollAnswerHeld(t *testing.T, budget int64) {
	const n, payload = 16, 1 << 20
	env := brokertest.NewWithOptions(t, broker.Options{Limits: broker.Limits{RequestMemory: budget, PollAnswerBytes: 64 << 20}})
	b := env.Broker
	addr := serveEnv(t, env, 0)
	answer := env.Fill(t, n, payload)

	resp, err := nethttp.Post("http://"+addr+"/users/login", "application/json",
		strings.NewReader(`{"username":"`+brokertest.RootUser+`","password":"`+brokertest.RootPassword+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var id struct {
		AccessToken struct{ Token string } `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&id); err != nil || resp.StatusCode != 200 {
		t.Fatalf("login: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /streams/0/topics/0/messages?consumer_id=1&partition_id=0&kind=first&count=4294967295 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", id.AccessToken.Token)
	// Once the answer's first bytes arrive, the server is writing it; the
	// JSON of 16 MiB of messages cannot all sit in the sockets' buffers
	// while nothing more is read, so the write stalls with the room held.
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err = nethttp.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	// What is held is the JSON body being written, larger than the
	// stored messages the poll read.
	if held := b.RequestMemoryHeld(); held != resp.ContentLength || held <= answer {
		t.Fatalf("%d bytes held while the answer is being written, want its body's %d (stored %d)", held, resp.ContentLength, answer)
	}
	if answer <= budget && budget < 64<<20 && resp.ContentLength <= budget {
		t.Fatalf("the %d-byte JSON fits the %d-byte budget: the case past the budget is not tested", resp.ContentLength, budget)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, resp.ContentLength))
	if err != nil || resp.StatusCode != 200 || resp.ContentLength <= answer || int64(len(body)) != resp.ContentLength {
		t.Fatalf("answer: %d, Content-Length %d, read %d bytes, %v", resp.StatusCode, resp.ContentLength, len(body), err)
	}
	var polled struct{ Count int }
	if err := json.Unmarshal(body, &polled); err != nil || polled.Count != n {
		t.Fatalf("answer holds %d messages (%v), want %d", polled.Count, err, n)
	}
	kvtest.WaitFor(t, 20*time.Second, func() error {
		if held := b.RequestMemoryHeld(); held != 0 {
			return fmt.Errorf("%d bytes still held after the answer was read", held)
		}
		return nil
	})
}
