package cluster

// ReadersWaiting is how many readers are gathered for the next ReadIndex
// round, not yet asked (tests).
func (n *Node) ReadersWaiting() int {
	n.reads.mu.Lock()
	defer n.reads.mu.Unlock()
	if n.reads.next == nil {
		return 0
	}
	return n.reads.next.readers
}
