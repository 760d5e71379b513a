package kv

import (
	"fmt"
	"io"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// LockDir takes the lock an open database holds on dir, so a tool can make
// sure no server has it open before replacing it (shale restore --force).
// It fails while a process has the database open. Close releases it.
func LockDir(dir string) (io.Closer, error) {
	l, err := pebble.LockDirectory(dir, vfs.Default)
	if err != nil {
		return nil, fmt.Errorf("kv: %s is in use (is a server running on it?): %w", dir, err)
	}
	return l, nil
}
