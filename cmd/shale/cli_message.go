package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

func messageCommand(g *globals) *cobra.Command {
	cmd := group("message", "Send, poll and flush messages", "m")
	cmd.AddCommand(sendCommand(g), pollCommand(g), flushCommand(g))
	return cmd
}

// sendBatch bounds one SendMessages request when reading many lines.
const (
	sendBatchMessages = 1000
	sendBatchBytes    = 1 << 20
)

func sendCommand(g *globals) *cobra.Command {
	var partition uint32
	var key, inputFile, payloadFile string
	var headers []string
	var single bool
	cmd := &cobra.Command{
		Use:     "send <stream> <topic> [messages...]",
		Aliases: []string{"s"},
		Short:   "Send messages: from arguments, else --payload-file, --input-file, or standard input (one per line)",
		Long: `Send messages to a topic.

Messages come from the arguments (one message each); else from --payload-file
(the file is one message); else from --input-file (messages as
'message poll --output-file' writes them); else from standard input, one
message per line (--single: all of standard input is one message).

Partitioning: --partition-id, --message-key, or balanced when neither is given.
Headers: -H key:kind:value[,key:kind:value...], kind one of raw, string, bool,
int8..int128, uint8..uint128, float32, float64.`,
		Args: rangeArgs(2, -1), ValidArgsFunction: completeStreamTopic(g),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			ids, err := idents([]string{"stream", "topic"}, args)
			if err != nil {
				return err
			}
			f := g.cmd.Flags()
			if f.Changed("partition-id") && f.Changed("message-key") {
				return usageError("--partition-id and --message-key exclude each other")
			}
			part := wire.Balanced()
			switch {
			case f.Changed("partition-id"):
				part = wire.PartitionID(partition)
			case f.Changed("message-key"):
				if key == "" || len(key) > 255 {
					return usageError("--message-key: 1 to 255 bytes")
				}
				part = wire.MessagesKey([]byte(key))
			}
			hdr, err := parseHeaders(headers)
			if err != nil {
				return err
			}
			sources := 0
			for _, on := range []bool{len(args) > 2, payloadFile != "", inputFile != ""} {
				if on {
					sources++
				}
			}
			if sources > 1 {
				return usageError("give messages as arguments, --payload-file or --input-file, not several")
			}
			s := &sender{c: c, stream: ids[0], topic: ids[1], part: part, headers: hdr}
			switch {
			case len(args) > 2:
				for _, m := range args[2:] {
					if err := s.add(ctx, []byte(m)); err != nil {
						return err
					}
				}
			case payloadFile != "":
				b, err := os.ReadFile(payloadFile)
				if err != nil {
					return usageError("--payload-file: %v", err)
				}
				if err := s.add(ctx, b); err != nil {
					return err
				}
			case inputFile != "":
				b, err := os.ReadFile(inputFile)
				if err != nil {
					return usageError("--input-file: %v", err)
				}
				it := wire.NewMessageIter(b)
				for m, ok := it.Next(); ok; m, ok = it.Next() {
					if err := s.addRaw(ctx, m.Payload(), m.UserHeaders()); err != nil {
						return err
					}
				}
				if it.Err() != nil {
					return usageError("--input-file %s: not messages as 'message poll --output-file' writes them", inputFile)
				}
			case single:
				b, err := io.ReadAll(g.stdin)
				if err != nil {
					return err
				}
				if err := s.add(ctx, b); err != nil {
					return err
				}
			default:
				r := bufio.NewReaderSize(g.stdin, 64<<10)
				for {
					line, err := r.ReadBytes('\n')
					if len(line) > 0 {
						line = []byte(strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r"))
						if len(line) > 0 {
							if err := s.add(ctx, line); err != nil {
								return err
							}
						}
					}
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						return err
					}
				}
			}
			if err := s.flush(ctx); err != nil {
				return err
			}
			if s.sent == 0 {
				return usageError("no messages to send")
			}
			if out.mode == "json" {
				return out.json(map[string]any{"sent": s.sent, "bytes": s.bytes})
			}
			out.info("sent %d messages (%s) to topic %s of stream %s", s.sent, fmtSize(s.bytes), ids[1], ids[0])
			return nil
		}),
	}
	fl := cmd.Flags()
	fl.Uint32VarP(&partition, "partition-id", "p", 0, "partition to send to")
	fl.StringVarP(&key, "message-key", "m", "", "key the server hashes to choose the partition")
	fl.StringSliceVarP(&headers, "headers", "H", nil, "headers key:kind:value, comma separated")
	fl.StringVar(&inputFile, "input-file", "", "file of messages as 'message poll --output-file' writes them")
	fl.StringVar(&payloadFile, "payload-file", "", "file whose bytes are one message")
	fl.BoolVar(&single, "single", false, "standard input is one message, not one per line")
	return cmd
}

// sender batches messages into SendMessages requests.
type sender struct {
	c             *client.Client
	stream, topic wire.Identifier
	part          wire.Partitioning
	headers       []byte
	buf           []byte
	n             int
	sent          int
	bytes         uint64
}

func (s *sender) add(ctx context.Context, payload []byte) error {
	return s.addRaw(ctx, payload, s.headers)
}

func (s *sender) addRaw(ctx context.Context, payload, headers []byte) error {
	if len(payload) == 0 {
		return usageError("a message needs a payload")
	}
	if len(payload) > wire.MaxPayloadSize {
		return usageError("a message of %d bytes is over the %d-byte limit", len(payload), wire.MaxPayloadSize)
	}
	s.buf = wire.AppendSendMessage(s.buf, nil, uint64(time.Now().UnixMicro()), payload, headers)
	s.n++
	s.bytes += uint64(len(payload))
	if s.n >= sendBatchMessages || len(s.buf) >= sendBatchBytes {
		return s.flush(ctx)
	}
	return nil
}

func (s *sender) flush(ctx context.Context) error {
	if s.n == 0 {
		return nil
	}
	if err := s.c.Send(ctx, s.stream, s.topic, s.part, s.n, s.buf); err != nil {
		return err
	}
	s.sent += s.n
	s.n, s.buf = 0, s.buf[:0]
	return nil
}

// parseHeaders reads -H key:kind:value entries into wire form; the key is
// a string.
func parseHeaders(list []string) ([]byte, error) {
	var hs []wire.UserHeader
	for _, e := range list {
		parts := strings.SplitN(e, ":", 3)
		if len(parts) != 3 || parts[0] == "" {
			return nil, usageError("header %q: want key:kind:value", e)
		}
		kind, ok := wire.ParseHeaderKind(strings.ToLower(parts[1]))
		if !ok {
			return nil, usageError("header %q: unknown kind %q", e, parts[1])
		}
		v, err := headerValue(kind, parts[2])
		if err != nil {
			return nil, usageError("header %q: %v", e, err)
		}
		if len(v) == 0 || len(v) > 255 || len(parts[0]) > 255 {
			return nil, usageError("header %q: key and value must be 1 to 255 bytes", e)
		}
		hs = append(hs, wire.UserHeader{Key: wire.StringHeader(parts[0]), Value: wire.HeaderValue{Kind: kind, Bytes: v}})
	}
	if len(hs) == 0 {
		return nil, nil
	}
	return wire.AppendUserHeaders(nil, hs...), nil
}

func headerValue(kind wire.HeaderKind, s string) ([]byte, error) {
	le := binary.LittleEndian
	bits := map[wire.HeaderKind]int{wire.HeaderInt8: 8, wire.HeaderInt16: 16, wire.HeaderInt32: 32, wire.HeaderInt64: 64,
		wire.HeaderUint8: 8, wire.HeaderUint16: 16, wire.HeaderUint32: 32, wire.HeaderUint64: 64}
	switch kind {
	case wire.HeaderRaw, wire.HeaderString:
		return []byte(s), nil
	case wire.HeaderBool:
		v, err := strconv.ParseBool(s)
		if err != nil {
			return nil, err
		}
		if v {
			return []byte{1}, nil
		}
		return []byte{0}, nil
	case wire.HeaderInt8, wire.HeaderInt16, wire.HeaderInt32, wire.HeaderInt64:
		v, err := strconv.ParseInt(s, 10, bits[kind])
		if err != nil {
			return nil, err
		}
		return le.AppendUint64(nil, uint64(v))[:bits[kind]/8], nil
	case wire.HeaderUint8, wire.HeaderUint16, wire.HeaderUint32, wire.HeaderUint64:
		v, err := strconv.ParseUint(s, 10, bits[kind])
		if err != nil {
			return nil, err
		}
		return le.AppendUint64(nil, v)[:bits[kind]/8], nil
	case wire.HeaderInt128, wire.HeaderUint128:
		v, ok := new(big.Int).SetString(s, 10)
		lim := new(big.Int).Lsh(big.NewInt(1), 128)
		if !ok {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		if kind == wire.HeaderInt128 {
			half := new(big.Int).Rsh(lim, 1)
			if v.Cmp(half) >= 0 || v.Cmp(new(big.Int).Neg(half)) < 0 {
				return nil, fmt.Errorf("%s is out of range", s)
			}
			if v.Sign() < 0 {
				v.Add(v, lim)
			}
		} else if v.Sign() < 0 || v.Cmp(lim) >= 0 {
			return nil, fmt.Errorf("%s is out of range", s)
		}
		be := v.FillBytes(make([]byte, 16))
		for i, j := 0, 15; i < j; i, j = i+1, j-1 {
			be[i], be[j] = be[j], be[i]
		}
		return be, nil
	case wire.HeaderFloat32:
		v, err := strconv.ParseFloat(s, 32)
		if err != nil {
			return nil, err
		}
		return le.AppendUint32(nil, math.Float32bits(float32(v))), nil
	case wire.HeaderFloat64:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, err
		}
		return le.AppendUint64(nil, math.Float64bits(v)), nil
	}
	return nil, fmt.Errorf("unknown kind")
}

// headerText renders a header value for people and JSON: wire's text, or
// base64 for raw bytes.
func headerText(v wire.HeaderValue) string {
	if s, ok := v.Text(); ok {
		return s
	}
	return base64.StdEncoding.EncodeToString(v.Bytes)
}

// kindName is a header kind's name in wire (wire/names.go).
func kindName(k wire.HeaderKind) string {
	if n := k.Name(); n != "" {
		return n
	}
	return "unknown"
}

func flushCommand(g *globals) *cobra.Command {
	var fsync bool
	cmd := &cobra.Command{
		Use: "flush <stream> <topic> <partition>", Aliases: []string{"f"},
		Short: "Make a partition's accepted messages durable (--fsync: and sync them)",
		Args:  exactArgs(3), ValidArgsFunction: completeStreamTopic(g),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			ids, err := idents([]string{"stream", "topic"}, args)
			if err != nil {
				return err
			}
			p, err := parseU32("partition", args[2])
			if err != nil {
				return err
			}
			if _, err := c.Do(ctx, &wire.FlushUnsavedBuffer{Stream: ids[0], Topic: ids[1], PartitionID: p, Fsync: fsync}); err != nil {
				return err
			}
			if out.mode == "json" {
				return out.json(map[string]any{"ok": true})
			}
			out.info("partition %d of topic %s flushed", p, ids[1])
			return nil
		}),
	}
	cmd.Flags().BoolVarP(&fsync, "fsync", "f", false, "fsync the flushed data")
	return cmd
}

// messageJSON is one polled message as --output json / --format jsonl
// prints it (one object per line).
type messageJSON struct {
	PartitionID     uint32                `json:"partition_id"`
	Offset          uint64                `json:"offset"`
	Timestamp       uint64                `json:"timestamp"`
	OriginTimestamp uint64                `json:"origin_timestamp"`
	ID              string                `json:"id"`
	Checksum        uint64                `json:"checksum"`
	Headers         map[string]headerJSON `json:"headers,omitempty"`
	Payload         string                `json:"payload"`
	Text            *string               `json:"text,omitempty"`
}

type headerJSON struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

func u128Decimal(id []byte) string {
	be := make([]byte, 16)
	for i := range 16 {
		be[i] = id[15-i]
	}
	return new(big.Int).SetBytes(be).String()
}

// printable reports whether a payload reads as text on a terminal.
func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if !unicode.IsPrint(r) && r != '\t' {
			return false
		}
	}
	return true
}

func toMessageJSON(partition uint32, m wire.Message) messageJSON {
	j := messageJSON{PartitionID: partition, Offset: m.Offset(), Timestamp: m.Timestamp(), OriginTimestamp: m.OriginTimestamp(),
		ID: u128Decimal(m.ID()), Checksum: m.Checksum(), Payload: base64.StdEncoding.EncodeToString(m.Payload())}
	if utf8.Valid(m.Payload()) {
		t := string(m.Payload())
		j.Text = &t
	}
	if hs, err := wire.DecodeUserHeaders(m.UserHeaders()); err == nil && len(hs) > 0 {
		j.Headers = map[string]headerJSON{}
		for _, h := range hs {
			j.Headers[headerText(h.Key)] = headerJSON{kindName(h.Value.Kind), headerText(h.Value)}
		}
	}
	return j
}
