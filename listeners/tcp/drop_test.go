package tcp

import (
	"context"
	"errors"
	"testing"

	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/listeners/binproto"
	"github.com/shalemq/shale/wire"
)

// TestCloseConns: an idle connection gets the status-8 notice and is
// closed; the listener goes on accepting, and a new connection is served.
func TestCloseConns(t *testing.T) {
	env := brokertest.New(t)
	ln, err := Listen(binproto.NewServer(env.Broker, binproto.Options{Transport: "tcp"}), Options{Address: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- ln.Serve() }()
	ctx := context.Background()
	c, err := client.Dial(ctx, ln.Addr().String(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if n := ln.CloseConns(); n != 1 {
		t.Errorf("CloseConns ended %d connections, want 1", n)
	}
	if err := c.Ping(ctx); !errors.Is(err, wire.ErrDisconnected) {
		t.Errorf("first request after CloseConns: %v, want the status-8 notice", err)
	}
	if err := c.Ping(ctx); err == nil {
		t.Error("the dropped connection still answers")
	}
	again, err := client.Dial(ctx, ln.Addr().String(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if err := again.Ping(ctx); err != nil {
		t.Errorf("a new connection after CloseConns: %v", err)
	}
	if err := ln.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
}
