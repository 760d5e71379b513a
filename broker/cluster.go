package broker

// Reload rebuilds the catalog and the user store from the database. A
// replicated node calls it when replication wrote the database underneath
// the broker (docs/cluster.md).
func (b *Broker) Reload() error {
	if err := b.log.Reload(); err != nil {
		return err
	}
	return b.users.Reload()
}

// DropSessions drops every client session, as EvictStale drops an idle
// one: each leaves its groups and the client table, and its connection's
// next command is answered 30 and closed. A cluster node calls it when it
// gains or loses the leadership, so clients reconnect and find the leader.
func (b *Broker) DropSessions() int {
	n := 0
	for _, s := range b.sessions.list() {
		s.stale.Store(true)
		b.CloseSession(s)
		n++
	}
	return n
}
