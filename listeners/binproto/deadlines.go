package binproto

import (
	"io"
	"time"
)

// deadliner is what a stream connection (TCP) offers for deadlines.
type deadliner interface {
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// frameReader sits under a connection's bufio.Reader and sets read
// deadlines only when a read actually reaches the socket: while a frame is
// under way (mid), each socket read must return within the frame timeout,
// so a client that sends part of a frame and stops is dropped; between
// frames the idle timeout applies, or none. A request that arrives whole
// in one read costs no timer at all.
type frameReader struct {
	c     io.Reader
	d     deadliner
	frame time.Duration // 0: no deadline mid-frame
	idle  time.Duration // 0: wait for the next frame forever
	mid   bool
	set   bool // a read deadline is in force
}

func (f *frameReader) Read(p []byte) (int, error) {
	switch t := f.timeout(); {
	case t > 0:
		_ = f.d.SetReadDeadline(time.Now().Add(t))
		f.set = true
	case f.set:
		_ = f.d.SetReadDeadline(time.Time{})
		f.set = false
	}
	return f.c.Read(p)
}

func (f *frameReader) timeout() time.Duration {
	if f.mid {
		return f.frame
	}
	return f.idle
}

// writeChunk is the most one socket write is given at a time, so the
// write timeout measures progress, not the size of a poll answer.
const writeChunk = 256 << 10

// deadlineWriter sits under a connection's bufio.Writer: every write must
// make progress within the timeout, or it fails and the connection ends,
// so a client that never reads its answers releases the handler and its
// buffers. The deadline is moved only when less than half of it is left,
// so a busy connection pays a clock read per write, not a timer.
type deadlineWriter struct {
	c       io.Writer
	d       deadliner
	timeout time.Duration
	until   time.Time
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	var n int
	for len(p) > 0 {
		chunk := p[:min(len(p), writeChunk)]
		if now := time.Now(); w.until.Sub(now) < w.timeout/2 {
			w.until = now.Add(w.timeout)
			_ = w.d.SetWriteDeadline(w.until)
		}
		k, err := w.c.Write(chunk)
		n += k
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}
