package kv

import "github.com/cockroachdb/pebble/v2"

// Iter iterates over the keys in [lower, upper) of a consistent snapshot taken
// when it was created. It is not safe for concurrent use and must be closed.
//
// Key and Value return slices owned by the iterator: valid until the next
// positioning call or Close, and never to be modified.
type Iter struct {
	db *DB
	it *pebble.Iterator
}

// NewIter returns an iterator over [lower, upper); nil bounds are open.
func (db *DB) NewIter(lower, upper []byte) (*Iter, error) {
	if err := db.acquire(); err != nil {
		return nil, err
	}
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		db.release()
		return nil, err
	}
	return &Iter{db: db, it: it}, nil
}

// First moves to the first key.
func (i *Iter) First() bool { return i.it.First() }

// Last moves to the last key.
func (i *Iter) Last() bool { return i.it.Last() }

// SeekGE moves to the first key ≥ key.
func (i *Iter) SeekGE(key []byte) bool { return i.it.SeekGE(key) }

// SeekLT moves to the last key < key.
func (i *Iter) SeekLT(key []byte) bool { return i.it.SeekLT(key) }

// Next moves to the next key.
func (i *Iter) Next() bool { return i.it.Next() }

// Prev moves to the previous key.
func (i *Iter) Prev() bool { return i.it.Prev() }

// Valid reports whether the iterator is positioned at a key.
func (i *Iter) Valid() bool { return i.it.Valid() }

// Key is the current key; see the ownership note on Iter.
func (i *Iter) Key() []byte { return i.it.Key() }

// Value is the current value; see the ownership note on Iter.
func (i *Iter) Value() ([]byte, error) { return i.it.ValueAndErr() }

// Error is the error that stopped the iteration, if any.
func (i *Iter) Error() error { return i.it.Error() }

// Close releases the iterator and its reference on the DB.
func (i *Iter) Close() error {
	err := i.it.Close()
	i.db.release()
	return err
}
