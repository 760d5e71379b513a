package cluster

import (
	"fmt"

	"github.com/shalemq/shale/kv"
)

// SnapshotDir is where a node keeps its snapshot transfers, beside its
// database.
const SnapshotDir = snapDirName

// SetSnapshotChunk sets the chunk a leader streams; the returned func
// restores it.
func SetSnapshotChunk(n int) (restore func()) {
	old := snapChunk
	snapChunk = n
	return func() { snapChunk = old }
}

// SetSnapshotHook installs f at the steps of every transfer ("chunk",
// "received", "staged", "installed"); an error from "chunk" cuts the
// transfer. Set it before the nodes start and restore it after they stop.
func SetSnapshotHook(f func(step string) error) (restore func()) {
	old := testHookSnap
	testHookSnap = f
	return func() { testHookSnap = old }
}

// CheckRaftState loads the raft state of db as a starting node would and
// checks what raft requires of it (the commit index within the log), and
// returns the applied index.
func CheckRaftState(db *kv.DB, voters []uint64) (applied uint64, err error) {
	st, err := loadState(db, voters)
	if err != nil {
		return 0, err
	}
	last := st.meta.GetIndex() + uint64(len(st.entries))
	if c := st.hs.GetCommit(); c < st.meta.GetIndex() || c > last {
		return 0, fmt.Errorf("commit %d outside the log [%d, %d]", c, st.meta.GetIndex(), last)
	}
	if st.applied < st.meta.GetIndex() {
		return 0, fmt.Errorf("applied %d before the log's start %d", st.applied, st.meta.GetIndex())
	}
	return st.applied, nil
}

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
