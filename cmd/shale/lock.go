package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// lockFileName is the file in the data directory a running server holds an
// exclusive flock on; it says which process holds it and since when.
const lockFileName = "shale.lock"

// dataLock is a held data-directory lock; release it on shutdown.
type dataLock struct{ f *os.File }

// lockDataDir takes the data directory's lock without waiting. When
// another process holds it, the error names that process's pid and start
// time as written in the file. The lock goes with the process, so a killed
// server leaves no stale lock behind (only the file, rewritten next time).
func lockDataDir(dir string) (*dataLock, error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("data directory lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := "another process"
			if b, rerr := os.ReadFile(path); rerr == nil && strings.TrimSpace(string(b)) != "" {
				holder = "another shale (" + strings.Join(strings.Split(strings.TrimSpace(string(b)), "\n"), ", ") + ")"
			}
			return nil, &exitError{code: 1, err: fmt.Errorf("data directory %s is in use by %s; stop that server or start this one with another --data", dir, holder)}
		}
		return nil, fmt.Errorf("data directory lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("data directory lock: %w", err)
	}
	if _, err := fmt.Fprintf(f, "pid %d\nstarted %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339)); err != nil {
		f.Close()
		return nil, fmt.Errorf("data directory lock: %w", err)
	}
	return &dataLock{f: f}, nil
}

func (l *dataLock) release() {
	if l != nil && l.f != nil {
		_ = l.f.Close()
	}
}
