package quic

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/listeners/binproto"
	"github.com/shalemq/shale/listeners/binproto/binprototest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestListener serves the binprototest conversation over QUIC, one stream
// per request, with the Rust SDK's transport settings on the client.
func TestListener(t *testing.T) {
	env := brokertest.New(t)
	ln, err := Listen(binproto.NewServer(env.Broker, binproto.Options{Transport: "quic"}),
		Options{Address: "127.0.0.1:0", TLS: binprototest.ServerTLS(t)})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- ln.Serve() }()
	c, err := client.DialQUIC(context.Background(), ln.Addr(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	binprototest.Exercise(t, c)
	c.Close()
	if err := ln.Shutdown(context.Background()); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
}
