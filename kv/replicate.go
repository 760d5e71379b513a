package kv

import (
	"errors"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// Replicator takes over Commit when a node replicates its database
// (package cluster): the batch's encoded form is handed to it instead of
// being written here, and the replicator writes it on every node, this one
// included, through CommitLocal (docs/cluster.md).
//
// Replicate is called in commit order: a caller that commits under its own
// lock sees its batches replicated in that order. It returns at once; wait
// reports the outcome (nil once the batch is applied to this database).
// An error from Replicate means nothing was proposed.
type Replicator interface {
	Replicate(repr []byte) (wait func() error, err error)
}

// SetReplicator routes every later Commit through r; nil makes commits
// local again. With none set (a single node) Commit costs one atomic load
// more than before replication existed.
func (db *DB) SetReplicator(r Replicator) {
	if r == nil {
		db.repl.Store(nil)
		return
	}
	db.repl.Store(&r)
}

func (db *DB) commitReplicated(r Replicator, b *Batch) (Durable, error) {
	if f := db.failed.Load(); f != nil {
		b.Close()
		return Durable{}, *f
	}
	if db.opts.ReadOnly {
		b.Close()
		return Durable{}, ErrReadOnly
	}
	if err := db.checkDisk(b.Len()); err != nil {
		b.Close()
		return Durable{}, err
	}
	repr := slices.Clone(b.b.Repr())
	b.Close()
	wait, err := r.Replicate(repr)
	if err != nil {
		return Durable{}, err
	}
	return Durable{wait: wait}, nil
}

// Repr is the batch's encoded form (Pebble's batch representation), valid
// until the batch is committed or closed.
func (b *Batch) Repr() []byte { return b.b.Repr() }

// AddRepr appends every write of an encoded batch (another Batch's Repr) to
// b, so that they commit atomically with b's own writes.
func (b *Batch) AddRepr(repr []byte) error {
	if len(repr) == 0 {
		return nil
	}
	other := &pebble.Batch{}
	if err := other.SetRepr(repr); err != nil {
		return err
	}
	return b.b.Apply(other, nil)
}

// ErrBadRepr is returned for an encoded batch that does not decode.
var ErrBadRepr = errors.New("kv: malformed batch representation")

// ReprTouches reports whether an encoded batch writes a key that starts
// with one of tags, or deletes a range (which may cover any key).
func ReprTouches(repr []byte, tags ...byte) (bool, error) {
	b := &pebble.Batch{}
	if err := b.SetRepr(repr); err != nil {
		return false, err
	}
	r := b.Reader()
	for {
		kind, key, _, ok, err := r.Next()
		if err != nil {
			return false, errors.Join(ErrBadRepr, err)
		}
		if !ok {
			return false, nil
		}
		if kind == pebble.InternalKeyKindRangeDelete {
			return true, nil
		}
		if len(key) > 0 && slices.Contains(tags, key[0]) {
			return true, nil
		}
	}
}

// ApplyNoSync writes b without waiting for the WAL fsync and bypassing the
// Replicator. The replication engine applies committed entries with it:
// they are already durable in its log, which a later synced write orders
// after them in the same WAL.
func (db *DB) ApplyNoSync(b *Batch) error {
	if err := db.acquire(); err != nil {
		b.Close()
		return err
	}
	defer db.release()
	if f := db.failed.Load(); f != nil {
		b.Close()
		return *f
	}
	err := db.pdb.Apply(b.b, pebble.NoSync)
	_ = b.b.Close()
	if err != nil {
		return db.fail(err)
	}
	return nil
}
