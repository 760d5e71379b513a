// Package cluster replicates a node's database to its peers with etcd's
// raft (go.etcd.io/raft/v3), phase 0 of docs/cluster.md: one raft group
// for the whole broker state.
//
// The broker does not know about it: the package sits beside the broker,
// on kv, and only cmd/shale imports it. A Node installs itself as the
// database's kv.Replicator, so every batch the broker's log and user store
// commit becomes one raft proposal on the leader, and every node applies
// the committed batches, in log order, to its own database. The leader
// computed each batch from its own state (offsets, timestamps, message
// ids are in the bytes), so applying is deterministic. A commit's Wait
// returns once the entry is committed by a quorum and applied here.
package cluster
