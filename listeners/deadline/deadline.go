// Package deadline holds the write timeout every listener applies to its
// connections: measured as progress, so a client that stops reading its
// answers frees the handler and its buffers, while a long answer that keeps
// moving (a big poll, a backup download) is never cut.
package deadline

import (
	"io"
	"time"
)

// chunk is the most one socket write is given at a time, so the timeout
// measures progress, not the size of the answer.
const chunk = 256 << 10

// Writer writes to W in chunks of at most 256 KiB, each of which must make
// progress within Timeout. The deadline on D is moved only when less than
// half of it is left, so a busy connection pays a clock read per write,
// not a timer. A Writer belongs to one connection and is not safe for
// concurrent use.
type Writer struct {
	W       io.Writer
	D       interface{ SetWriteDeadline(time.Time) error }
	Timeout time.Duration
	until   time.Time // the deadline in force
}

func (w *Writer) Write(p []byte) (int, error) {
	var n int
	for len(p) > 0 {
		part := p[:min(len(p), chunk)]
		if now := time.Now(); w.until.Sub(now) < w.Timeout/2 {
			w.until = now.Add(w.Timeout)
			_ = w.D.SetWriteDeadline(w.until)
		}
		k, err := w.W.Write(part)
		n += k
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}
