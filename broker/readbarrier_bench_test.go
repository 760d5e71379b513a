package broker_test

import (
	"testing"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
)

// offsetEnv is a broker with a topic of one partition holding three
// messages and consumer worker-1's offset stored at 1.
func offsetEnv(t testing.TB) (*brokertest.Env, broker.Consumer) {
	e := brokertest.New(t)
	e.Fill(t, 3, 1)
	b := e.Broker
	consumer := broker.Consumer{ID: broker.ByName("worker-1")}
	if err := b.StoreConsumerOffset(e.Root, consumer, broker.ByID(0), broker.ByID(0), nil, 1); err != nil {
		t.Fatal(err)
	}
	return e, consumer
}

// BenchmarkConsumerOffset and BenchmarkPollNext are the reads that pass a
// cluster's read barrier; on a single node (no barrier) they must cost what
// they did before it existed.
func BenchmarkConsumerOffset(b *testing.B) {
	e, consumer := offsetEnv(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := e.Broker.ConsumerOffset(e.Root, consumer, broker.ByID(0), broker.ByID(0), nil); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkPollNext(b *testing.B) {
	e, consumer := offsetEnv(b)
	req := broker.Poll{Consumer: consumer, Stream: broker.ByID(0), Topic: broker.ByID(0), Strategy: broker.StrategyNext, Count: 10}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		res, out, err := e.Broker.PollMessages(e.Root, req, buf[:0])
		if err != nil || res.Count != 1 {
			b.Fatal(res, err)
		}
		buf = out
	}
}
