package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/shalemq/shale/admin"
	"github.com/shalemq/shale/config"
	shalehttp "github.com/shalemq/shale/listeners/http"
	"github.com/shalemq/shale/wire"
)

func backupCommand(g *globals) *cobra.Command {
	var out, maxRate string
	var noProgress bool
	cmd := &cobra.Command{
		Use:   "backup --out FILE",
		Short: "Take a consistent backup of a running server over HTTP",
		Long: `Take a consistent snapshot of everything a running server holds (messages,
consumer offsets and groups, users and tokens) while it keeps serving, and
save it as one archive. The archive is checked before it is kept.
--out may name a directory; the server's file name is then used.

It connects over HTTP with the connection flags, environment and contexts
of the client verbs (--http-api-url, --username, --password, --token; also
IGGY_HTTP_API_URL and IGGY_TOKEN). The user must be root, or hold
manage_servers, read_streams and manage_users.

Verify an archive offline with "shale backup verify FILE" and restore it with
"shale restore --from FILE --data-dir DIR" (docs/backup.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.resolve(cmd); err != nil {
				return err
			}
			g.Transport = "http"
			if f := cmd.Flags().Lookup("http-api-url"); !f.Changed && g.environ(cliEnv["http-api-url"]) == "" && g.environ("IGGY_HTTP_API_URL") != "" && g.HTTPAPIURL == defaultHTTPURL {
				g.HTTPAPIURL = g.environ("IGGY_HTTP_API_URL")
			}
			if g.Token == "" && g.Username == "" {
				g.Token = g.environ("IGGY_TOKEN")
			}
			progress := false
			if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 && !noProgress {
				progress = true
			}
			// Interrupted, the partial file is removed.
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			path := shalehttp.BackupPath
			if maxRate != "" {
				n, err := config.ParseByteSize(maxRate)
				if err != nil || n.IsUnlimited() {
					return usageError("--max-rate %q: want a size per second such as 50MB", maxRate)
				}
				path += "?max_rate=" + strconv.FormatUint(uint64(n), 10)
			}
			return runBackup(ctx, g, path, out, progress, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "archive file or directory to write (required)")
	cmd.Flags().BoolVar(&noProgress, "no-progress", false, "no progress line even on a terminal")
	cmd.Flags().StringVar(&maxRate, "max-rate", "", "cap the server's read rate per second (such as 50MB), to spare a small machine's CPU")
	_ = cmd.MarkFlagRequired("out")
	cmd.AddCommand(verifyCommand())
	return cmd
}

func verifyCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify FILE",
		Short: "Check a backup archive offline (every checksum) and print its manifest",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := admin.VerifyFile(args[0])
			if err != nil {
				return fmt.Errorf("%s is not a good backup: %w", args[0], err)
			}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(m)
			}
			fmt.Fprintf(w, "%s: OK\n", args[0])
			m.Describe(w)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the manifest as JSON")
	return cmd
}

func runBackup(ctx context.Context, g *globals, route, out string, progress bool, stdout, stderr io.Writer) (err error) {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	start := time.Now()
	resp, err := c.GetStream(ctx, route)
	if err != nil {
		if errors.Is(err, wire.ErrUnauthorized) {
			return fmt.Errorf("backup: %w (a backup needs root, or manage_servers, read_streams and manage_users)", err)
		}
		return fmt.Errorf("backup: %w", err)
	}
	defer resp.Body.Close()

	path := out
	if fi, err := os.Stat(out); err == nil && fi.IsDir() {
		name := admin.Filename(time.Now())
		if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil && params["filename"] != "" {
			name = filepath.Base(params["filename"])
		}
		path = filepath.Join(out, name)
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s exists; choose another --out", path)
	}
	tmp := path + ".partial"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	var w io.Writer = f
	var p *progressLine
	if progress {
		p = &progressLine{w: stderr, start: start}
		w = io.MultiWriter(f, p)
	}
	n, err := io.Copy(w, resp.Body)
	if p != nil {
		p.done()
	}
	if err != nil {
		return fmt.Errorf("backup interrupted after %d bytes: %w", n, err)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	m, err := admin.VerifyFile(tmp)
	if err != nil {
		return fmt.Errorf("the downloaded archive does not verify: %w", err)
	}
	if want := resp.Header.Get(shalehttp.ManifestChecksumHeader); want != "" {
		if got := manifestChecksum(tmp); got != want {
			return fmt.Errorf("the downloaded manifest's checksum %s is not the server's %s", got, want)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	elapsed := time.Since(start)
	s, t, parts, msgs, _ := m.Totals()
	fmt.Fprintf(stdout, "%s: %s in %s (%.1f MB/s); %d streams, %d topics, %d partitions, %d messages, %d users\n",
		path, humanBytes(n), elapsed.Round(time.Millisecond), float64(n)/1e6/elapsed.Seconds(), s, t, parts, msgs, len(m.Users))
	return nil
}

// manifestChecksum reads the archive's second entry (already verified).
func manifestChecksum(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sum, _ := admin.ReadManifestChecksum(f)
	return sum
}

// progressLine redraws "bytes, rate" on a terminal at most every 200 ms.
type progressLine struct {
	w     io.Writer
	start time.Time
	n     int64
	last  time.Time
}

func (p *progressLine) Write(b []byte) (int, error) {
	p.n += int64(len(b))
	if now := time.Now(); now.Sub(p.last) >= 200*time.Millisecond {
		p.last = now
		p.draw()
	}
	return len(b), nil
}

func (p *progressLine) draw() {
	secs := max(time.Since(p.start).Seconds(), 1e-3)
	fmt.Fprintf(p.w, "\r\x1b[Kbackup: %s received, %.1f MB/s", humanBytes(p.n), float64(p.n)/1e6/secs)
}

func (p *progressLine) done() {
	p.draw()
	fmt.Fprintln(p.w)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}
