package admin

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ErrNotEmpty: restore refuses a data directory that holds anything, unless
// forced.
var ErrNotEmpty = errors.New("data directory is not empty")

// DBDir is the database's directory inside a data directory, as shale serve
// lays it out.
const DBDir = "db"

// RestoreOptions configure Restore.
type RestoreOptions struct {
	// Force replaces the database of a data directory that is not empty.
	// Other files there (runtime state) are left alone.
	Force bool
	// Check, when set, is called on the unpacked database before it takes
	// its place; an error there aborts the restore. cmd/shale opens the
	// database with it to prove it readable.
	Check func(dbDir string, m *Manifest) error
	// Lock, when set, is called on a database about to be replaced (Force)
	// before anything else, and its release after the swap; an error means
	// the database is in use and the restore is refused. cmd/shale takes
	// Pebble's directory lock with it, so no running server loses its files.
	Lock func(dbDir string) (release func() error, err error)
}

// Restore unpacks the archive at path into dataDir (the database goes to
// dataDir/db). It reads the archive twice: first to check every checksum,
// with nothing written; then to unpack into a temporary directory inside
// dataDir, checking again as it writes. Only when both passes and Check
// succeed does the new database take its place, so on any failure dataDir
// is as it was (an absent dataDir stays absent).
func Restore(path, dataDir string, opts RestoreOptions) (*Manifest, error) {
	existed, err := checkTarget(dataDir, opts.Force)
	if err != nil {
		return nil, err
	}
	target := filepath.Join(dataDir, DBDir)
	if _, err := os.Lstat(target); err == nil && opts.Lock != nil {
		release, err := opts.Lock(target)
		if err != nil {
			return nil, err
		}
		defer func() { _ = release() }()
	}
	m, err := VerifyFile(path)
	if err != nil {
		return nil, err
	}

	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	tmp := filepath.Join(dataDir, ".restore-"+hex.EncodeToString(rnd[:]))
	ok := false
	defer func() {
		if ok {
			return
		}
		_ = os.RemoveAll(tmp)
		if !existed {
			_ = os.Remove(dataDir)
		}
	}()
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	m2, err := Read(f, func(fe FileEntry, r io.Reader) error { return writeFile(filepath.Join(tmp, fe.Name), r) })
	_ = f.Close()
	if err != nil {
		return nil, fmt.Errorf("second pass: %w", err)
	}
	if err := syncDir(tmp); err != nil {
		return nil, err
	}
	if opts.Check != nil {
		if err := opts.Check(tmp, m2); err != nil {
			return nil, fmt.Errorf("restored database does not open: %w", err)
		}
	}

	var old string
	if _, err := os.Lstat(target); err == nil {
		old = filepath.Join(dataDir, ".replaced-"+hex.EncodeToString(rnd[:]))
		if err := os.Rename(target, old); err != nil {
			return nil, err
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		if old != "" {
			_ = os.Rename(old, target)
		}
		return nil, err
	}
	ok = true
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			return m, fmt.Errorf("restored, but the replaced database at %s could not be removed: %w", old, err)
		}
	}
	return m, syncDir(dataDir)
}

// checkTarget refuses a non-empty dataDir unless force, and reports whether
// it exists.
func checkTarget(dataDir string, force bool) (existed bool, err error) {
	entries, err := os.ReadDir(dataDir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if len(entries) > 0 && !force {
		return true, fmt.Errorf("%w: %s holds %d entries (use --force to replace its database)", ErrNotEmpty, dataDir, len(entries))
	}
	return true, nil
}

func writeFile(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
