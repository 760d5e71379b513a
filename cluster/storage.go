package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/shalemq/shale/kv"
)

// The raft state lives in the node's one Pebble database under kv.TagRaft
// (docs/cluster.md "Storage"):
//
//	R h            → HardState (protobuf)
//	R s            → SnapshotMetadata of the log's compaction point (protobuf)
//	R a            → applied index u64, term u64; written in every apply batch
//	R e <index u64> → Entry (protobuf), the entries after the compaction point
//
// raft reads the log from a raft.MemoryStorage that mirrors these keys: it
// holds only the entries after the compaction point, which is moved up
// after every CompactEvery applied entries.
const (
	keyHardState byte = 'h'
	keySnapMeta  byte = 's'
	keyApplied   byte = 'a'
	keyEntry     byte = 'e'
)

func raftKey(k byte) []byte { return kv.NewKey(nil, kv.TagRaft).U8(k) }

func entryKey(index uint64) []byte { return kv.NewKey(nil, kv.TagRaft).U8(keyEntry).U64(index) }

// entriesEnd bounds every entry key.
var entriesEnd = kv.PrefixEnd(nil, raftKey(keyEntry))

func encodeApplied(index, term uint64) []byte {
	b := binary.BigEndian.AppendUint64(nil, index)
	return binary.BigEndian.AppendUint64(b, term)
}

// stored is what a node finds in its database at start.
type stored struct {
	hs      *pb.HardState
	meta    *pb.SnapshotMetadata
	entries []*pb.Entry
	applied uint64
}

// loadState reads the raft state; a database without any (a new node, or a
// single node being turned into a cluster member) gets the initial state:
// a compaction point at index 1, term 1 with every node a voter. Every
// node of a new cluster starts from that same point, so no bootstrap
// entries are needed. A database that already holds messages keeps them:
// it is the starting state of this node only, so a cluster must be formed
// from empty nodes or from copies of one node (docs/cluster.md).
func loadState(db *kv.DB, voters []uint64) (*stored, error) {
	st := &stored{}
	v, ok, err := db.Get(nil, raftKey(keySnapMeta))
	if err != nil {
		return nil, err
	}
	if !ok {
		st.meta = &pb.SnapshotMetadata{Index: new(uint64(1)), Term: new(uint64(1)), ConfState: &pb.ConfState{Voters: voters}}
		st.hs = &pb.HardState{Term: new(uint64(1)), Commit: new(uint64(1))}
		st.applied = 1
		b := db.NewBatch()
		if err := setProto(b, raftKey(keySnapMeta), st.meta); err != nil {
			return nil, err
		}
		if err := setProto(b, raftKey(keyHardState), st.hs); err != nil {
			return nil, err
		}
		if err := b.Set(raftKey(keyApplied), encodeApplied(1, 1)); err != nil {
			return nil, err
		}
		if err := commitSync(db, b); err != nil {
			return nil, err
		}
		return st, nil
	}
	st.meta = &pb.SnapshotMetadata{}
	if err := proto.Unmarshal(v, st.meta); err != nil {
		return nil, fmt.Errorf("cluster: snapshot metadata: %w", err)
	}
	st.hs = &pb.HardState{}
	if v, ok, err := db.Get(nil, raftKey(keyHardState)); err != nil {
		return nil, err
	} else if ok {
		if err := proto.Unmarshal(v, st.hs); err != nil {
			return nil, fmt.Errorf("cluster: hard state: %w", err)
		}
	}
	if v, ok, err := db.Get(nil, raftKey(keyApplied)); err != nil {
		return nil, err
	} else if ok && len(v) == 16 {
		st.applied = binary.BigEndian.Uint64(v)
	} else {
		return nil, errors.New("cluster: applied index missing")
	}
	it, err := db.NewIter(entryKey(st.meta.GetIndex()+1), entriesEnd)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	next := st.meta.GetIndex() + 1
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.Value()
		if err != nil {
			return nil, err
		}
		e := &pb.Entry{}
		if err := proto.Unmarshal(v, e); err != nil {
			return nil, fmt.Errorf("cluster: entry %x: %w", it.Key(), err)
		}
		if e.GetIndex() != next {
			return nil, fmt.Errorf("cluster: log entry %d where %d was expected", e.GetIndex(), next)
		}
		next++
		st.entries = append(st.entries, e)
	}
	return st, it.Error()
}

// memoryStorage builds raft's view of the stored log.
func (st *stored) memoryStorage() (*raft.MemoryStorage, error) {
	ms := raft.NewMemoryStorage()
	if err := ms.ApplySnapshot(&pb.Snapshot{Metadata: st.meta}); err != nil {
		return nil, err
	}
	if err := ms.SetHardState(st.hs); err != nil {
		return nil, err
	}
	if err := ms.Append(st.entries); err != nil {
		return nil, err
	}
	return ms, nil
}

func setProto(b *kv.Batch, key []byte, m proto.Message) error {
	v, err := proto.Marshal(m)
	if err != nil {
		return err
	}
	return b.Set(key, v)
}

// commitSync writes b locally and waits for the WAL fsync (Pebble groups
// it with whatever else is syncing).
func commitSync(db *kv.DB, b *kv.Batch) error {
	d, err := db.CommitLocal(b)
	if err != nil {
		return err
	}
	return d.Wait()
}

// persist writes new log entries and the hard state in one synced batch,
// first removing any stored tail the new entries replace.
func (n *Node) persist(entries []*pb.Entry, hs *pb.HardState) error {
	b := n.db.NewBatch()
	if len(entries) > 0 {
		first := entries[0].GetIndex()
		if first <= n.lastStored {
			if err := b.DeleteRange(entryKey(first), entriesEnd); err != nil {
				b.Close()
				return err
			}
		}
		for _, e := range entries {
			if err := setProto(b, entryKey(e.GetIndex()), e); err != nil {
				b.Close()
				return err
			}
		}
	}
	if !raft.IsEmptyHardState(hs) {
		if err := setProto(b, raftKey(keyHardState), hs); err != nil {
			b.Close()
			return err
		}
	}
	if b.Empty() {
		b.Close()
		return nil
	}
	if err := commitSync(n.db, b); err != nil {
		return err
	}
	if len(entries) > 0 {
		if err := n.ms.Append(entries); err != nil {
			return err
		}
		n.lastStored = entries[len(entries)-1].GetIndex()
		for _, e := range entries {
			n.logBytes += uint64(len(e.GetData()))
		}
	}
	if !raft.IsEmptyHardState(hs) {
		return n.ms.SetHardState(hs)
	}
	return nil
}

// compact moves the compaction point up to applied-LogKeep once more than
// CompactEvery entries, or MaxLogBytes of entry data, precede it (the
// entries are held in memory too): raft's copy and the stored entries go,
// a follower that needs them later gets a snapshot instead. The deletion
// is written after the apply batches of those entries in the same WAL, so
// it can never be durable without them.
func (n *Node) compact() error {
	first, _ := n.ms.FirstIndex()
	byCount := n.applied >= first+n.cfg.CompactEvery+n.cfg.LogKeep
	byBytes := n.logBytes > n.cfg.MaxLogBytes && n.applied > first+n.cfg.LogKeep
	if !byCount && !byBytes {
		return nil
	}
	at := n.applied - n.cfg.LogKeep
	snap, err := n.ms.CreateSnapshot(at, n.confState, nil)
	if err != nil {
		return err
	}
	if err := n.ms.Compact(at); err != nil {
		return err
	}
	b := n.db.NewBatch()
	if err := b.DeleteRange(entryKey(0), entryKey(at+1)); err != nil {
		b.Close()
		return err
	}
	if err := setProto(b, raftKey(keySnapMeta), snap.GetMetadata()); err != nil {
		b.Close()
		return err
	}
	n.metrics.compactions.Inc()
	n.logBytes = 0
	if last, _ := n.ms.LastIndex(); last > at {
		kept, err := n.ms.Entries(at+1, last+1, math.MaxUint64)
		if err != nil {
			b.Close()
			return err
		}
		for _, e := range kept {
			n.logBytes += uint64(len(e.GetData()))
		}
	}
	return n.db.ApplyNoSync(b)
}
