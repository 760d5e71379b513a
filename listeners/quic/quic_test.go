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
	ln := serve(t, brokertest.New(t), Options{})
	c, err := client.DialQUIC(context.Background(), ln.Addr(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	binprototest.Exercise(t, c)
}

// serve starts a listener on a free loopback port with the test
// certificate over env's broker; it is shut down, and Serve's result
// checked, when the test ends.
func serve(t *testing.T, env *brokertest.Env, opts Options) *Listener {
	t.Helper()
	opts.Address, opts.TLS = "127.0.0.1:0", binprototest.ServerTLS(t)
	ln, err := Listen(binproto.NewServer(env.Broker, binproto.Options{Transport: "quic"}), opts)
	if err != nil {
		t.Fatal(err)
	}
	brokertest.Serve(t, ln.Serve, ln.Shutdown)
	return ln
}
