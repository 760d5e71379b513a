package integration

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/wiretest"
)

// TestRefusedBeforeLoginEveryTransport walks every command of Iggy 0.8.0
// (one golden request frame each) on a fresh TCP and a fresh QUIC
// connection to the built binary: ping answers 0, the two logins are not
// refused as unauthenticated (their golden credentials are wrong here), and
// every other command is answered 40 with the connection still usable.
// The REST routes are walked in-process (listeners/http/security_test.go).
func TestRefusedBeforeLoginEveryTransport(t *testing.T) {
	s := Start(t, "")
	frames, err := wiretest.Requests()
	if err != nil {
		t.Fatal(err)
	}
	public := map[wire.Command]bool{wire.CmdPing: true, wire.CmdLoginUser: true, wire.CmdLoginWithPersonalAccessToken: true}
	for _, tr := range binaryTransports {
		t.Run(tr.name, func(t *testing.T) {
			c := tr.dial(t, s)
			seen := map[wire.Command]bool{}
			for _, f := range frames {
				_, code, err := wire.ParseRequestHeader(f.Bytes)
				if err != nil {
					t.Fatal(err)
				}
				seen[code] = true
				status, _, err := c.Raw(context.Background(), f.Bytes)
				if err != nil {
					t.Fatalf("%s: %v (the connection did not survive)", f.Name, err)
				}
				switch {
				case code == wire.CmdPing && status != 0:
					t.Errorf("ping before login answered %d", status)
				case public[code] && status == wire.ErrUnauthenticated.Code:
					t.Errorf("%s: a login answered 40", f.Name)
				case !public[code] && status != wire.ErrUnauthenticated.Code:
					t.Errorf("%s (%v): answered %d before login, want 40", f.Name, code, status)
				}
			}
			for _, code := range wire.Commands() {
				if !seen[code] {
					t.Errorf("no golden frame walks %v", code)
				}
			}
			if err := c.Ping(context.Background()); err != nil {
				t.Errorf("ping after the walk: %v", err)
			}
		})
	}
}

// TestSecretsStoredOnlyAsHashes sets a user's password and creates a
// personal access token, takes a backup over HTTP, stops the server, and
// looks for the plaintexts in every file of the data directory, in every
// file of the (decompressed) backup archive and in the server's log: none
// may hold them. The user's name, stored as is, must be found in both, so
// the search itself is shown to work. The secrets are random, so a
// compressing store (Pebble's blocks) keeps them as literal runs.
func TestSecretsStoredOnlyAsHashes(t *testing.T) {
	s := Start(t, "")
	c := dialTCP(t, s)
	login(t, c)
	ctx := context.Background()
	username := "user-" + randomHex(t)
	password := "pw-" + randomHex(t)
	if _, err := c.Do(ctx, &wire.CreateUser{Username: username, Password: password, Status: 1}); err != nil {
		t.Fatalf("create user: %v", err)
	}
	payload, err := c.Do(ctx, &wire.CreatePersonalAccessToken{Name: "tok-" + randomHex(t)[:8]})
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	var pat wire.RawPersonalAccessToken
	if err := pat.Decode(payload); err != nil || len(pat.Token) < 16 {
		t.Fatalf("token answer %x: %v", payload, err)
	}
	other := dialTCP(t, s)
	if _, err := other.Login(ctx, username, password); err != nil {
		t.Fatalf("login as the new user: %v", err)
	}
	if _, err := other.LoginWithToken(ctx, pat.Token); err != nil {
		t.Fatalf("login with the token: %v", err)
	}
	archive := filepath.Join(t.TempDir(), "b.tar.zst")
	httpBackup(t, s, archive)
	s.Stop()

	secrets := map[string][]byte{"password": []byte(password), "root password": []byte(RootPassword), "token": []byte(pat.Token)}
	check := func(where string, files map[string][]byte, holdsName bool) {
		t.Helper()
		foundName := false
		for name, b := range files {
			foundName = foundName || bytes.Contains(b, []byte(username))
			for what, secret := range secrets {
				if bytes.Contains(b, secret) {
					t.Errorf("%s: %s holds the %s in plain text", where, name, what)
				}
			}
		}
		if holdsName && !foundName {
			t.Errorf("%s: the user name is in no file, so the search proves nothing", where)
		}
	}
	dataFiles := map[string][]byte{}
	err = filepath.WalkDir(s.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		dataFiles[path] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	check("data directory", dataFiles, true)
	check("backup archive", untarZstd(t, archive), true)
	check("server log", map[string][]byte{"stderr": []byte(s.Output())}, false)
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// untarZstd returns every regular file of a .tar.zst archive.
func untarZstd(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = b
	}
	if len(out) == 0 {
		t.Fatal("empty archive")
	}
	return out
}

// TestFailedLoginsThrottled: with a throttle of one free failure, wrong
// passwords over TCP are delayed, logged ("login throttled") and counted
// in shale_login_throttled_total and shale_login_failures_total; the right
// password still gets in afterwards. The delays here are milliseconds;
// nothing is timed.
func TestFailedLoginsThrottled(t *testing.T) {
	s := Start(t, "", "SHALE_ADMIN_LOGIN_THROTTLE_FREE_FAILURES=1",
		"SHALE_ADMIN_LOGIN_THROTTLE_INITIAL_DELAY=5 ms", "SHALE_ADMIN_LOGIN_THROTTLE_MAX_DELAY=20 ms")
	c := dialTCP(t, s)
	ctx := context.Background()
	for range 4 {
		_, err := c.Login(ctx, RootUser, "wrong-"+randomHex(t))
		wantCode(t, "wrong password", err, wire.ErrInvalidCredentials)
	}
	login(t, c)
	fams := scrape(t, s)
	if v, _ := value(fams, "shale_login_throttled_total", map[string]string{"by": "addr"}); v != 4 {
		t.Errorf("shale_login_throttled_total{by=addr} = %v, want 4 (the three wrong passwords after the first, and the right one)", v)
	}
	if v, _ := value(fams, "shale_login_failures_total", nil); v != 4 {
		t.Errorf("shale_login_failures_total = %v, want 4", v)
	}
	if lines := s.Lines("login throttled"); len(lines) != 4 {
		t.Errorf("%d log lines say login throttled, want 4:\n%s", len(lines), s.Output())
	}
}

// TestMetricsTokenBinary: with admin.metrics.token set, the built
// binary's /metrics answers 401 without it and serves with it.
func TestMetricsTokenBinary(t *testing.T) {
	token := randomHex(t)
	s := Start(t, "", "SHALE_ADMIN_METRICS_TOKEN="+token)
	get := func(auth string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+s.Ports.HTTP+"/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := get(""); st != 401 {
		t.Errorf("/metrics without the token: %d, want 401", st)
	}
	if st := get("Bearer " + token); st != 200 {
		t.Errorf("/metrics with the token: %d, want 200", st)
	}
	if strings.Contains(s.Output(), token) {
		t.Error("the server log shows the metrics token")
	}
}
