package integration

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestProfilingEndpoints: with admin.profiling.address set, Go's pprof
// endpoints answer on that address (and only then); the HTTP API does not
// serve them.
func TestProfilingEndpoints(t *testing.T) {
	s := Start(t, "", "SHALE_ADMIN_PROFILING_ADDRESS=127.0.0.1:0")
	lines := s.Lines("profiling endpoints listening")
	if len(lines) != 1 {
		t.Fatalf("want one profiling log line, got %q\n%s", lines, s.Output())
	}
	m := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`).FindStringSubmatch(lines[0])
	if m == nil {
		t.Fatalf("no address in %q", lines[0])
	}
	for path, want := range map[string]string{
		"/debug/pprof/heap?debug=1":      "heap profile",
		"/debug/pprof/goroutine?debug=1": "goroutine profile",
		"/debug/pprof/mutex?debug=1":     "cycles/second",
	} {
		resp, err := http.Get("http://" + m[1] + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, body without %q:\n%.300s", path, resp.StatusCode, want, body)
		}
	}
	resp, err := http.Get("http://" + s.Ports.HTTP + "/debug/pprof/heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Errorf("the HTTP API serves pprof too")
	}

	off := Start(t, "")
	if lines := off.Lines("profiling endpoints"); len(lines) != 0 {
		t.Errorf("profiling on by default: %q", lines)
	}
}
