package tcp

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

// TestListener serves the binprototest conversation over a real TCP
// socket, then shuts down with the client still connected.
func TestListener(t *testing.T) {
	env := brokertest.New(t)
	ln, err := Listen(binproto.NewServer(env.Broker, binproto.Options{Transport: "tcp"}), Options{Address: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- ln.Serve() }()
	c, err := client.Dial(context.Background(), ln.Addr().String(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	binprototest.Exercise(t, c)
	if err := ln.Shutdown(context.Background()); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
}
