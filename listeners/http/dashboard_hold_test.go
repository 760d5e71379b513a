package http

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shalemq/shale/admin"
	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/wire"
)

// TestDashboardPollHold: the dashboard's message browser polls under the
// request memory budget like a client: with room for two and a half
// messages it shows two, with none it says so, and it gives its room
// back once the page is drawn.
func TestDashboardPollHold(t *testing.T) {
	const budget, payload = 1 << 20, 100_000
	env := brokertest.NewWithOptions(t, broker.Options{Limits: broker.Limits{
		RequestMemory: budget, RequestMemoryWait: 20 * time.Millisecond, PollAnswerBytes: 64 << 20}})
	srv, err := New(env.Broker, Options{JWT: testJWT(), Dashboard: &admin.Options{Durability: "sync", Version: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.dash.Close() })
	b := env.Broker
	env.Fill(t, 10, payload)
	const size = wire.MessageHeaderSize + payload

	resp, _ := dashCall(t, srv, "POST", "/ui/login", "", url.Values{"username": {brokertest.RootUser}, "password": {brokertest.RootPassword}}, nil)
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == "shale_ui" {
			cookie = c.Value
		}
	}
	browse := func() string {
		t.Helper()
		resp, page := dashCall(t, srv, "GET", "/ui/streams/0/topics/0/messages?strategy=first&count=10&format=hex", cookie, nil, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("messages page: %d", resp.StatusCode)
		}
		return page
	}
	shown := func(page string) int { return strings.Count(page, `data-offset="`) }

	if page := browse(); shown(page) != 10 {
		t.Fatalf("with the budget free the page shows %d messages, want 10", shown(page))
	}
	if held := b.RequestMemoryHeld(); held != 0 {
		t.Fatalf("%d bytes held after the page was drawn", held)
	}
	taken, ok := b.ReserveRequestMemory(context.Background(), budget-5*size/2)
	if !ok {
		t.Fatal("no room for the reservation")
	}
	if page := browse(); shown(page) != 2 {
		t.Fatalf("with room for 2.5 messages the page shows %d, want 2", shown(page))
	}
	if held := b.RequestMemoryHeld(); held != budget-5*size/2 {
		t.Fatalf("%d bytes held after the page was drawn, want the reservation's %d", held, budget-5*size/2)
	}
	taken()
	full, _ := b.ReserveRequestMemory(context.Background(), budget)
	if page := browse(); shown(page) != 0 || !strings.Contains(page, "request memory limit") {
		t.Fatalf("with no room the page shows %d messages and no problem", shown(page))
	}
	full()
	if held := b.RequestMemoryHeld(); held != 0 {
		t.Fatalf("%d bytes held after every release", held)
	}
}
