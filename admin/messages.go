package admin

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/wire"
)

// shownPayload bounds how much of one payload the browser page renders.
const shownPayload = 64 << 10

type browseQuery struct {
	Partition uint32
	Strategy  string // offset, timestamp, first, last
	Value     string
	Count     uint32
	Format    string // text, json, hex
}

type shownMessage struct {
	Offset    uint64
	Timestamp uint64
	ID        string
	Size      int
	Headers   []shownHeader
	Body      string
	Note      string
}

type shownHeader struct{ Key, Kind, Value string }

type browseData struct {
	StreamID, TopicID uint32
	Stream            string
	Topic             broker.TopicInfo
	Q                 browseQuery
	Messages          []shownMessage
	Current           uint64
	Polled            bool
}

func (d *Dashboard) messagesPage(c *fiber.Ctx) error {
	s := sess(c)
	sid, tid, ti, stream, found, err := d.pathTopic(c, s)
	if !found {
		return err
	}
	bd := browseData{StreamID: sid.ID, TopicID: tid.ID, Topic: ti, Stream: stream}
	q := browseQuery{Strategy: c.Query("strategy", "last"), Value: strings.TrimSpace(c.Query("value")), Format: c.Query("format", "text"), Count: 20}
	if n, err := strconv.ParseUint(c.Query("partition", "0"), 10, 32); err == nil {
		q.Partition = uint32(n)
	}
	if n, err := strconv.ParseUint(c.Query("count", "20"), 10, 32); err == nil && n > 0 {
		q.Count = uint32(min(n, 200))
	}
	bd.Q = q
	p := page{Title: "Messages · " + ti.Name, Nav: "streams", Data: &bd}
	poll := broker.Poll{Consumer: broker.Consumer{ID: broker.ByID(0)}, Stream: sid, Topic: tid, Partition: &q.Partition, Count: q.Count}
	switch q.Strategy {
	case "first":
		poll.Strategy = broker.StrategyFirst
	case "offset":
		poll.Strategy = broker.StrategyOffset
		poll.Value, err = strconv.ParseUint(q.Value, 10, 64)
		if err != nil {
			p.Problem = "The offset must be a whole number."
			return d.render(c, "messages", p)
		}
	case "timestamp":
		poll.Strategy = broker.StrategyTimestamp
		if poll.Value, err = parseTimestamp(q.Value); err != nil {
			p.Problem = err.Error()
			return d.render(c, "messages", p)
		}
	default:
		bd.Q.Strategy = "last"
		poll.Strategy = broker.StrategyLast
	}
	// The answer holds its room under limits.request_memory, as a
	// listener's poll does, until the page built from it is rendered
	// (render copies the page into the response): a full budget shortens
	// it or makes it wait like any other poll.
	hold := new(broker.AnswerHold)
	defer hold.Release()
	poll.Hold = hold
	res, buf, err := d.b.PollMessages(s, poll, nil)
	if err != nil {
		p.Problem = explain(err)
		return d.render(c, "messages", p)
	}
	bd.Polled, bd.Current = true, res.CurrentOffset
	it := wire.NewMessageIter(buf)
	for m, ok := it.Next(); ok; m, ok = it.Next() {
		bd.Messages = append(bd.Messages, show(m, q.Format))
	}
	return d.render(c, "messages", p)
}

// parseTimestamp reads RFC 3339 or Unix microseconds.
func parseTimestamp(s string) (uint64, error) {
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return n, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return uint64(t.UnixMicro()), nil
		}
	}
	return 0, fmt.Errorf("timestamp %q: use RFC 3339 (2026-01-02T15:04:05Z) or Unix microseconds", s)
}

func show(m wire.Message, format string) shownMessage {
	payload := m.Payload()
	sm := shownMessage{Offset: m.Offset(), Timestamp: m.Timestamp(), ID: idString(m.ID()), Size: len(payload)}
	if hs, err := wire.DecodeUserHeaders(m.UserHeaders()); err == nil {
		for _, h := range hs {
			sm.Headers = append(sm.Headers, shownHeader{Key: headerValue(h.Key), Kind: kindName(h.Value.Kind), Value: headerValue(h.Value)})
		}
	} else if len(m.UserHeaders()) > 0 {
		sm.Note = "headers do not decode: " + err.Error()
	}
	if len(payload) > shownPayload {
		payload = payload[:shownPayload]
		sm.Note = fmt.Sprintf("showing the first %s of %s", humanBytes(shownPayload), humanBytes(sm.Size))
	}
	switch format {
	case "hex":
		sm.Body = hexDump(payload)
	case "json":
		var out bytes.Buffer
		if err := json.Indent(&out, payload, "", "  "); err == nil {
			sm.Body = out.String()
		} else {
			sm.Body = printable(payload)
			if sm.Note == "" {
				sm.Note = "not JSON; shown as text"
			}
		}
	default:
		sm.Body = printable(payload)
	}
	return sm
}

func idString(id []byte) string {
	// Iggy shows ids as u128; little-endian on the wire.
	var hi, lo uint64
	lo = binary.LittleEndian.Uint64(id[:8])
	hi = binary.LittleEndian.Uint64(id[8:16])
	return fmt.Sprintf("%016x%016x", hi, lo)
}

// printable shows valid UTF-8 as is and escapes anything else.
func printable(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strconv.Quote(string(b))
}

func hexDump(b []byte) string {
	var sb strings.Builder
	for i := 0; i < len(b); i += 16 {
		line := b[i:min(i+16, len(b))]
		fmt.Fprintf(&sb, "%08x  ", i)
		for j := range 16 {
			if j < len(line) {
				fmt.Fprintf(&sb, "%02x ", line[j])
			} else {
				sb.WriteString("   ")
			}
			if j == 7 {
				sb.WriteByte(' ')
			}
		}
		sb.WriteString(" |")
		for _, c := range line {
			if c >= 0x20 && c < 0x7f {
				sb.WriteByte(c)
			} else {
				sb.WriteByte('.')
			}
		}
		sb.WriteString("|\n")
	}
	return sb.String()
}

// kindName is a header kind's name in wire (wire/names.go).
func kindName(k wire.HeaderKind) string {
	if n := k.Name(); n != "" {
		return n
	}
	return "kind " + strconv.Itoa(int(k))
}

// headerValue is a header key or value as wire reads it to people, or its
// bytes in hex (raw).
func headerValue(v wire.HeaderValue) string {
	if s, ok := v.Text(); ok {
		return s
	}
	return "0x" + hex.EncodeToString(v.Bytes)
}

// sendTest sends one message typed into the browser form: the payload as
// UTF-8 text and "key: value" lines as string headers.
func (d *Dashboard) sendTest(c *fiber.Ctx, sid, tid broker.Ident) error {
	here := fmt.Sprintf("%s/streams/%d/topics/%d/messages", Prefix, sid.ID, tid.ID)
	payload := c.FormValue("payload")
	if payload == "" {
		return back(c, here, "", fmt.Errorf("the payload is empty: %w", errBadInput))
	}
	var hs []wire.UserHeader
	for _, line := range strings.Split(c.FormValue("headers"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" || len(k) > 255 || len(v) > 255 {
			return back(c, here, "", fmt.Errorf("header line %q: write key: value (each 1 to 255 bytes): %w", line, errBadInput))
		}
		hs = append(hs, wire.UserHeader{Key: wire.StringHeader(k), Value: wire.StringHeader(v)})
	}
	part := broker.Partitioning{Kind: broker.PartitionBalanced}
	to := here
	if p := strings.TrimSpace(c.FormValue("partition")); p != "" {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return back(c, here, "", fmt.Errorf("partition %q: %w", p, errBadInput))
		}
		part = broker.Partitioning{Kind: broker.PartitionID, ID: uint32(n)}
		to = fmt.Sprintf("%s?partition=%d&strategy=last", here, n)
	}
	batch := wire.AppendSendMessage(nil, nil, uint64(time.Now().UnixMicro()), []byte(payload), wire.AppendUserHeaders(nil, hs...))
	return back(c, to, "Message sent.", d.b.Send(sess(c), sid, tid, part, batch, 1))
}
