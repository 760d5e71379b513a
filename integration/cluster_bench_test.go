package integration

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// BenchmarkClusterProduce is produce throughput and ack latency (one send
// to its acknowledgement) of a three-node cluster's leader beside a single
// node, with the same clients and load: 4 producers over TCP, each sending
// batches of 100 messages of 1000 bytes to its own partition; every
// operation moves 64 batches. All three nodes run on this one machine,
// sharing its cores and its disk with each other and with the clients:
// a correctness setup, not a deployment (docs/cluster.md).
func BenchmarkClusterProduce(b *testing.B) {
	for _, nodes := range []int{1, 3} {
		name := "single"
		if nodes > 1 {
			name = fmt.Sprintf("%d-node", nodes)
		}
		b.Run(name, func(b *testing.B) {
			if nodes > 1 && !clusterEngineWired && !clusterTestsForced() {
				b.Skip("the raft engine is not wired into shale serve yet")
			}
			benchClusterProduce(b, nodes)
		})
	}
}

const (
	clusterBenchProducers = 4
	clusterBenchBatch     = 100
	clusterBenchMsgSize   = 1000
	clusterBenchBatches   = 64
)

func benchClusterProduce(b *testing.B, nodes int) {
	ctx := context.Background()
	var addr string
	if nodes == 1 {
		addr = Start(b, "", "SHALE_SYSTEM_LOGGING_LEVEL=warn").Ports.TCP
	} else {
		c := StartCluster(b, ClusterOptions{Nodes: nodes, Direct: true, Env: []string{"SHALE_SYSTEM_LOGGING_LEVEL=warn"}})
		l, err := c.WaitLeader(time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		addr = c.Nodes[l].TCP
	}
	clients := make([]*client.Client, clusterBenchProducers)
	for i := range clients {
		cl, err := client.Dial(ctx, addr, client.Options{Timeout: time.Minute})
		if err != nil {
			b.Fatal(err)
		}
		defer cl.Close()
		if _, err := cl.Login(ctx, RootUser, RootPassword); err != nil {
			b.Fatal(err)
		}
		clients[i] = cl
	}
	if _, err := clients[0].CreateStream(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	if _, err := clients[0].CreateTopic(ctx, wire.CreateTopic{Stream: wire.NumericID(0), PartitionsCount: clusterBenchProducers, Name: "t"}); err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, clusterBenchMsgSize)
	for i := range payload {
		payload[i] = byte(i)
	}
	var msgs []byte
	for range clusterBenchBatch {
		msgs = wire.AppendSendMessage(msgs, nil, 1, payload, nil)
	}
	hists := make([]*hdrhistogram.Histogram, clusterBenchProducers)
	for i := range hists {
		hists[i] = hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)
	}
	b.SetBytes(clusterBenchBatches * clusterBenchBatch * clusterBenchMsgSize)
	b.ResetTimer()
	for range b.N {
		var wg sync.WaitGroup
		for i, cl := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := i; j < clusterBenchBatches; j += clusterBenchProducers {
					start := time.Now()
					if err := cl.Send(ctx, wire.NumericID(0), wire.NumericID(0), wire.PartitionID(uint32(i)), clusterBenchBatch, msgs); err != nil {
						b.Error(err)
						return
					}
					_ = hists[i].RecordValue(time.Since(start).Microseconds())
				}
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	all := hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)
	for _, h := range hists {
		all.Merge(h)
	}
	messages := float64(b.N * clusterBenchBatches * clusterBenchBatch)
	sec := b.Elapsed().Seconds()
	b.ReportMetric(messages*clusterBenchMsgSize/sec/1e6, "MB/s")
	b.ReportMetric(messages/sec, "msgs/s")
	b.ReportMetric(float64(all.ValueAtQuantile(50))/1000, "ack-p50-ms")
	b.ReportMetric(float64(all.ValueAtQuantile(99))/1000, "ack-p99-ms")
	b.ReportMetric(0, "ns/op")
}
