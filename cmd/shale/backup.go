package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shalemq/shale/admin"
	shalehttp "github.com/shalemq/shale/listeners/http"
)

// httpConn is how the backup command reaches a server: Iggy CLI's flag
// names, falling back to IGGY_* environment variables. It is deliberately
// small; the CLI verbs' shared connection flags can replace it.
type httpConn struct {
	url, username, password, token string
}

func (c *httpConn) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&c.url, "http-api-url", "", "server HTTP API URL (env IGGY_HTTP_API_URL; default http://127.0.0.1:3000)")
	f.StringVar(&c.username, "username", "", "user name (env IGGY_USERNAME)")
	f.StringVar(&c.password, "password", "", "password (env IGGY_PASSWORD)")
	f.StringVar(&c.token, "token", "", "personal access token, instead of user name and password (env IGGY_TOKEN)")
}

// resolve fills unset fields from the environment.
func (c *httpConn) resolve(getenv func(string) string) error {
	for _, v := range []struct {
		dst *string
		env string
	}{{&c.url, "IGGY_HTTP_API_URL"}, {&c.username, "IGGY_USERNAME"}, {&c.password, "IGGY_PASSWORD"}, {&c.token, "IGGY_TOKEN"}} {
		if *v.dst == "" {
			*v.dst = getenv(v.env)
		}
	}
	if c.url == "" {
		c.url = "http://127.0.0.1:3000"
	}
	c.url = strings.TrimRight(c.url, "/")
	if c.token == "" && (c.username == "" || c.password == "") {
		return errors.New("no credentials: give --username and --password, or --token (or IGGY_USERNAME/IGGY_PASSWORD, IGGY_TOKEN)")
	}
	return nil
}

// login returns a JWT for the credentials.
func (c *httpConn) login(client *http.Client) (string, error) {
	path, body := "/users/login", map[string]string{"username": c.username, "password": c.password}
	if c.token != "" {
		path, body = "/personal-access-tokens/login", map[string]string{"token": c.token}
	}
	b, _ := json.Marshal(body)
	resp, err := client.Post(c.url+path, "application/json", bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("login at %s: %s %s", c.url, resp.Status, bytes.TrimSpace(msg))
	}
	var id struct {
		AccessToken struct {
			Token string `json:"token"`
		} `json:"access_token"`
	}
	if err := json.Unmarshal(msg, &id); err != nil || id.AccessToken.Token == "" {
		return "", fmt.Errorf("login at %s: unexpected answer %q", c.url, msg)
	}
	return id.AccessToken.Token, nil
}

func backupCommand() *cobra.Command {
	var conn httpConn
	var out string
	var noProgress bool
	cmd := &cobra.Command{
		Use:   "backup --out FILE",
		Short: "Take a consistent backup of a running server over HTTP",
		Long: `Take a consistent snapshot of everything a running server holds (messages,
consumer offsets and groups, users and tokens) while it keeps serving, and
save it as one archive. The archive is checked before it is kept.
--out may name a directory; the server's file name is then used.

Verify an archive offline with "shale backup verify FILE" and restore it with
"shale restore --from FILE --data-dir DIR" (docs/backup.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := conn.resolve(os.Getenv); err != nil {
				return &exitError{code: 2, err: err}
			}
			progress := false
			if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 && !noProgress {
				progress = true
			}
			return runBackup(conn, out, progress, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	conn.flags(cmd)
	cmd.Flags().StringVar(&out, "out", "", "archive file or directory to write (required)")
	cmd.Flags().BoolVar(&noProgress, "no-progress", false, "no progress line even on a terminal")
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

func runBackup(conn httpConn, out string, progress bool, stdout, stderr io.Writer) (err error) {
	client := &http.Client{Timeout: 0}
	jwt, err := conn.login(&http.Client{Timeout: 30 * time.Second})
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodGet, conn.url+shalehttp.BackupPath, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+jwt)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		hint := ""
		if resp.StatusCode == http.StatusForbidden {
			hint = " (a backup needs root, or manage_servers, read_streams and manage_users)"
		}
		return fmt.Errorf("backup: %s %s%s", resp.Status, bytes.TrimSpace(msg), hint)
	}

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
