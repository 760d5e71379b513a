package tcp_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/listeners/binproto"
	"github.com/shalemq/shale/listeners/tcp"
	"github.com/shalemq/shale/wire"
)

// The TCP data path in one process, from the client's frame to the Pebble
// batch and from the iterator back to the client's buffer, on an in-memory
// Pebble: no fsync, so what is measured is shale's own work (and Pebble's
// memtable), which is what CPU and allocation profiles of this benchmark
// show. One operation is one batch of 1,000 messages of 1,000 bytes, the
// workload of `make bench-peers`; allocs/op staying a small constant (not
// growing with the batch) is the "no per-message allocation" check.
//
//	go test -run '^$' -bench . -benchmem -cpuprofile cpu.out -memprofile mem.out ./listeners/tcp/
const (
	benchMsgSize = 1000
	benchBatch   = 1000
)

func benchServer(b *testing.B, partitions int) (string, func() *client.Client) {
	env := brokertest.New(b)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := binproto.NewServer(env.Broker, binproto.Options{Logger: quiet})
	ln, err := tcp.Listen(srv, tcp.Options{Address: "127.0.0.1:0", NoDelay: true, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = ln.Serve() }()
	b.Cleanup(func() { _ = ln.Shutdown(context.Background()) })
	ctx := context.Background()
	dial := func() *client.Client {
		c, err := client.Dial(ctx, ln.Addr().String(), client.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = c.Close() })
		if _, err := c.Login(ctx, brokertest.RootUser, brokertest.RootPassword); err != nil {
			b.Fatal(err)
		}
		return c
	}
	c := dial()
	if _, err := c.CreateStream(ctx, "s"); err != nil {
		b.Fatal(err)
	}
	if _, err := c.CreateTopic(ctx, wire.CreateTopic{Stream: wire.NamedID("s"), PartitionsCount: uint32(partitions), Name: "t"}); err != nil {
		b.Fatal(err)
	}
	return ln.Addr().String(), dial
}

func benchMessages() []byte {
	payload := make([]byte, benchMsgSize)
	for i := range payload {
		payload[i] = byte(i)
	}
	msgs := make([]byte, 0, benchBatch*(wire.MessageHeaderSize+benchMsgSize))
	for range benchBatch {
		msgs = wire.AppendSendMessage(msgs, nil, 1, payload, nil)
	}
	return msgs
}

func BenchmarkProduce(b *testing.B) {
	for _, producers := range []int{1, 4} {
		b.Run(fmt.Sprintf("producers=%d", producers), func(b *testing.B) {
			_, dial := benchServer(b, producers)
			clients := make([]*client.Client, producers)
			for i := range clients {
				clients[i] = dial()
			}
			msgs := benchMessages()
			ctx := context.Background()
			b.SetBytes(benchBatch * benchMsgSize)
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			for i, c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := i; j < b.N; j += producers {
						if err := c.Send(ctx, wire.NamedID("s"), wire.NamedID("t"), wire.PartitionID(uint32(i)), benchBatch, msgs); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}

func BenchmarkPoll(b *testing.B) {
	_, dial := benchServer(b, 1)
	c := dial()
	ctx := context.Background()
	msgs := benchMessages()
	const stored = 64 // batches
	for range stored {
		if err := c.Send(ctx, wire.NamedID("s"), wire.NamedID("t"), wire.PartitionID(0), benchBatch, msgs); err != nil {
			b.Fatal(err)
		}
	}
	req := wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)},
		Stream: wire.NamedID("s"), Topic: wire.NamedID("t"), Partition: wire.SomePartition(0), Count: benchBatch}
	var buf []byte
	b.SetBytes(benchBatch * benchMsgSize)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		req.Strategy = wire.PollingStrategy{Kind: wire.PollOffset, Value: uint64(i%stored) * benchBatch}
		p, nb, err := c.PollInto(ctx, req, buf)
		if err != nil {
			b.Fatal(err)
		}
		if p.Count != benchBatch {
			b.Fatalf("polled %d", p.Count)
		}
		buf = nb
	}
}
