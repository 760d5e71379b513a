package tcp

import "time"

// dropGrace bounds how long CloseConns lets a connection finish the
// request it is handling before closing it hard.
const dropGrace = 5 * time.Second

// CloseConns ends every open connection without stopping the listener (a
// cluster node that gained or lost the leadership: its clients reconnect
// and are sent to the leader). As Shutdown does, each connection finishes
// the request it is handling, so a send that was waiting for replication
// gets its answer (8 when the leadership was lost), then receives the
// unsolicited status-8 notice and is closed; one idle in a read ends at
// once. A connection still busy after dropGrace is closed hard. It
// returns how many connections it ends.
func (l *Listener) CloseConns() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	var dropped []*conn
	for c := range l.conns {
		if c.dropped.Swap(true) {
			continue
		}
		dropped = append(dropped, c)
		c.wake()
	}
	if len(dropped) > 0 {
		time.AfterFunc(dropGrace, func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			for _, c := range dropped {
				if _, open := l.conns[c]; open {
					_ = c.Close()
				}
			}
		})
	}
	return len(dropped)
}
