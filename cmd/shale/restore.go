package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/shalemq/shale/admin"
	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/log"
)

func restoreCommand() *cobra.Command {
	var from, dataDir string
	var force bool
	cmd := &cobra.Command{
		Use:   "restore --from FILE --data-dir DIR",
		Short: "Restore a backup archive into a data directory for shale serve",
		Long: `Restore a backup archive into a data directory. Every checksum is checked
before anything is written; the database is unpacked beside the target,
opened once to prove it readable, and only then put in place. A directory
that is not empty is refused unless --force, which replaces its database.
Then run "shale serve --data DIR".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := admin.Restore(from, dataDir, admin.RestoreOptions{Force: force, Check: checkRestored,
				Lock: func(dir string) (func() error, error) {
					l, err := kv.LockDir(dir)
					if err != nil {
						return nil, err
					}
					return l.Close, nil
				}})
			if err != nil {
				if errors.Is(err, admin.ErrNotEmpty) {
					return &exitError{code: 2, err: err}
				}
				return fmt.Errorf("restore from %s: %w", from, err)
			}
			s, t, p, msgs, _ := m.Totals()
			fmt.Fprintf(cmd.OutOrStdout(), "restored %s into %s: snapshot of %s, %d streams, %d topics, %d partitions, %d messages, %d users\nstart it with: shale serve --data %s\n",
				from, dataDir, m.CreatedAt.Format("2006-01-02T15:04:05Z"), s, t, p, msgs, len(m.Users), dataDir)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "backup archive to restore (required)")
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "data directory to restore into (required)")
	cmd.Flags().BoolVar(&force, "force", false, "replace the database of a data directory that is not empty")
	_ = cmd.MarkFlagRequired("from")
	_ = cmd.MarkFlagRequired("data-dir")
	return cmd
}

// checkRestored opens an unpacked database as serve would (which replays
// its WAL) and checks that its catalog is the manifest's.
func checkRestored(dir string, m *admin.Manifest) (err error) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := kv.Open(dir, kv.Options{CacheSize: 16 << 20, Logger: quiet,
		OnFatal: func(msg string) {}})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	l, err := log.Open(db, log.Options{Logger: quiet})
	if err != nil {
		return err
	}
	users, err := auth.Open(db, auth.Options{})
	if err != nil {
		return err
	}
	d, err := l.Describe()
	if err != nil {
		return err
	}
	got, _ := json.Marshal(d.Streams)
	want, _ := json.Marshal(m.Streams)
	if !bytes.Equal(got, want) {
		return errors.New("its streams, offsets or consumer offsets differ from the manifest")
	}
	if n := len(users.Users()); n != len(m.Users) {
		return fmt.Errorf("it has %d users, the manifest %d", n, len(m.Users))
	}
	return nil
}
