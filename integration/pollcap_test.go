package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// TestPollAnswerCap: with limits.poll_answer_bytes set low, a poll asking
// for every message (count 2³²-1) over TCP, QUIC and HTTP gets an answer
// within the cap, and a consumer polling Next with auto-commit in a loop
// reads every message exactly once, in order. The cut answers are counted
// in /metrics.
func TestPollAnswerCap(t *testing.T) {
	const (
		capBytes = 256 << 10
		payload  = 10_000
		stored   = wire.MessageHeaderSize + payload
		total    = 60 // about 600 KB, over twice the cap
		perPoll  = capBytes / stored
	)
	s := Start(t, "", fmt.Sprintf("SHALE_LIMITS_POLL_ANSWER_BYTES=%d", capBytes))
	ctx := context.Background()
	c := dialTCP(t, s)
	login(t, c)
	if _, err := c.CreateStream(ctx, "capped"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTopic(ctx, wire.CreateTopic{Stream: id0, Name: "t", PartitionsCount: 1}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < total; i += 10 {
		var batch []byte
		for j := i; j < i+10; j++ {
			p := bytes.Repeat([]byte{'x'}, payload)
			copy(p, fmt.Sprintf("m%d.", j))
			batch = wire.AppendSendMessage(batch, nil, 1, p, nil)
		}
		if err := c.Send(ctx, id0, id0, wire.PartitionID(0), 10, batch); err != nil {
			t.Fatal(err)
		}
	}

	// check takes one answer of consumer who (its messages' offsets and
	// stored sizes) into read[who].
	var read map[string][]uint64
	check := func(who string, count int, offsets []uint64, sizes []int) {
		t.Helper()
		if count != len(offsets) {
			t.Fatalf("%s: count %d for %d messages", who, count, len(offsets))
		}
		size := 0
		for _, n := range sizes {
			size += n
		}
		if size > capBytes || count > perPoll {
			t.Fatalf("%s: an answer of %d messages, %d bytes, under a cap of %d bytes", who, count, size, capBytes)
		}
		read[who] = append(read[who], offsets...)
	}
	read = map[string][]uint64{}

	binaryPoll := func(cl *client.Client, consumer uint32, kind wire.PollKind, value uint64) int {
		t.Helper()
		p, err := cl.Poll(ctx, wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(consumer)},
			Stream: id0, Topic: id0, Partition: wire.SomePartition(0), Strategy: wire.PollingStrategy{Kind: kind, Value: value},
			Count: math.MaxUint32, AutoCommit: kind == wire.PollNext})
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		var offs []uint64
		var sizes []int
		it := wire.NewMessageIter(p.Messages)
		for m, ok := it.Next(); ok; m, ok = it.Next() {
			if want := fmt.Sprintf("m%d.", m.Offset()); !bytes.HasPrefix(m.Payload(), []byte(want)) {
				t.Fatalf("message at offset %d holds %.8q", m.Offset(), m.Payload())
			}
			offs = append(offs, m.Offset())
			sizes = append(sizes, len(m))
		}
		if err := it.Err(); err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprintf("%d", consumer), int(p.Count), offs, sizes)
		return int(p.Count)
	}
	token := clusterHTTPLogin(t, s.Ports.HTTP, RootUser, RootPassword)
	httpPoll := func(consumer uint32, kind string, value uint64) int {
		t.Helper()
		st, b := httpDo(t, s.Ports.HTTP, token, "GET", fmt.Sprintf(
			"/streams/0/topics/0/messages?consumer_id=%d&partition_id=0&kind=%s&value=%d&count=%d&auto_commit=%v",
			consumer, kind, value, uint32(math.MaxUint32), kind == "next"), "")
		var ans struct {
			Count    int
			Messages []struct {
				Header struct {
					Offset            uint64
					PayloadLength     int `json:"payload_length"`
					UserHeadersLength int `json:"user_headers_length"`
				}
				Payload string
			}
		}
		if err := json.Unmarshal(b, &ans); st != 200 || err != nil {
			t.Fatalf("HTTP poll: %d %v %.200s", st, err, b)
		}
		var offs []uint64
		var sizes []int
		for _, m := range ans.Messages {
			p, err := base64.StdEncoding.DecodeString(m.Payload)
			if want := fmt.Sprintf("m%d.", m.Header.Offset); err != nil || !bytes.HasPrefix(p, []byte(want)) || len(p) != m.Header.PayloadLength {
				t.Fatalf("HTTP message at offset %d holds %.8q (%v)", m.Header.Offset, p, err)
			}
			offs = append(offs, m.Header.Offset)
			sizes = append(sizes, wire.MessageHeaderSize+m.Header.PayloadLength+m.Header.UserHeadersLength)
		}
		check(fmt.Sprintf("%d", consumer), ans.Count, offs, sizes)
		return ans.Count
	}

	q := dialQUIC(t, s)
	login(t, q)
	// One consumer per transport: 1 TCP, 2 QUIC, 3 HTTP.
	polls := []struct {
		name string
		poll func(kind wire.PollKind, value uint64) int
	}{
		{"tcp", func(k wire.PollKind, v uint64) int { return binaryPoll(c, 1, k, v) }},
		{"quic", func(k wire.PollKind, v uint64) int { return binaryPoll(q, 2, k, v) }},
		{"http", func(k wire.PollKind, v uint64) int {
			kind := map[wire.PollKind]string{wire.PollNext: "next", wire.PollOffset: "offset", wire.PollLast: "last"}[k]
			return httpPoll(3, kind, v)
		}},
	}
	for i, p := range polls {
		who := fmt.Sprintf("%d", i+1)
		// From an offset: as many as fit.
		if n := p.poll(wire.PollOffset, 5); n != perPoll {
			t.Fatalf("%s: a poll from offset 5 answered %d messages, want %d", p.name, n, perPoll)
		}
		// Last: the newest that fit.
		read[who] = nil
		p.poll(wire.PollLast, 0)
		if got, want := fmt.Sprint(read[who]), fmt.Sprint(seqFrom(total-perPoll, total)); got != want {
			t.Fatalf("%s: last answered %s, want %s", p.name, got, want)
		}
		read[who] = nil
		// Next in a loop until the end.
		var counts []int
		for range total {
			n := p.poll(wire.PollNext, 0)
			if n == 0 {
				break
			}
			counts = append(counts, n)
		}
		if len(read[who]) != total {
			t.Fatalf("%s: read %d messages in answers of %v, want %d", p.name, len(read[who]), counts, total)
		}
		for j, off := range read[who] {
			if off != uint64(j) {
				t.Fatalf("%s: message %d of the loop has offset %d: %v", p.name, j, off, read[who])
			}
		}
		if want := fmt.Sprint([]int{perPoll, perPoll, total - 2*perPoll}); fmt.Sprint(counts) != want {
			t.Errorf("%s: answers of %v messages, want %s", p.name, counts, want)
		}
	}
	// Per transport: the offset and last polls and the first two Next polls
	// were cut.
	if v, _ := value(scrape(t, s), "shale_poll_answers_limited_total", map[string]string{"reason": "poll_answer_bytes"}); v != 12 {
		t.Errorf("shale_poll_answers_limited_total{reason=poll_answer_bytes} = %v, want 12", v)
	}
}

func seqFrom(from, to int) []uint64 {
	var s []uint64
	for i := from; i < to; i++ {
		s = append(s, uint64(i))
	}
	return s
}
