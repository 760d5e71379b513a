package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

const completionTimeout = 2 * time.Second

// groupJSON is the JSON form of a consumer group.
type groupJSON struct {
	ID              uint32       `json:"id"`
	Name            string       `json:"name"`
	PartitionsCount uint32       `json:"partitions_count"`
	MembersCount    uint32       `json:"members_count"`
	Members         []memberJSON `json:"members,omitempty"`
}

type memberJSON struct {
	ID         uint32   `json:"id"`
	Partitions []uint32 `json:"partitions"`
}

var groupHeader = []string{"ID", "NAME", "PARTITIONS", "MEMBERS"}

func (j groupJSON) row() []string {
	return []string{itoa(j.ID), j.Name, itoa(j.PartitionsCount), itoa(j.MembersCount)}
}

func groupCommand(g *globals) *cobra.Command {
	cmd := group("consumer-group", "Consumer group operations", "g")
	var ignoredID uint32
	create := &cobra.Command{
		Use: "create <stream> <topic> <name>", Aliases: []string{"c"}, Short: "Create a consumer group",
		Args: exactArgs(3), ValidArgsFunction: completeStreamTopic(g),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			warnAssignedID(g, "group-id")
			ids, err := idents([]string{"stream", "topic"}, args)
			if err != nil {
				return err
			}
			b, err := c.Do(ctx, &wire.CreateConsumerGroup{Stream: ids[0], Topic: ids[1], Name: args[2]})
			if err != nil {
				return err
			}
			var d wire.ConsumerGroupDetails
			if err := d.Decode(b); err != nil {
				return err
			}
			if out.mode == "json" {
				return out.json(toGroupJSON(d))
			}
			out.info("consumer group %s created with id %d in topic %s of stream %s", d.Name, d.ID, ids[1], ids[0])
			return nil
		}),
	}
	create.Flags().Uint32VarP(&ignoredID, "group-id", "g", 0, "accepted for Iggy CLI compatibility; the server assigns ids")
	cmd.AddCommand(create)
	cmd.AddCommand(&cobra.Command{
		Use: "delete <stream> <topic> <group>", Aliases: []string{"d"}, Short: "Delete a consumer group",
		Args: exactArgs(3), ValidArgsFunction: completeStreamTopic(g),
		RunE: simpleVerb(g, []string{"stream", "topic", "group"}, func(ids []wire.Identifier, _ []string) (wire.Request, string) {
			return &wire.DeleteConsumerGroup{GroupRef: wire.GroupRef{Stream: ids[0], Topic: ids[1], Group: ids[2]}},
				fmt.Sprintf("consumer group %s deleted", ids[2])
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use: "get <stream> <topic> <group>", Aliases: []string{"g"}, Short: "A consumer group and its members",
		Args: exactArgs(3), ValidArgsFunction: completeStreamTopic(g),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			ids, err := idents([]string{"stream", "topic", "group"}, args)
			if err != nil {
				return err
			}
			b, err := c.Do(ctx, &wire.GetConsumerGroup{GroupRef: wire.GroupRef{Stream: ids[0], Topic: ids[1], Group: ids[2]}})
			if err != nil {
				return err
			}
			if len(b) == 0 {
				return notFound("consumer group", ids[2], wire.ErrConsumerGroupIDNotFound, wire.ErrConsumerGroupNameNotFound)
			}
			var d wire.ConsumerGroupDetails
			if err := d.Decode(b); err != nil {
				return err
			}
			return printGroup(out, toGroupJSON(d))
		}),
	})
	cmd.AddCommand(listMode(&cobra.Command{
		Use: "list <stream> <topic>", Aliases: []string{"l"}, Short: "The consumer groups of a topic",
		Args: exactArgs(2), ValidArgsFunction: completeStreamTopic(g),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			ids, err := idents([]string{"stream", "topic"}, args)
			if err != nil {
				return err
			}
			b, err := c.Do(ctx, &wire.GetConsumerGroups{TopicRef: wire.TopicRef{Stream: ids[0], Topic: ids[1]}})
			if err != nil {
				return err
			}
			list, err := wire.DecodeConsumerGroups(b)
			if err != nil {
				return err
			}
			js := []groupJSON{}
			var rows [][]string
			for _, gi := range list {
				j := groupJSON{ID: gi.ID, Name: gi.Name, PartitionsCount: gi.PartitionsCount, MembersCount: gi.MembersCount}
				js = append(js, j)
				rows = append(rows, j.row())
			}
			return out.table(js, groupHeader, rows)
		}),
	}))
	// join and leave: membership belongs to a connection, so these show
	// what the server assigns, then the connection closes and the member
	// leaves again. Useful to check a group and permissions by hand.
	for _, op := range []struct{ name, short string }{
		{"join", "join a consumer group on this connection and show its members and their partitions"},
		{"leave", "join, then leave a consumer group on this connection (checks both calls)"},
	} {
		cmd.AddCommand(&cobra.Command{
			Use: op.name + " <stream> <topic> <group>", Short: op.short,
			Args: exactArgs(3), ValidArgsFunction: completeStreamTopic(g),
			RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
				ids, err := idents([]string{"stream", "topic", "group"}, args)
				if err != nil {
					return err
				}
				ref := wire.GroupRef{Stream: ids[0], Topic: ids[1], Group: ids[2]}
				if _, err := c.Do(ctx, &wire.JoinConsumerGroup{GroupRef: ref}); err != nil {
					return err
				}
				if op.name == "leave" {
					if _, err := c.Do(ctx, &wire.LeaveConsumerGroup{GroupRef: ref}); err != nil {
						return err
					}
					if out.mode == "json" {
						return out.json(map[string]any{"ok": true})
					}
					out.info("joined and left consumer group %s", ids[2])
					return nil
				}
				gb, err := c.Do(ctx, &wire.GetConsumerGroup{GroupRef: ref})
				if err != nil {
					return err
				}
				var d wire.ConsumerGroupDetails
				if err := d.Decode(gb); err != nil {
					return err
				}
				return printGroup(out, toGroupJSON(d))
			}),
		})
	}
	return cmd
}

func printGroup(out *output, j groupJSON) error {
	keys, vals := groupHeader, j.row()
	for _, m := range j.Members {
		keys = append(keys, "member "+itoa(m.ID))
		vals = append(vals, "partitions "+joinU32(m.Partitions))
	}
	return out.object(j, keys, vals)
}

func toGroupJSON(d wire.ConsumerGroupDetails) groupJSON {
	j := groupJSON{ID: d.ID, Name: d.Name, PartitionsCount: d.PartitionsCount, MembersCount: d.MembersCount}
	for _, m := range d.Members {
		j.Members = append(j.Members, memberJSON{m.ID, append([]uint32{}, m.Partitions...)})
	}
	return j
}

func joinU32(v []uint32) string {
	if len(v) == 0 {
		return "-"
	}
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = itoa(x)
	}
	return strings.Join(s, ", ")
}

// consumerOf reads a consumer kind (-k consumer|consumer_group) and id.
func consumerOf(kind, id string) (wire.Consumer, error) {
	cid, err := ident("consumer", id)
	if err != nil {
		return wire.Consumer{}, err
	}
	switch strings.ReplaceAll(strings.ToLower(kind), "-", "_") {
	case "consumer", "c":
		return wire.Consumer{Kind: wire.ConsumerSingle, ID: cid}, nil
	case "consumer_group", "group", "g", "cg":
		return wire.Consumer{Kind: wire.ConsumerGroup, ID: cid}, nil
	}
	return wire.Consumer{}, usageError("--kind %q: want consumer or consumer_group", kind)
}

func offsetCommand(g *globals) *cobra.Command {
	cmd := group("consumer-offset", "Consumer offset operations", "o")
	var kind string
	kindFlag := func(c *cobra.Command) *cobra.Command {
		c.Flags().StringVarP(&kind, "kind", "k", "consumer", "consumer kind: consumer or consumer_group")
		_ = c.RegisterFlagCompletionFunc("kind", cobra.FixedCompletions([]string{"consumer", "consumer_group"}, cobra.ShellCompDirectiveNoFileComp))
		return c
	}
	ref := func(args []string) (wire.OffsetRef, error) {
		cons, err := consumerOf(kind, args[0])
		if err != nil {
			return wire.OffsetRef{}, err
		}
		ids, err := idents([]string{"stream", "topic"}, args[1:])
		if err != nil {
			return wire.OffsetRef{}, err
		}
		p, err := parseU32("partition", args[3])
		if err != nil {
			return wire.OffsetRef{}, err
		}
		return wire.OffsetRef{Consumer: cons, Stream: ids[0], Topic: ids[1], Partition: wire.SomePartition(p)}, nil
	}
	cmd.AddCommand(kindFlag(&cobra.Command{
		Use: "get <consumer> <stream> <topic> <partition>", Aliases: []string{"g"}, Short: "A consumer's stored offset",
		Args: exactArgs(4),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			r, err := ref(args)
			if err != nil {
				return err
			}
			o, ok, err := c.Offset(ctx, r)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("no offset stored for consumer %s on partition %d: %w", r.Consumer.ID, r.Partition.ID, wire.ErrConsumerOffsetNotFound)
			}
			j := map[string]any{"consumer": args[0], "partition_id": o.PartitionID, "current_offset": o.CurrentOffset, "stored_offset": o.StoredOffset}
			return out.object(j, []string{"consumer", "partition", "current offset", "stored offset"},
				[]string{args[0], itoa(o.PartitionID), itoa(o.CurrentOffset), itoa(o.StoredOffset)})
		}),
	}))
	cmd.AddCommand(kindFlag(&cobra.Command{
		Use: "set <consumer> <stream> <topic> <partition> <offset>", Aliases: []string{"s"}, Short: "Store a consumer's offset",
		Args: exactArgs(5),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			r, err := ref(args)
			if err != nil {
				return err
			}
			off, err := parseU64("offset", args[4])
			if err != nil {
				return err
			}
			if err := c.StoreOffset(ctx, r, off); err != nil {
				return err
			}
			if out.mode == "json" {
				return out.json(map[string]any{"ok": true})
			}
			out.info("offset %d stored for consumer %s on partition %d", off, args[0], r.Partition.ID)
			return nil
		}),
	}))
	cmd.AddCommand(kindFlag(&cobra.Command{
		Use: "delete <consumer> <stream> <topic> <partition>", Aliases: []string{"d"}, Short: "Delete a consumer's stored offset",
		Args: exactArgs(4),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			r, err := ref(args)
			if err != nil {
				return err
			}
			if _, err := c.Do(ctx, &wire.DeleteConsumerOffset{OffsetRef: r}); err != nil {
				return err
			}
			if out.mode == "json" {
				return out.json(map[string]any{"ok": true})
			}
			out.info("offset deleted for consumer %s on partition %d", args[0], r.Partition.ID)
			return nil
		}),
	}))
	return cmd
}
