package integration

import (
	"context"
	"testing"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// TestRequestSeriesSameOnEveryTransport runs the same requests over TCP,
// QUIC and HTTP (a stream created, the same name refused, the streams
// listed) and checks that each lands in one series per transport, named by
// the command table's name of the command: one query over command="..."
// covers all three transports.
func TestRequestSeriesSameOnEveryTransport(t *testing.T) {
	s := Start(t, "")
	ctx := context.Background()
	clients := map[string]*client.Client{"tcp": dialTCP(t, s), "quic": dialQUIC(t, s), "http": dialHTTP(t, s)}
	for transport, c := range clients {
		login(t, c)
		if _, err := c.CreateStream(ctx, "series-"+transport); err != nil {
			t.Fatalf("create stream over %s: %v", transport, err)
		}
		if _, err := c.CreateStream(ctx, "series-"+transport); err == nil {
			t.Fatalf("a second stream %q over %s: no error", "series-"+transport, transport)
		}
		if _, err := c.Do(ctx, &wire.GetStreams{}); err != nil {
			t.Fatalf("list streams over %s: %v", transport, err)
		}
	}
	fams := scrape(t, s)
	create, list := wire.CmdCreateStream.String(), wire.CmdGetStreams.String()
	for transport := range clients {
		for _, c := range []struct {
			family, command string
			want            float64
		}{
			{"shale_request_duration_seconds", create, 2},
			{"shale_request_errors_total", create, 1},
			{"shale_request_duration_seconds", list, 1},
		} {
			v, ok := value(fams, c.family, map[string]string{"transport": transport, "command": c.command})
			if !ok || v != c.want {
				t.Errorf("%s{transport=%q,command=%q} = %v (found %v), want %v", c.family, transport, c.command, v, ok, c.want)
			}
		}
	}
}
