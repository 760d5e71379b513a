package main

import (
	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/retention"
)

// previewer adapts the sweeper's Preview to the broker's shape, for
// `shale retention preview` (GET /admin/retention/preview).
func previewer(sw *retention.Sweeper) func() broker.RetentionPreview {
	return func() broker.RetentionPreview {
		rep := sw.Preview()
		out := broker.RetentionPreview{Messages: rep.Messages, Bytes: rep.Bytes, HeldMessages: rep.HeldMessages,
			HeldBytes: rep.HeldBytes, DurationUS: uint64(rep.Duration.Microseconds())}
		for _, t := range rep.Topics {
			rt := broker.RetentionTopic{StreamID: t.StreamID, TopicID: t.TopicID, Name: t.Name,
				MessageExpiryUS: t.Retention.Expiry, MaxTopicSizeBytes: t.Retention.MaxSize}
			for _, p := range t.Partitions {
				rt.Partitions = append(rt.Partitions, broker.RetentionPartition{PartitionID: p.PartitionID,
					FromOffset: p.From, ToOffset: p.To, Messages: p.Messages, Bytes: p.Bytes,
					HeldMessages: p.HeldMessages, HeldBytes: p.HeldBytes, BarrierOffset: p.BarrierOffset})
			}
			out.Topics = append(out.Topics, rt)
		}
		for _, err := range rep.Errors {
			out.Errors = append(out.Errors, err.Error())
		}
		return out
	}
}
