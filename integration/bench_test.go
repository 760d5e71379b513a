package integration

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// End-to-end throughput through client/ against bin/shale: 1 KB messages in
// batches of 1,000, the workload of log's BenchmarkAppend and of the peer
// benchmark, so the figures compare. Every operation moves 64 batches.
const (
	e2eMsgSize = 1000
	e2eBatch   = 1000
	e2eBatches = 64
)

func e2eMessages() []byte {
	payload := make([]byte, e2eMsgSize)
	for i := range payload {
		payload[i] = byte(i)
	}
	var msgs []byte
	for range e2eBatch {
		msgs = wire.AppendSendMessage(msgs, nil, 1, payload, nil)
	}
	return msgs
}

func reportE2E(b *testing.B, messages int) {
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(messages)*e2eMsgSize/sec/1e6, "MB/s")
	b.ReportMetric(float64(messages)/sec, "msgs/s")
	b.ReportMetric(0, "ns/op")
}

func BenchmarkEndToEnd(b *testing.B) {
	dials := []struct {
		name string
		dial func(ctx context.Context, s *Server) (*client.Client, error)
	}{
		{"tcp", func(ctx context.Context, s *Server) (*client.Client, error) {
			return client.Dial(ctx, s.Ports.TCP, client.Options{})
		}},
		{"quic", func(ctx context.Context, s *Server) (*client.Client, error) {
			return client.DialQUIC(ctx, s.Ports.QUIC, client.Options{})
		}},
		// HTTP sends carry base64 JSON and Iggy's default body limit is
		// 2 MB, so the batch is sent as it is but under a raised limit.
		{"http", func(ctx context.Context, s *Server) (*client.Client, error) {
			return client.DialHTTP(ctx, "http://"+s.Ports.HTTP, client.Options{})
		}},
	}
	msgs := e2eMessages()
	ctx := context.Background()
	for _, d := range dials {
		for _, producers := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/produce/producers=%d", d.name, producers), func(b *testing.B) {
				s := Start(b, "", "SHALE_SYSTEM_LOGGING_LEVEL=warn", "SHALE_HTTP_MAX_REQUEST_SIZE=4 MB")
				clients := make([]*client.Client, producers)
				for i := range clients {
					c, err := d.dial(ctx, s)
					if err != nil {
						b.Fatal(err)
					}
					defer c.Close()
					if _, err := c.Login(ctx, RootUser, RootPassword); err != nil {
						b.Fatal(err)
					}
					clients[i] = c
				}
				if _, err := clients[0].CreateStream(ctx, "bench"); err != nil {
					b.Fatal(err)
				}
				if _, err := clients[0].CreateTopic(ctx, wire.CreateTopic{Stream: wire.NumericID(0), PartitionsCount: uint32(producers), Name: "t"}); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(e2eBatches * e2eBatch * e2eMsgSize)
				b.ResetTimer()
				for range b.N {
					var wg sync.WaitGroup
					for i, c := range clients {
						wg.Add(1)
						go func() {
							defer wg.Done()
							for j := i; j < e2eBatches; j += producers {
								if err := c.Send(ctx, wire.NumericID(0), wire.NumericID(0), wire.PartitionID(uint32(i)), e2eBatch, msgs); err != nil {
									b.Error(err)
									return
								}
							}
						}()
					}
					wg.Wait()
				}
				b.StopTimer()
				reportE2E(b, b.N*e2eBatches*e2eBatch)
			})
		}
		b.Run(d.name+"/poll", func(b *testing.B) {
			s := Start(b, "", "SHALE_SYSTEM_LOGGING_LEVEL=warn", "SHALE_HTTP_MAX_REQUEST_SIZE=4 MB")
			c, err := d.dial(ctx, s)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Login(ctx, RootUser, RootPassword); err != nil {
				b.Fatal(err)
			}
			if _, err := c.CreateStream(ctx, "bench"); err != nil {
				b.Fatal(err)
			}
			if _, err := c.CreateTopic(ctx, wire.CreateTopic{Stream: wire.NumericID(0), PartitionsCount: 1, Name: "t"}); err != nil {
				b.Fatal(err)
			}
			for range e2eBatches {
				if err := c.Send(ctx, wire.NumericID(0), wire.NumericID(0), wire.PartitionID(0), e2eBatch, msgs); err != nil {
					b.Fatal(err)
				}
			}
			consumer := wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)}
			// One response buffer reused across polls, as a consumer loop
			// does with PollInto.
			var buf []byte
			pollAll := func() int {
				n := 0
				for from := uint64(0); from < e2eBatches*e2eBatch; {
					var p wire.PolledMessages
					var err error
					p, buf, err = c.PollInto(ctx, wire.PollMessages{Consumer: consumer, Stream: wire.NumericID(0), Topic: wire.NumericID(0),
						Partition: wire.SomePartition(0), Strategy: wire.PollingStrategy{Kind: wire.PollOffset, Value: from}, Count: e2eBatch}, buf)
					if err != nil {
						b.Fatal(err)
					}
					if p.Count == 0 {
						b.Fatalf("nothing at %d", from)
					}
					n += int(p.Count)
					from += uint64(p.Count)
				}
				return n
			}
			pollAll()
			b.SetBytes(e2eBatches * e2eBatch * e2eMsgSize)
			b.ResetTimer()
			total := 0
			for range b.N {
				total += pollAll()
			}
			b.StopTimer()
			reportE2E(b, total)
		})
	}
}
