package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

type pollFlags struct {
	count                   uint32
	autoCommit              bool
	offset, timestamp       uint64
	first, last, next       bool
	consumer, consumerGroup string
	showHeaders             bool
	outputFile, format      string
	follow                  bool
	interval                time.Duration
}

func pollCommand(g *globals) *cobra.Command {
	var pf pollFlags
	cmd := &cobra.Command{
		Use:     "poll <stream> <topic> <partition>",
		Aliases: []string{"p"},
		Short:   "Poll messages: one strategy of --offset, --first, --last, --next, --timestamp",
		Long: `Poll messages from a partition.

One polling strategy is required: -o/--offset N, -f/--first, -l/--last,
-n/--next (after the consumer's stored offset) or --timestamp MICROS.
-c/--consumer names the consumer (default 0); --consumer-group polls as a
member of that group instead (the partition argument may then be omitted).
--follow keeps polling for new messages until interrupted (Ctrl-C).

--format text (default: offset, time and payload per line), jsonl (one JSON
object per message, also what --output json selects) or raw (the payload
bytes only, nothing between them).`,
		Args: rangeArgs(2, 3), ValidArgsFunction: completeStreamTopic(g),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			return runPoll(ctx, g, c, out, &pf, args)
		}),
	}
	f := cmd.Flags()
	f.Uint32VarP(&pf.count, "message-count", "m", 1, "messages per poll")
	f.BoolVarP(&pf.autoCommit, "auto-commit", "a", false, "store the consumer's offset after each poll")
	f.Uint64VarP(&pf.offset, "offset", "o", 0, "strategy: start at this offset")
	f.BoolVarP(&pf.first, "first", "f", false, "strategy: start at the first message")
	f.BoolVarP(&pf.last, "last", "l", false, "strategy: the last messages")
	f.BoolVarP(&pf.next, "next", "n", false, "strategy: after the consumer's stored offset")
	f.Uint64Var(&pf.timestamp, "timestamp", 0, "strategy: from this time (microseconds since the epoch)")
	f.StringVarP(&pf.consumer, "consumer", "c", "0", "consumer id or name")
	f.StringVar(&pf.consumerGroup, "consumer-group", "", "poll as a member of this consumer group")
	f.BoolVarP(&pf.showHeaders, "show-headers", "s", false, "print message headers (text format)")
	f.StringVar(&pf.outputFile, "output-file", "", "append the messages, binary, to this file (replay with send --input-file)")
	f.StringVar(&pf.format, "format", "text", "output: text, jsonl or raw")
	f.BoolVar(&pf.follow, "follow", false, "keep polling for new messages until interrupted")
	f.DurationVar(&pf.interval, "interval", 200*time.Millisecond, "with --follow, wait this long after an empty poll")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "jsonl", "raw"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runPoll(ctx context.Context, g *globals, c *client.Client, out *output, pf *pollFlags, args []string) error {
	ids, err := idents([]string{"stream", "topic"}, args)
	if err != nil {
		return err
	}
	fl := g.cmd.Flags()
	req := wire.PollMessages{Stream: ids[0], Topic: ids[1], Count: pf.count, AutoCommit: pf.autoCommit}
	if pf.count == 0 {
		return usageError("--message-count must be at least 1")
	}
	if len(args) == 3 {
		p, err := parseU32("partition", args[2])
		if err != nil {
			return err
		}
		req.Partition = wire.SomePartition(p)
	}
	if pf.consumerGroup != "" {
		id, err := ident("consumer group", pf.consumerGroup)
		if err != nil {
			return err
		}
		req.Consumer = wire.Consumer{Kind: wire.ConsumerGroup, ID: id}
		req.Partition = wire.OptPartition{} // the group assigns partitions
		if pf.follow {
			req.AutoCommit = true // a follower advances through the group's offsets
		}
		if _, err := c.Do(ctx, &wire.JoinConsumerGroup{GroupRef: wire.GroupRef{Stream: ids[0], Topic: ids[1], Group: id}}); err != nil {
			return err
		}
	} else {
		if len(args) != 3 {
			return usageError("message poll needs a partition, or --consumer-group")
		}
		id, err := ident("consumer", pf.consumer)
		if err != nil {
			return err
		}
		req.Consumer = wire.Consumer{Kind: wire.ConsumerSingle, ID: id}
	}
	var strategies []string
	for _, s := range []struct {
		name string
		kind wire.PollKind
		val  uint64
	}{{"offset", wire.PollOffset, pf.offset}, {"first", wire.PollFirst, 0}, {"last", wire.PollLast, 0},
		{"next", wire.PollNext, 0}, {"timestamp", wire.PollTimestamp, pf.timestamp}} {
		if fl.Changed(s.name) {
			strategies = append(strategies, "--"+s.name)
			req.Strategy = wire.PollingStrategy{Kind: s.kind, Value: s.val}
		}
	}
	if len(strategies) != 1 {
		return usageError("message poll needs exactly one of --offset, --first, --last, --next, --timestamp (got %d)", len(strategies))
	}
	format := pf.format
	if out.mode == "json" {
		format = "jsonl"
	}
	switch format {
	case "text", "jsonl", "raw":
	default:
		return usageError("--format %q: want text, jsonl or raw", format)
	}
	var file *os.File
	if pf.outputFile != "" {
		if file, err = os.OpenFile(pf.outputFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
			return usageError("--output-file: %v", err)
		}
		defer file.Close()
	}
	w := bufio.NewWriter(out.w)
	defer w.Flush()
	var buf []byte
	total := 0
	for {
		var p wire.PolledMessages
		p, buf, err = c.PollInto(ctx, req, buf)
		if err != nil {
			if pf.follow && ctx.Err() != nil {
				return nil // interrupted: a clean stop
			}
			return err
		}
		it := wire.NewMessageIter(p.Messages)
		n := 0
		var last uint64
		for m, ok := it.Next(); ok; m, ok = it.Next() {
			n++
			last = m.Offset()
			if file != nil {
				if _, err := file.Write(m); err != nil {
					return err
				}
			}
			if err := printMessage(w, format, pf.showHeaders, p.PartitionID, m); err != nil {
				return err
			}
		}
		if err := it.Err(); err != nil {
			return fmt.Errorf("malformed poll answer: %w", err)
		}
		total += n
		if !pf.follow {
			if err := w.Flush(); err != nil {
				return err
			}
			if format == "text" && !g.Quiet && file != nil {
				fmt.Fprintf(g.stderr, "%d messages appended to %s\n", n, pf.outputFile)
			}
			return nil
		}
		if err := w.Flush(); err != nil {
			return err
		}
		// Follow: continue after the last message seen; a group member
		// keeps polling "next" (with commits, so it advances).
		if n > 0 && req.Consumer.Kind == wire.ConsumerSingle {
			req.Strategy = wire.PollingStrategy{Kind: wire.PollOffset, Value: last + 1}
		}
		if req.Consumer.Kind == wire.ConsumerGroup {
			req.Strategy = wire.PollingStrategy{Kind: wire.PollNext}
			req.AutoCommit = true
		}
		if n == 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(pf.interval):
			}
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

func printMessage(w *bufio.Writer, format string, showHeaders bool, partition uint32, m wire.Message) error {
	switch format {
	case "raw":
		_, err := w.Write(m.Payload())
		return err
	case "jsonl":
		b, err := json.Marshal(toMessageJSON(partition, m))
		if err != nil {
			return err
		}
		w.Write(b)
		return w.WriteByte('\n')
	}
	payload := m.Payload()
	text := string(payload)
	if !printable(payload) {
		text = fmt.Sprintf("%q", payload)
	}
	ts := time.UnixMicro(int64(m.Timestamp())).UTC().Format("2006-01-02T15:04:05.000000Z")
	fmt.Fprintf(w, "%d\t%s\t%s", m.Offset(), ts, text)
	if showHeaders {
		if hs, err := wire.DecodeUserHeaders(m.UserHeaders()); err == nil && len(hs) > 0 {
			var parts []string
			for _, h := range hs {
				parts = append(parts, fmt.Sprintf("%s:%s:%s", headerText(h.Key), kindName(h.Value.Kind), headerText(h.Value)))
			}
			fmt.Fprintf(w, "\t[%s]", strings.Join(parts, ", "))
		}
	}
	return w.WriteByte('\n')
}
