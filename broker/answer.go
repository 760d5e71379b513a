package broker

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shalemq/shale/log"
	"github.com/shalemq/shale/wire"
)

// A poll answer is bounded twice (docs/reliability.md, "Resource limits"):
// by Limits.PollAnswerBytes, whatever the count asked, and, past
// SmallRequest, by the server-wide budget of Limits.RequestMemory, which
// it shares with large request payloads. The log asks the answer's
// AnswerHold before each chunk it copies; a full budget ends the answer
// early, as the cap does (clients poll again from where it ended), and
// only an answer that cannot hold even its first message waits for room.

// Reasons a poll answer was shaped, the label values of
// shale_poll_answers_limited_total.
const (
	pollCutByCap    = "poll_answer_bytes" // ended early at the per-poll cap
	pollCutByMemory = "request_memory"    // ended early: the budget was full
	pollWaited      = "request_memory_wait"
)

func newPollLimitCounter() *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "shale", Name: "poll_answers_limited_total",
		Help: "Poll answers that ended before the count asked because of limits.poll_answer_bytes (reason poll_answer_bytes) or a full limits.request_memory (request_memory), and those that had to wait for room for their first message (request_memory_wait).",
	}, []string{"reason"})
	return c
}

// AnswerHold is the room one poll answer holds under Limits.RequestMemory.
// A listener keeps one per request in flight (its zero value is ready),
// hands it to PollMessages in Poll.Hold, and calls Release once the
// answer is written, whatever PollMessages returned.
type AnswerHold struct {
	m *memBudget
	n int64
}

// Grow lets the answer grow to total bytes if the budget has room; an
// answer of up to SmallRequest bytes takes nothing, as a request payload
// of that size does not. It never waits (log.Room).
func (h *AnswerHold) Grow(total int) bool {
	if h.m == nil || h.m.capacity <= 0 || total <= SmallRequest {
		return true
	}
	want := int64(total) - h.n
	if want <= 0 {
		return true
	}
	// A step ahead, so a long answer asks the budget once per step rather
	// than once per storage chunk; trim gives back what it did not use.
	if ahead := want + holdStep; h.m.tryAcquire(ahead) {
		h.n += ahead
		return true
	}
	if !h.m.tryAcquire(want) {
		return false
	}
	h.n += want
	return true
}

// holdStep is how far ahead of the answer Grow takes room.
const holdStep = 256 << 10

// trim gives back the room taken ahead of an answer of size bytes.
func (h *AnswerHold) trim(size int) {
	if extra := h.n - int64(size); h.n > 0 && extra > 0 {
		h.m.release(extra)
		h.n = int64(size)
	}
}

// wait takes room for an answer of total bytes, waiting in turn with the
// request payloads for at most ctx.
func (h *AnswerHold) wait(ctx context.Context, total int) bool {
	want := int64(total) - h.n
	if want <= 0 {
		return true
	}
	if int64(total) > h.m.capacity || !h.m.acquire(ctx, want) {
		return false
	}
	h.n += want
	return true
}

// Settle makes the hold exactly total bytes, the size of the answer as
// the listener keeps it until written (the HTTP listener's JSON is larger
// than the stored messages PollMessages counted). It never waits and never
// fails: the answer is already built and its memory is real, so room the
// budget lacks is taken anyway, and the requests after it wait or get
// shorter answers until it is released. The overdraft is bounded by one
// answer's rendering overhead over at most Limits.PollAnswerBytes stored.
// An answer of up to SmallRequest bytes holds nothing, as in Grow; a hold
// PollMessages never attached to the budget (no budget, or no partition
// read) stays empty.
func (h *AnswerHold) Settle(total int) {
	if h.m == nil || h.m.capacity <= 0 {
		return
	}
	if total <= SmallRequest {
		h.Release()
		return
	}
	switch d := int64(total) - h.n; {
	case d > 0:
		h.m.charge(d)
	case d < 0:
		h.m.release(-d)
	}
	h.n = int64(total)
}

// Held is the bytes the answer holds under the budget.
func (h *AnswerHold) Held() int64 { return h.n }

// Release gives the answer's room back. It may be called more than once.
func (h *AnswerHold) Release() {
	if h.n > 0 {
		h.m.release(h.n)
		h.n = 0
	}
}

// pollPartition reads one partition's answer for req under the limits.
// When even the first message finds no room, it waits (the snapshot the
// read held is closed meanwhile) and reads again, at most
// Limits.RequestMemoryWait in all; past that the poll fails with the
// request path's error.
func (b *Broker) pollPartition(part *log.Partition, req log.PollRequest, hold *AnswerHold, dst []byte) (PollResult, []byte, error) {
	l := b.limits
	req.MaxBytes = l.opts.PollAnswerBytes
	if hold != nil && l.mem.capacity > 0 {
		hold.m = &l.mem
		req.Room = hold
	}
	before := len(dst)
	res, dst, err := part.Poll(dst, req)
	if hold != nil {
		hold.trim(len(dst) - before)
	}
	if err != nil {
		var nr *log.NoRoomError
		if !errors.As(err, &nr) {
			return res, dst, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.opts.RequestMemoryWait)
		defer cancel()
		l.pollWaited.Inc()
		for errors.As(err, &nr) {
			if !hold.wait(ctx, nr.Bytes) {
				return res, dst[:before], fmt.Errorf("no room for a poll answer of %d bytes under the request memory limit: %w", nr.Bytes, wire.ErrError)
			}
			res, dst, err = part.Poll(dst[:before], req)
			hold.trim(len(dst) - before)
		}
		if err != nil {
			return res, dst, err
		}
	}
	switch res.Cut {
	case log.CutMaxBytes:
		l.pollCutByCap.Inc()
	case log.CutRoom:
		l.pollCutByMemory.Inc()
	}
	return res, dst, nil
}
