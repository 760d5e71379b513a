package http

import (
	"context"
	"io"
	"log/slog"
	nethttp "net/http"
	"net/http/httptrace"
	"strings"
	"testing"

	"github.com/shalemq/shale/kv/kvtest"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shalemq/shale/admin"
	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
)

// injectPanics makes the handlers of the named routes ("GET /stats")
// panic. It is the test-only hook: it rewrites the app's route table
// in place, before the server starts serving.
func injectPanics(t *testing.T, app *fiber.App, routes ...string) {
	t.Helper()
	found := 0
	for _, byMethod := range app.Stack() {
		for _, r := range byMethod {
			for _, want := range routes {
				if r.Method+" "+r.Path != want || len(r.Handlers) == 0 {
					continue
				}
				found++
				r.Handlers[len(r.Handlers)-1] = func(*fiber.Ctx) error {
					panic("injected: secret internal detail")
				}
			}
		}
	}
	if found != len(routes) {
		t.Fatalf("found %d of the routes %v", found, routes)
	}
}

// TestPanicBoundary makes GET /stats and the dashboard's sign-in page
// panic on a real listener: each answers 500 with a generic reason (JSON
// for REST, plain text for /ui) and nothing of the panic, is logged with
// its command and a stack and counted in shale_handler_panics_total, and
// the next request on the same keep-alive connection is served.
func TestPanicBoundary(t *testing.T) {
	reg := prometheus.NewRegistry()
	env := brokertest.NewWithOptions(t, broker.Options{Registerer: reg})
	logs := &kvtest.LogBuffer{}
	srv, err := New(env.Broker, Options{Address: "127.0.0.1:0",
		Logger:    slog.New(slog.NewTextHandler(logs, nil)),
		JWT:       testJWT(),
		Dashboard: &admin.Options{Durability: "sync", Version: "test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	injectPanics(t, srv.App(), "GET /stats", "GET /ui/login")
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	tok, _, err := srv.issue(0)
	if err != nil {
		t.Fatal(err)
	}
	tr := &nethttp.Transport{MaxConnsPerHost: 1}
	hc := &nethttp.Client{Transport: tr}
	base := "http://" + srv.Addr()
	first := true
	get := func(path string) (int, string, string) {
		t.Helper()
		reused := false
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused },
		})
		req, _ := nethttp.NewRequestWithContext(ctx, "GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !first && !reused {
			t.Errorf("GET %s came on a new connection: the panic closed the old one", path)
		}
		first = false
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	for i := 0; i < 2; i++ {
		st, ct, body := get("/stats")
		if st != 500 || !strings.HasPrefix(ct, "application/json") || body != `{"id":1,"code":"error","reason":"internal error","field":null}` {
			t.Errorf("panicking GET /stats: %d %s %q", st, ct, body)
		}
		if st, _, body := get("/streams"); st != 200 {
			t.Errorf("GET /streams after the panic: %d %q", st, body)
		}
		st, _, body = get("/ui/login")
		if st != 500 || body != "Internal Server Error" {
			t.Errorf("panicking GET /ui/login: %d %q", st, body)
		}
		if st, _, body := get("/ping"); st != 200 || body != "pong" {
			t.Errorf("GET /ping after the panic: %d %q", st, body)
		}
	}
	for cmd, want := range map[string]float64{"stats": 2, "http.dashboard": 2} {
		if got := panicCount(t, reg, cmd); got != want {
			t.Errorf("shale_handler_panics_total{transport=\"http\",command=%q} = %v, want %v", cmd, got, want)
		}
	}
	log := logs.String()
	for _, want := range []string{"handler panicked", "command=stats", "command=http.dashboard", "injected: secret internal detail", "goroutine "} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	tr.CloseIdleConnections()
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
}

func panicCount(t *testing.T, reg *prometheus.Registry, command string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "shale_handler_panics_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["transport"] == "http" && labels["command"] == command {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
