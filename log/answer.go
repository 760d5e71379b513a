package log

import "fmt"

// Cut says why a poll's answer ended before the count asked while more
// messages were there to read.
type Cut uint8

const (
	CutNone     Cut = iota
	CutMaxBytes     // the next message would have taken it past PollRequest.MaxBytes
	CutRoom         // PollRequest.Room refused to let it grow
)

// Room is a memory budget a poll's answer takes from as it grows. Grow is
// asked before the answer grows to total bytes (counting from the first
// byte Poll appends) and reports whether it may; what it grants is the
// owner's to give back once the answer has been sent.
type Room interface {
	Grow(total int) bool
}

// NoRoomError is Poll's answer when Room refused even the first message
// it found: Bytes is what that message needs. The caller may wait for
// room and poll again.
type NoRoomError struct {
	Bytes int
}

func (e *NoRoomError) Error() string {
	return fmt.Sprintf("no room for a poll answer of %d bytes", e.Bytes)
}

// answer is what a poll has appended so far and what bounds it.
type answer struct {
	max  int  // PollRequest.MaxBytes
	room Room // PollRequest.Room
	err  error

	count uint32
	size  int
	last  uint64
	cut   Cut
}

// span is the run of wanted messages of one chunk: bytes [begin, end) of
// the value, count messages from offset first; the first one ends at
// firstEnd.
type span struct {
	begin, end, firstEnd int
	first                uint64
	count                uint32
}

// fit takes s, or as much of it as a's Room allows, into the answer. When
// Room refuses the rest, the answer ends at the last chunk taken; when it
// refuses the first message of the answer, fit sets a.err and reports
// false.
func (a *answer) fit(s *span) bool {
	if a.room != nil && !a.room.Grow(a.size+s.end-s.begin) {
		if a.count > 0 {
			a.cut = CutRoom
			s.count = 0
			return true
		}
		// The whole span does not fit; the first message may.
		if s.count == 1 || !a.room.Grow(s.firstEnd-s.begin) {
			a.err = &NoRoomError{Bytes: s.firstEnd - s.begin}
			return false
		}
		a.cut = CutRoom
		s.end, s.count = s.firstEnd, 1
	}
	a.count += s.count
	a.size += s.end - s.begin
	a.last = s.first + uint64(s.count) - 1
	return true
}
