package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/shalemq/shale/client"
)

// retentionJSON mirrors GET /admin/retention/preview (broker.RetentionPreview).
type retentionJSON struct {
	Enabled      bool   `json:"enabled"`
	Messages     uint64 `json:"messages"`
	Bytes        uint64 `json:"bytes"`
	HeldMessages uint64 `json:"held_messages"`
	HeldBytes    uint64 `json:"held_bytes"`
	DurationUS   uint64 `json:"duration_us"`
	Topics       []struct {
		StreamID          uint32 `json:"stream_id"`
		TopicID           uint32 `json:"topic_id"`
		Name              string `json:"name"`
		MessageExpiryUS   uint64 `json:"message_expiry_us"`
		MaxTopicSizeBytes uint64 `json:"max_topic_size_bytes"`
		Partitions        []struct {
			PartitionID   uint32 `json:"partition_id"`
			FromOffset    uint64 `json:"from_offset"`
			ToOffset      uint64 `json:"to_offset"`
			Messages      uint64 `json:"messages"`
			Bytes         uint64 `json:"bytes"`
			HeldMessages  uint64 `json:"held_messages"`
			HeldBytes     uint64 `json:"held_bytes"`
			BarrierOffset uint64 `json:"barrier_offset"`
		} `json:"partitions"`
	} `json:"topics"`
	Errors []string `json:"errors,omitempty"`
}

func retentionCommand(g *globals) *cobra.Command {
	cmd := group("retention", "Message retention (shale's own)")
	cmd.AddCommand(&cobra.Command{
		Use:   "preview",
		Short: "What the retention sweeper would delete now, and what consumer offsets hold back (over the HTTP API whatever --transport says)",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			// The preview has no binary command: ask the REST API at
			// --http-api-url with the same credentials.
			run := g.verb(false, func(ctx context.Context, c *client.Client, out *output, _ []string) error {
				b, err := c.RetentionPreview(ctx)
				if err != nil {
					return err
				}
				var rp retentionJSON
				if err := json.Unmarshal(b, &rp); err != nil {
					return fmt.Errorf("retention preview answer: %w", err)
				}
				if out.mode == "json" {
					return out.json(json.RawMessage(b))
				}
				if !rp.Enabled {
					out.info("the retention sweeper is off ([data_maintenance.messages] cleaner_enabled): nothing is deleted by age or size")
					return nil
				}
				var rows [][]string
				for _, t := range rp.Topics {
					for _, p := range t.Partitions {
						rows = append(rows, []string{itoa(t.StreamID), fmt.Sprintf("%s (%d)", t.Name, t.TopicID), itoa(p.PartitionID),
							fmt.Sprintf("[%d, %d)", p.FromOffset, p.ToOffset), itoa(p.Messages), fmtSize(p.Bytes),
							itoa(p.HeldMessages), fmtSize(p.HeldBytes)})
					}
				}
				if len(rows) > 0 {
					if err := out.table(nil, []string{"STREAM", "TOPIC", "PARTITION", "DELETE OFFSETS", "MESSAGES", "SIZE", "HELD MESSAGES", "HELD SIZE"}, rows); err != nil {
						return err
					}
				}
				fmt.Fprintf(out.w, "would delete %d messages (%s); consumer offsets hold back %d messages (%s)\n",
					rp.Messages, fmtSize(rp.Bytes), rp.HeldMessages, fmtSize(rp.HeldBytes))
				for _, e := range rp.Errors {
					fmt.Fprintf(g.stderr, "shale: partition error: %s\n", e)
				}
				return nil
			})
			g.forceHTTP = true
			return run(cmd, args)
		},
	})
	return cmd
}
