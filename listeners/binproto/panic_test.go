package binproto_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/shalemq/shale/kv/kvtest"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/listeners/binproto"
	"github.com/shalemq/shale/listeners/binproto/binprototest"
	"github.com/shalemq/shale/listeners/quic"
	"github.com/shalemq/shale/listeners/tcp"
	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/wiretest"
)

// TestPanicBoundary makes the stats handler panic on a real TCP and a
// real QUIC listener: the request is answered 1 (generic error, no
// payload), the panic is logged with the command and a stack and counted
// in shale_handler_panics_total, and the next requests on the same
// connection are served.
func TestPanicBoundary(t *testing.T) {
	binproto.SetPanicHook(t, func(command string) {
		if command == "stats" {
			panic("injected: secret internal detail")
		}
	})
	for _, transport := range []string{"tcp", "quic"} {
		t.Run(transport, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			env := brokertest.NewWithOptions(t, broker.Options{Registerer: reg})
			logs := &kvtest.LogBuffer{}
			srv := binproto.NewServer(env.Broker, binproto.Options{Transport: transport,
				Logger: slog.New(slog.NewTextHandler(logs, nil))})
			c := listen(t, transport, srv)
			ctx := context.Background()
			if _, err := c.Login(ctx, brokertest.RootUser, brokertest.RootPassword); err != nil {
				t.Fatal(err)
			}
			raw := func(name string) (uint32, []byte) {
				t.Helper()
				frame, err := wiretest.Request(name)
				if err != nil {
					t.Fatal(err)
				}
				status, payload, err := c.Raw(ctx, frame)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				return status, payload
			}
			for i := 0; i < 2; i++ {
				if st, payload := raw("get_stats"); st != wire.ErrError.Code || len(payload) != 0 {
					t.Errorf("panicking get_stats: status %d, %d payload bytes; want 1 and none", st, len(payload))
				}
				if st, _ := raw("ping"); st != 0 {
					t.Errorf("ping after the panic: %d", st)
				}
				if st, _ := raw("get_streams"); st != 0 {
					t.Errorf("get_streams after the panic: %d", st)
				}
			}
			got := panics(t, reg, transport, "stats")
			if got != 2 {
				t.Errorf("shale_handler_panics_total{transport=%q,command=\"stats\"} = %v, want 2", transport, got)
			}
			log := logs.String()
			for _, want := range []string{"handler panicked", "command=stats", "injected: secret internal detail", "goroutine ", "panic_test.go"} {
				if !strings.Contains(log, want) {
					t.Errorf("log lacks %q:\n%s", want, log)
				}
			}
		})
	}
}

// listen serves srv on a real socket of transport and dials it.
func listen(t *testing.T, transport string, srv *binproto.Server) *client.Client {
	t.Helper()
	ctx := context.Background()
	var (
		serve    func() error
		shutdown func(context.Context) error
		c        *client.Client
	)
	switch transport {
	case "tcp":
		ln, err := tcp.Listen(srv, tcp.Options{Address: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		serve, shutdown = ln.Serve, ln.Shutdown
		go func() { _ = serve() }()
		if c, err = client.Dial(ctx, ln.Addr().String(), client.Options{}); err != nil {
			t.Fatal(err)
		}
	case "quic":
		ln, err := quic.Listen(srv, quic.Options{Address: "127.0.0.1:0", TLS: binprototest.ServerTLS(t)})
		if err != nil {
			t.Fatal(err)
		}
		serve, shutdown = ln.Serve, ln.Shutdown
		go func() { _ = serve() }()
		if c, err = client.DialQUIC(ctx, ln.Addr(), client.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		c.Close()
		if err := shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return c
}

// panics reads one series of shale_handler_panics_total from reg.
func panics(t *testing.T, reg *prometheus.Registry, transport, command string) float64 {
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
			if labels["transport"] == transport && labels["command"] == command {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no shale_handler_panics_total series for %s/%s", transport, command)
	return 0
}
