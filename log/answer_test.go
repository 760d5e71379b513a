package log_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/shalemq/shale/log"
	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/wiretest"
)

// msgLen is the stored size of one message of answerEnv: a 64-byte
// header and a 1,000-byte payload. A 4 KiB chunk holds three of them.
const msgLen = wire.MessageHeaderSize + 1000

// answerEnv is one partition holding n messages of msgLen bytes (offset
// i's payload starts with "m<i>."), appended in one batch and so stored
// three to a chunk.
func answerEnv(t *testing.T, n int) *log.Partition {
	t.Helper()
	e := newEnv(t, log.Options{ChunkSize: 4096})
	p := e.onePartition()
	if n > 0 {
		payloads := make([]string, n)
		for i := range payloads {
			payloads[i] = string(wiretest.NumberedPayload(i, 1000))
		}
		msgs, count := batch(nil, payloads)
		if _, err := p.Append(msgs, count); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func TestPollMaxBytes(t *testing.T) {
	p := answerEnv(t, 12) // chunks at offsets 0, 3, 6, 9
	cases := []struct {
		name     string
		from     uint64
		count    uint32
		max      int
		want     []uint64
		wantCut  log.Cut
		wantSize int
	}{
		{"no cap", 0, 100, 0, seq(0, 12), log.CutNone, 12 * msgLen},
		{"cap above the answer", 0, 5, 100 * msgLen, seq(0, 5), log.CutNone, 5 * msgLen},
		{"cap exactly the answer", 2, 4, 4 * msgLen, seq(2, 6), log.CutNone, 4 * msgLen},
		{"mid-chunk", 0, 100, 2*msgLen + 10, seq(0, 2), log.CutMaxBytes, 2 * msgLen},
		{"a byte short of two", 0, 100, 2*msgLen - 1, seq(0, 1), log.CutMaxBytes, msgLen},
		{"at a chunk edge", 0, 100, 3 * msgLen, seq(0, 3), log.CutMaxBytes, 3 * msgLen},
		{"across chunks, mid-chunk start", 1, 100, 5*msgLen + 100, seq(1, 6), log.CutMaxBytes, 5 * msgLen},
		{"across chunks to an edge", 1, 100, 5 * msgLen, seq(1, 6), log.CutMaxBytes, 5 * msgLen},
		{"cap below one message", 4, 100, 10, seq(4, 5), log.CutMaxBytes, msgLen},
		{"last message, cap below it", 11, 100, 10, seq(11, 12), log.CutNone, msgLen},
		{"count ends first", 3, 2, 3 * msgLen, seq(3, 5), log.CutNone, 2 * msgLen},
		// Last (from = lastFrom): the newest messages that fit.
		{"last, cap inside a chunk", lastFrom, 100, 4*msgLen + 10, seq(8, 12), log.CutMaxBytes, 4 * msgLen},
		{"last, cap inside the newest chunk", lastFrom, 5, 2*msgLen + 10, seq(10, 12), log.CutMaxBytes, 2 * msgLen},
		{"last, cap at a chunk edge", lastFrom, 12, 6 * msgLen, seq(6, 12), log.CutMaxBytes, 6 * msgLen},
		{"last, cap below one message", lastFrom, 12, 10, seq(11, 12), log.CutMaxBytes, msgLen},
		{"last, all fit", lastFrom, 5, 5 * msgLen, seq(7, 12), log.CutNone, 5 * msgLen},
		{"last, everything fits", lastFrom, 100, 12 * msgLen, seq(0, 12), log.CutNone, 12 * msgLen},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prefix := []byte("keep")
			req := log.PollRequest{Strategy: log.StrategyOffset, Value: c.from, Count: c.count, MaxBytes: c.max}
			if c.from == lastFrom {
				req.Strategy, req.Value = log.StrategyLast, 0
			}
			res, out, err := p.Poll(append([]byte(nil), prefix...), req)
			if err != nil {
				t.Fatal(err)
			}
			if string(out[:len(prefix)]) != string(prefix) {
				t.Fatalf("dst's bytes changed: %q", out[:len(prefix)])
			}
			got := wiretest.NumberedOffsets(t, out[len(prefix):])
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("offsets %v, want %v", got, c.want)
			}
			if len(out)-len(prefix) != c.wantSize {
				t.Errorf("answer of %d bytes, want %d", len(out)-len(prefix), c.wantSize)
			}
			if int(res.Count) != len(c.want) || res.LastOffset != c.want[len(c.want)-1] {
				t.Errorf("result count %d, last %d; want %d, %d", res.Count, res.LastOffset, len(c.want), c.want[len(c.want)-1])
			}
			if res.Cut != c.wantCut {
				t.Errorf("cut %d, want %d", res.Cut, c.wantCut)
			}
		})
	}
}

// lastFrom marks a case of TestPollMaxBytes that polls with StrategyLast.
const lastFrom = 1 << 40

func seq(from, to uint64) []uint64 {
	var s []uint64
	for o := from; o < to; o++ {
		s = append(s, o)
	}
	return s
}

// TestPollMaxBytesOversize: a message larger than the cap still goes out
// whole, alone, and the poll after it goes on.
func TestPollMaxBytesOversize(t *testing.T) {
	p := answerEnv(t, 2)
	big, n := batch(nil, []string{string(wiretest.NumberedPayload(2, 20_000))})
	if _, err := p.Append(big, n); err != nil {
		t.Fatal(err)
	}
	// Last: the newest message goes alone when it is larger than the cap.
	res, out, err := p.Poll(nil, log.PollRequest{Strategy: log.StrategyLast, Count: 3, MaxBytes: 5000})
	if err != nil || fmt.Sprint(wiretest.NumberedOffsets(t, out)) != "[2]" || res.Cut != log.CutMaxBytes {
		t.Fatalf("last 3 under a cap below the newest: %v, cut %d, %v", wiretest.NumberedOffsets(t, out), res.Cut, err)
	}
	tail, n := batch(nil, []string{string(wiretest.NumberedPayload(3, 1000))})
	if _, err := p.Append(tail, n); err != nil {
		t.Fatal(err)
	}
	req := log.PollRequest{Strategy: log.StrategyOffset, Count: 100, MaxBytes: 5000}
	var all []uint64
	var sizes []int
	for req.Value < 4 {
		res, out, err := p.Poll(nil, req)
		if err != nil {
			t.Fatal(err)
		}
		if res.Count == 0 {
			t.Fatalf("nothing at offset %d", req.Value)
		}
		all = append(all, wiretest.NumberedOffsets(t, out)...)
		sizes = append(sizes, len(out))
		req.Value = res.LastOffset + 1
	}
	if fmt.Sprint(all) != fmt.Sprint(seq(0, 4)) {
		t.Fatalf("read %v", all)
	}
	want := []int{2 * msgLen, wire.MessageHeaderSize + 20_000, msgLen}
	if fmt.Sprint(sizes) != fmt.Sprint(want) {
		t.Fatalf("answers of %v bytes, want %v", sizes, want)
	}
}

// TestPollMaxBytesAutoCommit: auto-commit stores the last offset returned,
// and Next polls under the cap read every message once, in order.
func TestPollMaxBytesAutoCommit(t *testing.T) {
	p := answerEnv(t, 10)
	for _, c := range []log.Consumer{{ID: 7}, {Group: true, ID: 1}} {
		res, _, err := p.Poll(nil, log.PollRequest{Strategy: log.StrategyOffset, Value: 2, Count: 100,
			MaxBytes: 2*msgLen + 1, Consumer: c, AutoCommit: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Count != 2 || res.LastOffset != 3 {
			t.Fatalf("%+v: polled %d to %d, want 2 to offset 3", c, res.Count, res.LastOffset)
		}
		stored, ok, err := p.Offset(c)
		if err != nil || !ok || stored != 3 {
			t.Fatalf("%+v: stored offset %d, %v, %v; want 3", c, stored, ok, err)
		}
		var all []uint64
		for range 20 {
			res, out, err := p.Poll(nil, log.PollRequest{Strategy: log.StrategyNext, Count: 1 << 31,
				MaxBytes: 3 * msgLen, Consumer: c, AutoCommit: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.Count == 0 {
				break
			}
			if res.Count > 3 {
				t.Fatalf("%d messages in one answer under a cap of three", res.Count)
			}
			all = append(all, wiretest.NumberedOffsets(t, out)...)
		}
		if fmt.Sprint(all) != fmt.Sprint(seq(4, 10)) {
			t.Fatalf("%+v: Next polls read %v", c, all)
		}
	}
}

// room grants an answer up to limit bytes and records what it was asked.
type room struct {
	limit int
	asked []int
}

func (r *room) Grow(total int) bool {
	r.asked = append(r.asked, total)
	return total <= r.limit
}

func TestPollRoom(t *testing.T) {
	p := answerEnv(t, 9) // chunks at 0, 3, 6
	poll := func(from uint64, r *room) (log.PollResult, []uint64, error) {
		t.Helper()
		res, out, err := p.Poll(nil, log.PollRequest{Strategy: log.StrategyOffset, Value: from, Count: 100,
			MaxBytes: 100 * msgLen, Room: r})
		return res, wiretest.NumberedOffsets(t, out), err
	}
	// Room for four messages: the answer ends at the chunk edge before.
	r := &room{limit: 4 * msgLen}
	res, got, err := poll(0, r)
	if err != nil || fmt.Sprint(got) != "[0 1 2]" || res.Cut != log.CutRoom || res.LastOffset != 2 {
		t.Fatalf("room for four: %v, cut %d, last %d, %v", got, res.Cut, res.LastOffset, err)
	}
	if fmt.Sprint(r.asked) != fmt.Sprint([]int{3 * msgLen, 6 * msgLen}) {
		t.Fatalf("asked %v", r.asked)
	}
	// Room for one: the first chunk does not fit, its first message does.
	res, got, err = poll(1, &room{limit: msgLen})
	if err != nil || fmt.Sprint(got) != "[1]" || res.Cut != log.CutRoom {
		t.Fatalf("room for one: %v, cut %d, %v", got, res.Cut, err)
	}
	// No room for the first message: a NoRoomError saying what it needs.
	res, got, err = poll(6, &room{limit: 10})
	var nr *log.NoRoomError
	if !errors.As(err, &nr) || nr.Bytes != msgLen || res.Count != 0 || len(got) != 0 {
		t.Fatalf("no room: %v, %v, count %d", got, err, res.Count)
	}
}
