package broker_test

import (
	"testing"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
)

// BenchmarkPollAnswer polls 1,000 messages of 1 KB (a 1 MiB answer, over
// 16 KiB chunks) as a consumer catching up does: with the answer's room
// taken from the memory budget chunk by chunk and given back (held, as the
// listeners poll), and without (free). The difference is what the budget
// costs a poll; neither allocates per message.
func BenchmarkPollAnswer(b *testing.B) {
	e := brokertest.NewWithOptions(b, broker.Options{Limits: broker.Limits{RequestMemory: 256 << 20, PollAnswerBytes: 64 << 20}})
	br := e.Broker
	e.Fill(b, 1000, 1000)
	part := uint32(0)
	for _, held := range []bool{false, true} {
		name := "free"
		if held {
			name = "held"
		}
		b.Run(name, func(b *testing.B) {
			var hold broker.AnswerHold
			req := broker.Poll{Consumer: broker.Consumer{ID: broker.ByID(1)}, Stream: broker.ByID(0), Topic: broker.ByID(0),
				Partition: &part, Strategy: broker.StrategyFirst, Count: 1000}
			if held {
				req.Hold = &hold
			}
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				res, out, err := br.PollMessages(e.Root, req, buf[:0])
				if err != nil || res.Count != 1000 {
					b.Fatal(res, err)
				}
				hold.Release()
				buf = out
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}
