package deadline

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

type recorder struct {
	writes    []int
	deadlines []time.Time
	failAfter int // fail the write after this many; 0: never
}

func (r *recorder) Write(p []byte) (int, error) {
	r.writes = append(r.writes, len(p))
	if r.failAfter > 0 && len(r.writes) > r.failAfter {
		return 0, errors.New("i/o timeout")
	}
	return len(p), nil
}

func (r *recorder) SetWriteDeadline(t time.Time) error {
	r.deadlines = append(r.deadlines, t)
	return nil
}

func TestWriterChunksAndMovesTheDeadlineOnlyWhenHalfGone(t *testing.T) {
	r := &recorder{}
	w := &Writer{W: r, D: r, Timeout: time.Hour}
	p := bytes.Repeat([]byte{1}, 2*chunk+10)
	n, err := w.Write(p)
	if err != nil || n != len(p) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(p))
	}
	if want := []int{chunk, chunk, 10}; !equal(r.writes, want) {
		t.Fatalf("socket writes %v, want %v", r.writes, want)
	}
	// An hour's deadline is far from half gone after three writes: set once.
	if len(r.deadlines) != 1 {
		t.Fatalf("deadline set %d times, want 1", len(r.deadlines))
	}
}

func TestWriterReportsWhatWasWrittenBeforeAFailure(t *testing.T) {
	r := &recorder{failAfter: 1}
	w := &Writer{W: r, D: r, Timeout: time.Second}
	n, err := w.Write(make([]byte, chunk+1))
	if err == nil || n != chunk {
		t.Fatalf("Write = %d, %v; want %d and the error", n, err, chunk)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
