package broker

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/log"
)

// The catalog a checkpoint describes; the types are log's, named here so
// admin needs only broker.
type (
	CatalogDesc   = log.Description
	StreamDesc    = log.StreamDesc
	TopicDesc     = log.TopicDesc
	PartitionDesc = log.PartitionDesc
	GroupDesc     = log.GroupDesc
	StoredOffset  = log.StoredOffset
)

// UserDesc describes one user in a checkpoint (no secrets).
type UserDesc struct {
	ID       uint32 `json:"id"`
	Username string `json:"username"`
	Active   bool   `json:"active"`
	Tokens   int    `json:"personal_access_tokens"`
}

// Checkpoint is a consistent copy of the database on the server's disk,
// hard-linked where possible, with a description read from the copy itself.
// Remove it when done.
type Checkpoint struct {
	// Dir holds the Pebble files (a flat directory).
	Dir string
	// Durability is the server's durability mode, "sync" or "interval".
	Durability string
	Catalog    CatalogDesc
	Users      []UserDesc
}

// checkpointsDir is where checkpoints live: beside the database, on the same
// filesystem, so Pebble can hard-link its immutable files.
const checkpointsDir = "checkpoints"

func (b *Broker) checkpointsRoot() string {
	return filepath.Join(filepath.Dir(b.log.Dir()), checkpointsDir)
}

// AuthorizeBackup allows a backup to a user who could read everything in it
// anyway: one holding the global manage_servers, read_streams and
// manage_users rights (root has all). A backup holds every message and every
// password hash, so any single one of these would be an escalation. 40 when
// not logged in, 41 otherwise.
func (b *Broker) AuthorizeBackup(s *Session) error {
	p, err := b.permissions(s)
	if err != nil {
		return err
	}
	g := p.Global
	return allow(g.ManageServers && g.ReadStreams && g.ManageUsers, "backup (needs manage_servers, read_streams and manage_users)")
}

// Checkpoint takes a checkpoint of the live database and describes it from
// the copy, so the description matches the files exactly. It takes no
// session: callers authorise first (AuthorizeBackup) or are the server's own
// schedule. On error nothing is left on disk.
func (b *Broker) Checkpoint() (_ *Checkpoint, err error) {
	root := b.checkpointsRoot()
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	dir := filepath.Join(root, fmt.Sprintf("ckpt-%d-%s", b.now().UnixMilli(), hex.EncodeToString(rnd[:])))
	if err := b.log.Checkpoint(dir); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	c := &Checkpoint{Dir: dir, Durability: b.log.Durability()}
	defer func() {
		if err != nil {
			_ = c.Remove()
		}
	}()
	l, db, err := log.OpenCheckpoint(dir, b.opts.Logger)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	if c.Catalog, err = l.Describe(); err != nil {
		return nil, fmt.Errorf("describe checkpoint: %w", err)
	}
	users, err := auth.Open(db, auth.Options{})
	if err != nil {
		return nil, fmt.Errorf("checkpoint users: %w", err)
	}
	for _, u := range users.Users() {
		c.Users = append(c.Users, UserDesc{ID: u.ID, Username: u.Name, Active: u.Active, Tokens: len(users.Tokens(u.ID))})
	}
	// The read-only open leaves Pebble's LOCK file behind; it is not part
	// of the database.
	if err := os.Remove(filepath.Join(dir, "LOCK")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return c, nil
}

// Remove deletes the checkpoint's directory.
func (c *Checkpoint) Remove() error { return os.RemoveAll(c.Dir) }

// RemoveStaleCheckpoints deletes checkpoints a crashed or killed process left
// behind and returns how many there were. Call it at startup, before any
// backup can run.
func (b *Broker) RemoveStaleCheckpoints() (int, error) {
	root := b.checkpointsRoot()
	entries, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "ckpt-") {
			continue
		}
		if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
