package quic

import (
	"context"
	"errors"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/client"
)

// TestCloseConns: an open connection is closed with DropCode once its
// requests are done; the listener goes on accepting, and a new connection
// is served.
func TestCloseConns(t *testing.T) {
	ln := serve(t, brokertest.New(t), Options{})
	ctx := context.Background()
	c, err := client.DialQUIC(ctx, ln.Addr(), client.Options{})
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
	// The close is asynchronous: requests until it lands are refused
	// (no new streams) or answered; then the connection error says why.
	// The deadline is a liveness bound, not a speed assertion.
	var appErr *quicgo.ApplicationError
	for deadline := time.Now().Add(time.Minute); ; {
		err := c.Ping(ctx)
		if errors.As(err, &appErr) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the connection is still open after CloseConns (last ping: %v)", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if appErr.ErrorCode != DropCode || !appErr.Remote {
		t.Errorf("connection closed with %v, want remote code %d", appErr, DropCode)
	}
	again, err := client.DialQUIC(ctx, ln.Addr(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if err := again.Ping(ctx); err != nil {
		t.Errorf("a new connection after CloseConns: %v", err)
	}
}
