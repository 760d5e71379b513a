package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// streamJSON is the JSON form of a stream (stream get/list).
type streamJSON struct {
	ID            uint32      `json:"id"`
	Name          string      `json:"name"`
	CreatedAt     uint64      `json:"created_at"`
	TopicsCount   uint32      `json:"topics_count"`
	SizeBytes     uint64      `json:"size_bytes"`
	MessagesCount uint64      `json:"messages_count"`
	Topics        []topicJSON `json:"topics,omitempty"`
}

func toStreamJSON(s wire.StreamInfo) streamJSON {
	return streamJSON{s.ID, s.Name, s.CreatedAt, s.TopicsCount, s.SizeBytes, s.MessagesCount, nil}
}

var streamHeader = []string{"ID", "NAME", "CREATED", "TOPICS", "SIZE", "MESSAGES"}

func (s streamJSON) row() []string {
	return []string{itoa(s.ID), s.Name, fmtTime(s.CreatedAt), itoa(s.TopicsCount), fmtSize(s.SizeBytes), itoa(s.MessagesCount)}
}

// topicJSON is the JSON form of a topic (topic get/list, stream get).
type topicJSON struct {
	ID                uint32          `json:"id"`
	Name              string          `json:"name"`
	CreatedAt         uint64          `json:"created_at"`
	PartitionsCount   uint32          `json:"partitions_count"`
	MessageExpiry     uint64          `json:"message_expiry_us"`
	Compression       string          `json:"compression_algorithm"`
	MaxTopicSize      uint64          `json:"max_topic_size_bytes"`
	ReplicationFactor uint8           `json:"replication_factor"`
	SizeBytes         uint64          `json:"size_bytes"`
	MessagesCount     uint64          `json:"messages_count"`
	Partitions        []partitionJSON `json:"partitions,omitempty"`
}

type partitionJSON struct {
	ID            uint32 `json:"id"`
	CreatedAt     uint64 `json:"created_at"`
	SegmentsCount uint32 `json:"segments_count"`
	CurrentOffset uint64 `json:"current_offset"`
	SizeBytes     uint64 `json:"size_bytes"`
	MessagesCount uint64 `json:"messages_count"`
}

func toTopicJSON(t wire.TopicInfo) topicJSON {
	return topicJSON{t.ID, t.Name, t.CreatedAt, t.PartitionsCount, t.MessageExpiry, compressionName(t.Compression),
		t.MaxTopicSize, t.ReplicationFactor, t.SizeBytes, t.MessagesCount, nil}
}

var topicHeader = []string{"ID", "NAME", "CREATED", "PARTITIONS", "EXPIRY", "COMPRESSION", "MAX SIZE", "REPLICATION", "SIZE", "MESSAGES"}

func (t topicJSON) row() []string {
	max := fmtSize(t.MaxTopicSize)
	if t.MaxTopicSize == 0 {
		max = "server_default"
	}
	return []string{itoa(t.ID), t.Name, fmtTime(t.CreatedAt), itoa(t.PartitionsCount), fmtExpiry(t.MessageExpiry),
		t.Compression, max, itoa(t.ReplicationFactor), fmtSize(t.SizeBytes), itoa(t.MessagesCount)}
}

func streamCommand(g *globals) *cobra.Command {
	cmd := group("stream", "Stream operations", "s")
	var ignoredID uint32
	create := &cobra.Command{
		Use: "create <name>", Aliases: []string{"c"}, Short: "Create a stream",
		Args: exactArgs(1),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			warnAssignedID(g, "stream-id")
			s, err := c.CreateStream(ctx, args[0])
			if err != nil {
				return err
			}
			if out.mode == "json" {
				return out.json(toStreamJSON(s))
			}
			out.info("stream %s created with id %d", s.Name, s.ID)
			return nil
		}),
	}
	create.Flags().Uint32VarP(&ignoredID, "stream-id", "s", 0, "accepted for Iggy CLI compatibility; the server assigns ids")
	cmd.AddCommand(create)
	cmd.AddCommand(&cobra.Command{
		Use: "delete <stream>", Aliases: []string{"d"}, Short: "Delete a stream and everything in it",
		Args: exactArgs(1), ValidArgsFunction: completeStreams(g),
		RunE: simpleVerb(g, []string{"stream"}, func(ids []wire.Identifier, _ []string) (wire.Request, string) {
			return &wire.DeleteStream{StreamRef: wire.StreamRef{Stream: ids[0]}}, fmt.Sprintf("stream %s deleted", ids[0])
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use: "update <stream> <name>", Aliases: []string{"u"}, Short: "Rename a stream",
		Args: exactArgs(2), ValidArgsFunction: completeStreams(g),
		RunE: simpleVerb(g, []string{"stream"}, func(ids []wire.Identifier, args []string) (wire.Request, string) {
			return &wire.UpdateStream{Stream: ids[0], Name: args[1]}, fmt.Sprintf("stream %s renamed to %s", ids[0], args[1])
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use: "purge <stream>", Aliases: []string{"p"}, Short: "Delete every message in a stream",
		Args: exactArgs(1), ValidArgsFunction: completeStreams(g),
		RunE: simpleVerb(g, []string{"stream"}, func(ids []wire.Identifier, _ []string) (wire.Request, string) {
			return &wire.PurgeStream{StreamRef: wire.StreamRef{Stream: ids[0]}}, fmt.Sprintf("stream %s purged", ids[0])
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use: "get <stream>", Aliases: []string{"g"}, Short: "A stream and its topics",
		Args: exactArgs(1), ValidArgsFunction: completeStreams(g),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			s, err := streamArg(ctx, c, args[0])
			if err != nil {
				return err
			}
			j := toStreamJSON(s.StreamInfo)
			j.Topics = []topicJSON{}
			for _, t := range s.Topics {
				j.Topics = append(j.Topics, toTopicJSON(t))
			}
			if out.mode == "json" {
				return out.json(j)
			}
			if err := out.object(j, streamHeader, j.row()); err != nil {
				return err
			}
			if len(j.Topics) > 0 {
				fmt.Fprintln(out.w)
				var rows [][]string
				for _, t := range j.Topics {
					rows = append(rows, t.row())
				}
				return out.table(nil, topicHeader, rows)
			}
			return nil
		}),
	})
	cmd.AddCommand(listMode(&cobra.Command{
		Use: "list", Aliases: []string{"l"}, Short: "All streams",
		Args: exactArgs(0),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, _ []string) error {
			b, err := c.Do(ctx, &wire.GetStreams{})
			if err != nil {
				return err
			}
			list, err := wire.DecodeStreams(b)
			if err != nil {
				return err
			}
			js := []streamJSON{}
			var rows [][]string
			for _, s := range list {
				j := toStreamJSON(s)
				js = append(js, j)
				rows = append(rows, j.row())
			}
			return out.table(js, streamHeader, rows)
		}),
	}))
	return cmd
}

// notFound is the error for a read that came back empty: the server's
// "not found" code for an id or a name.
func notFound(what string, id wire.Identifier, byID, byName *wire.Error) error {
	if id.IsNumeric() {
		return fmt.Errorf("%s %s: %w", what, id, byID)
	}
	return fmt.Errorf("%s %s: %w", what, id, byName)
}

// warnAssignedID notes that an Iggy CLI id option was ignored: Iggy 0.8
// servers, and shale, assign ids themselves.
func warnAssignedID(g *globals, flag string) {
	if f := g.cmd.Flags().Lookup(flag); f != nil && f.Changed {
		fmt.Fprintf(g.stderr, "shale: --%s ignored: the server assigns ids\n", flag)
	}
}

// simpleVerb runs a command that answers nothing but success: the first
// len(names) arguments are identifiers; build makes the request and the
// status line.
func simpleVerb(g *globals, names []string, build func(ids []wire.Identifier, args []string) (wire.Request, string)) func(*cobra.Command, []string) error {
	return g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
		ids, err := idents(names, args)
		if err != nil {
			return err
		}
		req, msg := build(ids, args)
		if req == nil {
			return usageError("%s", msg)
		}
		if _, err := c.Do(ctx, req); err != nil {
			return err
		}
		if out.mode == "json" {
			return out.json(map[string]any{"ok": true, "message": msg})
		}
		out.info("%s", msg)
		return nil
	})
}

func topicCommand(g *globals) *cobra.Command {
	cmd := group("topic", "Topic operations", "t")
	var topicID uint32
	var maxSize string
	var replication uint8
	topicFlags := func(c *cobra.Command) {
		c.Flags().StringVarP(&maxSize, "max-topic-size", "m", "server_default", "max topic size like 15GB, unlimited or server_default")
		c.Flags().Uint8VarP(&replication, "replication-factor", "r", 1, "replication factor (accepted; shale is one node)")
	}
	create := &cobra.Command{
		Use:     "create <stream> <name> <partitions> <compression> [expiry...]",
		Short:   "Create a topic (compression none or gzip; expiry like 15days 2min 2s, unlimited or server_default)",
		Aliases: []string{"c"}, Args: rangeArgs(4, -1), ValidArgsFunction: completeStreams(g),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			warnAssignedID(g, "topic-id")
			stream, err := ident("stream", args[0])
			if err != nil {
				return err
			}
			req, err := topicSettings(args[1], args[3], args[4:], maxSize, replication)
			if err != nil {
				return err
			}
			parts, err := parseU32("partitions", args[2])
			if err != nil {
				return err
			}
			t, err := c.CreateTopic(ctx, wire.CreateTopic{Stream: stream, PartitionsCount: parts, Compression: req.Compression,
				MessageExpiry: req.MessageExpiry, MaxTopicSize: req.MaxTopicSize, ReplicationFactor: req.ReplicationFactor, Name: req.Name})
			if err != nil {
				return err
			}
			if out.mode == "json" {
				return out.json(toTopicJSON(t.TopicInfo))
			}
			out.info("topic %s created with id %d in stream %s, %d partitions", t.Name, t.ID, stream, t.PartitionsCount)
			return nil
		}),
	}
	create.Flags().Uint32VarP(&topicID, "topic-id", "t", 0, "accepted for Iggy CLI compatibility; the server assigns ids")
	topicFlags(create)
	cmd.AddCommand(create)
	update := &cobra.Command{
		Use:     "update <stream> <topic> <name> <compression> [expiry...]",
		Aliases: []string{"u"}, Short: "Change a topic's name, compression, expiry, max size",
		Args: rangeArgs(4, -1), ValidArgsFunction: completeStreamTopic(g),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			ids, err := idents([]string{"stream", "topic"}, args)
			if err != nil {
				return err
			}
			req, err := topicSettings(args[2], args[3], args[4:], maxSize, replication)
			if err != nil {
				return err
			}
			if _, err := c.Do(ctx, &wire.UpdateTopic{Stream: ids[0], Topic: ids[1], Compression: req.Compression,
				MessageExpiry: req.MessageExpiry, MaxTopicSize: req.MaxTopicSize, ReplicationFactor: req.ReplicationFactor, Name: req.Name}); err != nil {
				return err
			}
			if out.mode == "json" {
				return out.json(map[string]any{"ok": true})
			}
			out.info("topic %s in stream %s updated", ids[1], ids[0])
			return nil
		}),
	}
	topicFlags(update)
	cmd.AddCommand(update)
	cmd.AddCommand(&cobra.Command{
		Use: "delete <stream> <topic>", Aliases: []string{"d"}, Short: "Delete a topic",
		Args: exactArgs(2), ValidArgsFunction: completeStreamTopic(g),
		RunE: simpleVerb(g, []string{"stream", "topic"}, func(ids []wire.Identifier, _ []string) (wire.Request, string) {
			return &wire.DeleteTopic{TopicRef: wire.TopicRef{Stream: ids[0], Topic: ids[1]}}, fmt.Sprintf("topic %s in stream %s deleted", ids[1], ids[0])
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use: "purge <stream> <topic>", Aliases: []string{"p"}, Short: "Delete every message in a topic",
		Args: exactArgs(2), ValidArgsFunction: completeStreamTopic(g),
		RunE: simpleVerb(g, []string{"stream", "topic"}, func(ids []wire.Identifier, _ []string) (wire.Request, string) {
			return &wire.PurgeTopic{TopicRef: wire.TopicRef{Stream: ids[0], Topic: ids[1]}}, fmt.Sprintf("topic %s in stream %s purged", ids[1], ids[0])
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use: "get <stream> <topic>", Aliases: []string{"g"}, Short: "A topic and its partitions",
		Args: exactArgs(2), ValidArgsFunction: completeStreamTopic(g),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			ids, err := idents([]string{"stream", "topic"}, args)
			if err != nil {
				return err
			}
			t, ok, err := c.Topic(ctx, ids[0], ids[1])
			if err != nil {
				return err
			}
			if !ok {
				return notFound("topic", ids[1], wire.ErrTopicIDNotFound, wire.ErrTopicNameNotFound)
			}
			j := toTopicJSON(t.TopicInfo)
			j.Partitions = []partitionJSON{}
			var rows [][]string
			for _, p := range t.Partitions {
				j.Partitions = append(j.Partitions, partitionJSON(p))
				rows = append(rows, []string{itoa(p.ID), fmtTime(p.CreatedAt), itoa(p.SegmentsCount), itoa(p.CurrentOffset),
					fmtSize(p.SizeBytes), itoa(p.MessagesCount)})
			}
			if out.mode == "json" {
				return out.json(j)
			}
			if err := out.object(j, topicHeader, j.row()); err != nil {
				return err
			}
			if len(rows) > 0 {
				fmt.Fprintln(out.w)
				return out.table(nil, []string{"PARTITION", "CREATED", "SEGMENTS", "CURRENT OFFSET", "SIZE", "MESSAGES"}, rows)
			}
			return nil
		}),
	})
	cmd.AddCommand(listMode(&cobra.Command{
		Use: "list <stream>", Aliases: []string{"l"}, Short: "The topics of a stream",
		Args: exactArgs(1), ValidArgsFunction: completeStreams(g),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			s, err := streamArg(ctx, c, args[0])
			if err != nil {
				return err
			}
			js := []topicJSON{}
			var rows [][]string
			for _, t := range s.Topics {
				j := toTopicJSON(t)
				js = append(js, j)
				rows = append(rows, j.row())
			}
			return out.table(js, topicHeader, rows)
		}),
	}))
	return cmd
}

// topicSettings reads the settings topic create and update share.
func topicSettings(name, compression string, expiry []string, maxSize string, replication uint8) (wire.CreateTopic, error) {
	var t wire.CreateTopic
	var err error
	t.Name = name
	if t.Compression, err = parseCompression(compression); err != nil {
		return t, err
	}
	if t.MessageExpiry, err = parseExpiry(expiry, 0); err != nil {
		return t, usageError("message expiry: %v", err)
	}
	if t.MaxTopicSize, err = parseSize(maxSize); err != nil {
		return t, usageError("--max-topic-size: %v", err)
	}
	t.ReplicationFactor = replication
	return t, nil
}

func partitionCommand(g *globals) *cobra.Command {
	cmd := group("partition", "Partition operations", "p")
	for _, op := range []struct {
		name, alias, short string
		req                func(s, t wire.Identifier, n uint32) wire.Request
	}{
		{"create", "c", "add partitions to a topic", func(s, t wire.Identifier, n uint32) wire.Request {
			return &wire.CreatePartitions{PartitionsChange: wire.PartitionsChange{Stream: s, Topic: t, Count: n}}
		}},
		{"delete", "d", "remove the last partitions of a topic", func(s, t wire.Identifier, n uint32) wire.Request {
			return &wire.DeletePartitions{PartitionsChange: wire.PartitionsChange{Stream: s, Topic: t, Count: n}}
		}},
	} {
		cmd.AddCommand(&cobra.Command{
			Use: op.name + " <stream> <topic> <partitions-count>", Aliases: []string{op.alias}, Short: op.short,
			Args: exactArgs(3), ValidArgsFunction: completeStreamTopic(g),
			RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
				ids, err := idents([]string{"stream", "topic"}, args)
				if err != nil {
					return err
				}
				n, err := parseU32("partitions count", args[2])
				if err != nil {
					return err
				}
				if n == 0 || n > 100_000 {
					return usageError("partitions count: want 1 to 100000")
				}
				if _, err := c.Do(ctx, op.req(ids[0], ids[1], n)); err != nil {
					return err
				}
				if out.mode == "json" {
					return out.json(map[string]any{"ok": true})
				}
				out.info("%d partitions %sd in topic %s of stream %s", n, op.name, ids[1], ids[0])
				return nil
			}),
		})
	}
	return cmd
}

func segmentCommand(g *globals) *cobra.Command {
	cmd := group("segment", "Segment operations", "seg")
	cmd.AddCommand(&cobra.Command{
		Use: "delete <stream> <topic> <partition> <segments-count>", Aliases: []string{"d"},
		Short: "Delete the oldest segments of a partition",
		Args:  exactArgs(4), ValidArgsFunction: completeStreamTopic(g),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			ids, err := idents([]string{"stream", "topic"}, args)
			if err != nil {
				return err
			}
			p, err := parseU32("partition", args[2])
			if err != nil {
				return err
			}
			n, err := parseU32("segments count", args[3])
			if err != nil {
				return err
			}
			if _, err := c.Do(ctx, &wire.DeleteSegments{Stream: ids[0], Topic: ids[1], PartitionID: p, SegmentsCount: n}); err != nil {
				return err
			}
			if out.mode == "json" {
				return out.json(map[string]any{"ok": true})
			}
			out.info("%d segments deleted from partition %d", n, p)
			return nil
		}),
	})
	return cmd
}

// Completion of stream and topic names from the server: one connection
// with the resolved options, only when credentials need no prompt.

func completeStreams(g *globals) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) != 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return completeFromServer(g, cmd, func(ctx context.Context, c *client.Client) []string {
			b, err := c.Do(ctx, &wire.GetStreams{})
			if err != nil {
				return nil
			}
			list, _ := wire.DecodeStreams(b)
			var names []string
			for _, s := range list {
				names = append(names, s.Name)
			}
			return names
		})
	}
}

func completeStreamTopic(g *globals) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	streams := completeStreams(g)
	return func(cmd *cobra.Command, args []string, s string) ([]string, cobra.ShellCompDirective) {
		switch len(args) {
		case 0:
			return streams(cmd, args, s)
		case 1:
			return completeFromServer(g, cmd, func(ctx context.Context, c *client.Client) []string {
				id, err := ident("stream", args[0])
				if err != nil {
					return nil
				}
				st, _, err := c.Stream(ctx, id)
				if err != nil {
					return nil
				}
				var names []string
				for _, t := range st.Topics {
					names = append(names, t.Name)
				}
				return names
			})
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}

func completeFromServer(g *globals, cmd *cobra.Command, list func(context.Context, *client.Client) []string) ([]string, cobra.ShellCompDirective) {
	none := cobra.ShellCompDirectiveNoFileComp
	if g.resolve(cmd) != nil {
		return nil, none
	}
	g.isTerminal = func() bool { return false } // never prompt while completing
	if g.Username != "" && g.Password == "" {
		return nil, none
	}
	// A shell waits on completion, so it gets a short limit of its own unless
	// --timeout was given (a slow link, or a loaded test machine).
	if f := cmd.Flags().Lookup("timeout"); f == nil || !f.Changed {
		g.Timeout = completionTimeout
	}
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if g.Timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, g.Timeout)
	}
	defer cancel()
	c, err := g.connect(ctx)
	if err != nil {
		return nil, none
	}
	defer c.Close()
	return list(ctx, c), none
}

// streamArg resolves a stream named on the command line, or fails with
// Iggy's not-found error for an id or a name.
func streamArg(ctx context.Context, c *client.Client, arg string) (wire.StreamDetails, error) {
	id, err := ident("stream", arg)
	if err != nil {
		return wire.StreamDetails{}, err
	}
	s, ok, err := c.Stream(ctx, id)
	if err != nil {
		return wire.StreamDetails{}, err
	}
	if !ok {
		return wire.StreamDetails{}, notFound("stream", id, wire.ErrStreamIDNotFound, wire.ErrStreamNameNotFound)
	}
	return s, nil
}
