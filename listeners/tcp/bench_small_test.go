package tcp_test

import (
	"context"
	"testing"

	"github.com/shalemq/shale/wire"
)

// BenchmarkProduceSmall is one acknowledged send of 10 messages of 1,000
// bytes from one producer, the workload of the paced latency rows of `make
// bench-peers`, on the in-memory Pebble of benchServer: what shale itself
// spends on a small send (allocs/op counts client and server together).
func BenchmarkProduceSmall(b *testing.B) {
	_, dial := benchServer(b, 1)
	c := dial()
	payload := make([]byte, benchMsgSize)
	msgs := make([]byte, 0, 10*(wire.MessageHeaderSize+benchMsgSize))
	for range 10 {
		msgs = wire.AppendSendMessage(msgs, nil, 1, payload, nil)
	}
	ctx := context.Background()
	b.SetBytes(10 * benchMsgSize)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := c.Send(ctx, wire.NamedID("s"), wire.NamedID("t"), wire.PartitionID(0), 10, msgs); err != nil {
			b.Fatal(err)
		}
	}
}
