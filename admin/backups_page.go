package admin

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// BackupSchedule describes the server's [backup] schedule for the backups
// page; the page lists the archives it keeps in Dir.
type BackupSchedule struct {
	Dir      string
	Interval time.Duration
	KeepLast int
}

type archive struct {
	Name    string
	Size    int64
	ModTime time.Time
}

type backupsData struct {
	Allowed   bool
	Extension string
	Schedule  *BackupSchedule
	Interval  string
	Archives  []archive
}

func (d *Dashboard) backupsPage(c *fiber.Ctx) error {
	if _, err := d.b.Stats(sess(c)); err != nil {
		return d.brokerFail(c, err)
	}
	bd := backupsData{Allowed: d.b.AuthorizeBackup(sess(c)) == nil, Extension: Extension, Schedule: d.opts.Backups}
	p := page{Title: "Backups", Nav: "backups", Data: &bd}
	if s := d.opts.Backups; s != nil {
		bd.Interval = humanDuration(s.Interval)
		var err error
		if bd.Archives, err = listArchives(s.Dir); err != nil && !os.IsNotExist(err) {
			p.Problem = "The backup directory cannot be read: " + err.Error()
		}
	}
	return d.render(c, "backups", p)
}

// listArchives lists the scheduler's archives in dir, newest first.
func listArchives(dir string) ([]archive, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []archive
	for _, e := range entries {
		if !isArchiveName(e.Name()) || !e.Type().IsRegular() {
			continue
		}
		if fi, err := e.Info(); err == nil {
			out = append(out, archive{Name: e.Name(), Size: fi.Size(), ModTime: fi.ModTime()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name > out[j].Name })
	return out, nil
}

func isArchiveName(n string) bool {
	return strings.HasPrefix(n, FilePrefix) && strings.HasSuffix(n, Extension) && filepath.Base(n) == n && !strings.ContainsAny(n, `/\`)
}

// downloadArchive sends one of the scheduler's archives (the same
// permission as taking a backup: an archive holds everything).
func (d *Dashboard) downloadArchive(c *fiber.Ctx) error {
	if err := d.b.AuthorizeBackup(sess(c)); err != nil {
		return d.brokerFail(c, err)
	}
	name := c.Params("name")
	if d.opts.Backups == nil || !isArchiveName(name) {
		return d.fail(c, fiber.StatusNotFound, "No such backup.")
	}
	path := filepath.Join(d.opts.Backups.Dir, name)
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
		return d.fail(c, fiber.StatusNotFound, "No such backup: it may have been pruned.")
	}
	c.Set(fiber.HeaderContentType, "application/zstd")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	return c.SendFile(path)
}

// takeBackup takes a consistent snapshot and streams it to the browser as
// a download, exactly as GET /admin/backup does for scripts.
func (d *Dashboard) takeBackup(c *fiber.Ctx) error {
	if err := d.b.AuthorizeBackup(sess(c)); err != nil {
		return back(c, Prefix+"/backups", "", err)
	}
	bk, err := Prepare(d.b, BackupOptions{Logger: d.opts.Logger})
	if err != nil {
		return back(c, Prefix+"/backups", "", err)
	}
	c.Set(fiber.HeaderContentType, "application/zstd")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+bk.Filename()+`"`)
	logger := d.opts.Logger
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		n, err := bk.WriteTo(w)
		if err == nil {
			err = w.Flush()
		}
		if cerr := bk.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			logger.Warn("dashboard backup ended early", "bytes", n, "err", err)
			return
		}
		logger.Info("dashboard backup streamed", "bytes", n)
	})
	return nil
}
