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
