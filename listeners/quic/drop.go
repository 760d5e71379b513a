package quic

import (
	"time"

	quicgo "github.com/quic-go/quic-go"
)

// dropGrace bounds how long CloseConns waits for a connection's requests
// in flight; dropLinger is how long it leaves their answers to reach the
// client before closing (a CONNECTION_CLOSE discards what is unsent).
const (
	dropGrace  = 5 * time.Second
	dropLinger = 100 * time.Millisecond
)

// DropCode is the application error code of a connection CloseConns
// closes: 8, Iggy's "disconnected", on which clients reconnect.
const DropCode quicgo.ApplicationErrorCode = 8

// CloseConns ends every open connection without stopping the listener (a
// cluster node that gained or lost the leadership: its clients reconnect
// and are sent to the leader). Each connection takes no new stream; the
// requests in flight on it finish first, so a send that was waiting for
// replication gets its answer (8 when the leadership was lost); then it is
// closed with DropCode. A connection whose requests are still running
// after dropGrace is closed anyway. It returns how many connections it
// ends and does not wait for them.
func (l *Listener) CloseConns() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for c, lc := range l.live {
		if lc.draining {
			continue
		}
		lc.draining = true
		n++
		go func() {
			done := make(chan struct{})
			go func() { lc.streams.Wait(); close(done) }()
			t := time.NewTimer(dropGrace)
			defer t.Stop()
			select {
			case <-done:
				time.Sleep(dropLinger)
			case <-t.C:
			}
			_ = c.CloseWithError(DropCode, "this node changed its cluster role; reconnect and read the cluster metadata")
		}()
	}
	return n
}
