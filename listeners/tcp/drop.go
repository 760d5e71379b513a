package tcp

// CloseConns closes every open connection without stopping the listener
// (a cluster node that lost the leadership: its clients reconnect and are
// sent to the new leader). Requests in flight end with a write error.
func (l *Listener) CloseConns() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		_ = c.Conn.Close()
	}
	return len(l.conns)
}
