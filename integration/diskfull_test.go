package integration

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// The disk-full test runs the binary on a real, small filesystem: a tmpfs
// of diskSize with a free-space reserve of diskReserve and a small memtable
// (a restart replays the WAL into a memtable and flushes it, which the
// reserve must hold).
const (
	diskSize     = 104 << 20
	diskReserve  = "32 MiB"
	ballastBytes = 24 << 20 // more than the guard can overshoot the reserve by
	fillPayload  = 16 << 10 // bytes per message
	fillBatch    = 32       // messages per send
	fillParts    = 3        // one producer per partition
)

// mountTmpfs mounts a tmpfs of size bytes at a fresh directory and unmounts
// it when the test ends (after the server, whose cleanup runs first). It
// skips the test when mounting is not allowed.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("disk-full test skipped: mounting a tmpfs needs root (CI runs as root)")
	}
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		t.Skipf("disk-full test skipped: cannot mount a tmpfs here (%v)", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

func diskEnv() []string {
	return []string{
		"SHALE_SYSTEM_STORAGE_MIN_FREE_DISK=" + diskReserve,
		"SHALE_SYSTEM_STORAGE_MEMTABLE_SIZE=4 MiB",
		"SHALE_SYSTEM_STORAGE_CACHE_SIZE=8 MiB",
	}
}

// fillMessage is message seq of partition p: its id and payload say both,
// so a poll after the restart checks each one.
func fillMessage(dst []byte, p, seq int) []byte {
	id := make([]byte, 16)
	binary.BigEndian.PutUint64(id[0:8], uint64(p+1))
	binary.BigEndian.PutUint64(id[8:16], uint64(seq+1))
	payload := bytes.Repeat([]byte{byte(p*31 + seq)}, fillPayload)
	binary.BigEndian.PutUint64(payload, uint64(seq))
	return wire.AppendSendMessage(dst, id, 0, payload, nil)
}

type fillers struct {
	mu    sync.Mutex
	acked [fillParts]int // messages acknowledged per partition, in order
}

// sendUntilRefused has every producer send batches until one is refused,
// and returns each producer's refusal.
func (pr *fillers) sendUntilRefused(t *testing.T, s *Server) []error {
	errs := make([]error, fillParts)
	var wg sync.WaitGroup
	for p := range fillParts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dialTCP(t, s)
			login(t, c)
			for range 1000 { // far more than the disk holds
				if err := pr.sendBatch(c, p); err != nil {
					errs[p] = err
					return
				}
			}
			errs[p] = errors.New("never refused")
		}()
	}
	wg.Wait()
	return errs
}

func (pr *fillers) sendBatch(c *client.Client, p int) error {
	pr.mu.Lock()
	first := pr.acked[p]
	pr.mu.Unlock()
	var batch []byte
	for i := range fillBatch {
		batch = fillMessage(batch, p, first+i)
	}
	if err := c.Send(context.Background(), wire.NamedID("disk"), wire.NamedID("fill"), wire.PartitionID(uint32(p)), fillBatch, batch); err != nil {
		return err
	}
	pr.mu.Lock()
	pr.acked[p] += fillBatch
	pr.mu.Unlock()
	return nil
}

// verify polls every partition from offset 0 and checks it holds exactly
// the acknowledged messages, intact and in order.
func (pr *fillers) verify(t *testing.T, c *client.Client) {
	t.Helper()
	for p := range fillParts {
		next := 0
		for next < pr.acked[p] {
			got, err := c.Poll(context.Background(), wire.PollMessages{
				Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)},
				Stream:   wire.NamedID("disk"), Topic: wire.NamedID("fill"), Partition: wire.SomePartition(uint32(p)),
				Strategy: wire.PollingStrategy{Kind: wire.PollOffset, Value: uint64(next)}, Count: 100})
			if err != nil {
				t.Fatalf("poll partition %d at %d: %v", p, next, err)
			}
			if got.Count == 0 {
				break
			}
			it := wire.NewMessageIter(got.Messages)
			for m, ok := it.Next(); ok; m, ok = it.Next() {
				wit := wire.NewMessageIter(fillMessage(nil, p, next))
				wm, _ := wit.Next()
				if m.Offset() != uint64(next) || !bytes.Equal(m.ID(), wm.ID()) || !bytes.Equal(m.Payload(), wm.Payload()) ||
					m.Checksum() != m.ComputeChecksum() {
					t.Fatalf("partition %d offset %d: not the acknowledged message", p, next)
				}
				next++
			}
		}
		if next != pr.acked[p] {
			t.Fatalf("partition %d holds %d messages, %d were acknowledged", p, next, pr.acked[p])
		}
	}
}

// health fetches GET /health.
func health(t *testing.T, s *Server) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get("http://" + s.Ports.HTTP + "/health")
	if err != nil {
		t.Fatalf("GET /health: %v", err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET /health: %v", err)
	}
	return resp.StatusCode, body
}

func healthState(body map[string]any) string {
	st, _ := body["storage"].(map[string]any)
	s, _ := st["state"].(string)
	return s
}

// TestDiskFullBinary fills a real small filesystem through the binary:
// every producer is refused with cannot_write_to_file (10006) and no
// acknowledged message is lost; while full, polls and metadata reads are
// served, consumer-offset stores and stream creation are refused with the
// same code (over HTTP: 507), a topic can be deleted, and the state shows in
// /health, /metrics and one log line; when space is freed, writes resume
// without a restart; after a restart every acknowledged message is intact.
// A restart on the full disk serves reads, and a fresh start on it is
// refused with a message that says what to do.
func TestDiskFullBinary(t *testing.T) {
	if testing.Short() || raceEnabled {
		// make test runs it once more without -race (Makefile).
		t.Skip("fills a 104 MiB filesystem through the binary: too slow under -short or -race")
	}
	mnt := mountTmpfs(t, diskSize)
	ballast := filepath.Join(mnt, "ballast")
	if err := os.WriteFile(ballast, make([]byte, ballastBytes), 0o644); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(mnt, "data")
	s := Start(t, dataDir, diskEnv()...)
	c := dialTCP(t, s)
	login(t, c)
	ctx := context.Background()
	if _, err := c.CreateStream(ctx, "disk"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"fill", "spare"} {
		if _, err := c.CreateTopic(ctx, wire.CreateTopic{Stream: wire.NamedID("disk"), PartitionsCount: fillParts, Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	if code, body := health(t, s); code != 200 || body["status"] != "healthy" || healthState(body) != "ok" {
		t.Fatalf("health before: %d %v", code, body)
	}

	pr := &fillers{}
	for p, err := range pr.sendUntilRefused(t, s) {
		wantCode(t, fmt.Sprintf("producer %d on a full disk", p), err, wire.ErrCannotWriteToFile)
	}
	t.Logf("acknowledged before the disk filled: %v messages of %d bytes", pr.acked, fillPayload)

	// Full: reads are served, writes refused with the same code.
	code, body := health(t, s)
	if code != 503 || body["status"] != "degraded" || healthState(body) != "disk_full" ||
		!strings.Contains(fmt.Sprint(body["storage"]), "min_free_disk") {
		t.Fatalf("health on a full disk: %d %v", code, body)
	}
	t.Logf("free on the full disk: %v bytes", body["storage"].(map[string]any)["free_bytes"])
	fams := scrape(t, s)
	if v, _ := value(fams, "shale_storage_degraded", map[string]string{"reason": "disk_full"}); v != 1 {
		t.Fatalf("shale_storage_degraded{disk_full} = %v on a full disk", v)
	}
	if v, _ := value(fams, "shale_storage_write_errors_total", map[string]string{"reason": "disk_full"}); v < fillParts {
		t.Fatalf("shale_storage_write_errors_total{disk_full} = %v, want ≥ %d", v, fillParts)
	}
	waitLines(t, s, "disk full: refusing writes", 1)
	if n := len(s.Lines("disk full: refusing writes")); n != 1 {
		t.Fatalf("%d 'disk full' log lines, want 1", n)
	}
	if _, ok, err := c.Stream(ctx, wire.NamedID("disk")); !ok || err != nil {
		t.Fatalf("stream metadata on a full disk: %v %v", ok, err)
	}
	if got, err := c.Poll(ctx, wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)},
		Stream: wire.NamedID("disk"), Topic: wire.NamedID("fill"), Partition: wire.SomePartition(0),
		Strategy: wire.PollingStrategy{Kind: wire.PollFirst}, Count: 10}); err != nil || got.Count != 10 {
		t.Fatalf("poll on a full disk: %+v %v", got.Count, err)
	}
	ref := wire.OffsetRef{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)},
		Stream: wire.NamedID("disk"), Topic: wire.NamedID("fill"), Partition: wire.SomePartition(0)}
	wantCode(t, "store offset on a full disk", c.StoreOffset(ctx, ref, 5), wire.ErrCannotWriteToFile)
	_, err := c.CreateStream(ctx, "more")
	wantCode(t, "create stream on a full disk", err, wire.ErrCannotWriteToFile)
	req, _ := http.NewRequest("POST", "http://"+s.Ports.HTTP+"/streams", strings.NewReader(`{"name":"more-http"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+httpLogin(t, s, RootUser, RootPassword))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 507 || !strings.Contains(string(rb), `"id":10006`) || strings.Contains(string(rb), "kv:") {
		t.Fatalf("HTTP create stream on a full disk: %d %s", resp.StatusCode, rb)
	}
	if page := dashboardPage(t, s, "/ui/health"); !strings.Contains(page, "REFUSED: disk full") || !strings.Contains(page, "min_free_disk") {
		t.Fatalf("the dashboard's health page on a full disk does not say writes are refused:\n%s", page)
	}
	// Deleting frees space, so it is allowed.
	if _, err := c.Do(ctx, &wire.DeleteTopic{TopicRef: wire.TopicRef{Stream: wire.NamedID("disk"), Topic: wire.NamedID("spare")}}); err != nil {
		t.Fatalf("delete topic on a full disk: %v", err)
	}

	// Space returns: writes resume with no restart.
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	if code, body := health(t, s); code != 200 || healthState(body) != "ok" {
		t.Fatalf("health after freeing %d bytes: %d %v", ballastBytes, code, body)
	}
	waitLines(t, s, "disk space returned: accepting writes again", 1)
	if n := len(s.Lines("disk space returned: accepting writes again")); n != 1 {
		t.Fatalf("%d 'disk space returned' log lines, want 1", n)
	}
	for p := range fillParts {
		if err := pr.sendBatch(c, p); err != nil {
			t.Fatalf("send to partition %d after space returned: %v", p, err)
		}
	}
	if err := c.StoreOffset(ctx, ref, 5); err != nil {
		t.Fatalf("store offset after space returned: %v", err)
	}
	if _, err := c.CreateStream(ctx, "more"); err != nil {
		t.Fatalf("create stream after space returned: %v", err)
	}
	if v, _ := value(scrape(t, s), "shale_storage_degraded", map[string]string{"reason": "disk_full"}); v != 0 {
		t.Fatalf("shale_storage_degraded{disk_full} = %v after space returned", v)
	}

	// Every acknowledged message survives a restart intact.
	s.Stop()
	s = Start(t, dataDir, diskEnv()...)
	c = dialTCP(t, s)
	login(t, c)
	pr.verify(t, c)
	if off, ok, err := c.Offset(ctx, ref); err != nil || !ok || off.StoredOffset != 5 {
		t.Fatalf("stored offset after restart: %+v %v %v", off, ok, err)
	}

	// Fill the disk again from outside, then restart: the server comes up
	// on the full disk and serves reads.
	s.Stop()
	fillDisk(t, mnt)
	s = Start(t, dataDir, diskEnv()...)
	if code, body := health(t, s); code != 503 || healthState(body) != "disk_full" {
		t.Fatalf("health after a restart on a full disk: %d %v", code, body)
	}
	c = dialTCP(t, s)
	login(t, c)
	pr.verify(t, c)
	s.Stop()

	// A fresh data directory on the full disk cannot even create its root
	// user: the start is refused with a message that says what to do.
	out, err := startRefused(t, filepath.Join(mnt, "fresh"), diskEnv()...)
	if err == nil {
		t.Fatalf("a fresh start on a full disk succeeded:\n%s", out)
	}
	for _, want := range []string{"not enough free disk space", "system.storage.min_free_disk", "free space there, or lower the setting"} {
		if !strings.Contains(out, want) {
			t.Fatalf("fresh start on a full disk: the message does not say %q:\n%s", want, out)
		}
	}
}

// dashboardPage signs in to the dashboard as root and returns a page's HTML.
func dashboardPage(t *testing.T, s *Server, path string) string {
	t.Helper()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm("http://"+s.Ports.HTTP+"/ui/login", url.Values{"username": {RootUser}, "password": {RootPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "shale_ui" {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatalf("dashboard sign-in: %d, no session cookie", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", "http://"+s.Ports.HTTP+path, nil)
	req.AddCookie(cookie)
	resp, err = noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	return string(b)
}

// fillDisk writes a file that leaves less free space than the reserve.
func fillDisk(t *testing.T, mnt string) {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(mnt, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * st.Bsize
	if err := os.WriteFile(filepath.Join(mnt, "ballast2"), make([]byte, max(free-(16<<20), 0)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startRefused runs `shale serve` on dir, expecting it to exit by itself,
// and returns what it printed.
func startRefused(t *testing.T, dir string, extraEnv ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(Binary(t), "serve")
	cmd.Env = append(os.Environ(),
		"SHALE_SYSTEM_PATH="+dir,
		"SHALE_TCP_ADDRESS=127.0.0.1:0",
		"SHALE_QUIC_ADDRESS=127.0.0.1:0",
		"SHALE_HTTP_ADDRESS=127.0.0.1:0",
		"IGGY_ROOT_USERNAME="+RootUser,
		"IGGY_ROOT_PASSWORD="+RootPassword,
	)
	cmd.Env = append(cmd.Env, extraEnv...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
