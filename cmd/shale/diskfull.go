package main

import (
	"errors"
	"fmt"

	"github.com/shalemq/shale/config"
	"github.com/shalemq/shale/kv"
)

// explainDiskFull turns a start refused by the free-space reserve into a
// message that says what to do. A fresh data directory needs a few writes
// (the root user, the token secret) before serving; an existing one starts
// on a full disk and serves reads (docs/reliability.md, "Disk full").
func explainDiskFull(err error, cfg *config.Config) error {
	if !errors.Is(err, kv.ErrDiskFull) {
		return err
	}
	return fmt.Errorf("%w\n  the filesystem holding the data directory %s has less free space than "+
		"system.storage.min_free_disk (%s): free space there, or lower the setting "+
		"(SHALE_SYSTEM_STORAGE_MIN_FREE_DISK; 0 turns the guard off)",
		err, cfg.System.Path, humanBytes(int64(min(uint64(cfg.System.Storage.MinFreeDisk), 1<<62))))
}
