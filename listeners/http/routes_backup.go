package http

import (
	"bufio"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/admin"
	"github.com/shalemq/shale/wire"
)

// BackupPath is the route that streams a backup archive; it is shale's own,
// Iggy has none (docs/backup.md).
const BackupPath = "/admin/backup"

// ManifestChecksumHeader carries the archive manifest's checksum, so a client
// can check what it saved against what the server wrote.
const ManifestChecksumHeader = "X-Shale-Manifest-Checksum"

// backup takes a consistent snapshot and streams it as one archive while it
// is compressed; ?max_rate=N caps the read rate at N bytes per second. The checkpoint is removed when the stream ends, whether it
// completed, failed or the client went away: fasthttp runs the stream
// writer in its own goroutine and closes its pipe when the response cannot
// be written, so every write after that fails.
func (s *Server) backup(c *fiber.Ctx) error {
	if err := s.b.AuthorizeBackup(session(c)); err != nil {
		return err
	}
	opts := admin.BackupOptions{Logger: s.opts.Logger}
	if v := c.Query("max_rate"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("max_rate %q: want bytes per second: %w", v, wire.ErrInvalidCommand)
		}
		opts.MaxRate = n
	}
	bk, err := admin.Prepare(s.b, opts)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/zstd")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+bk.Filename()+`"`)
	c.Set(ManifestChecksumHeader, bk.ManifestChecksum())
	logger := s.opts.Logger
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		n, err := bk.WriteTo(w)
		if err == nil {
			err = w.Flush()
		}
		closeErr := bk.Close()
		if err != nil {
			logger.Warn("backup stream ended early", "bytes", n, "err", err)
			return
		}
		if closeErr == nil {
			logger.Info("backup streamed", "bytes", n, "files", len(bk.Manifest().Files))
		}
	})
	return nil
}
