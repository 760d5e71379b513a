package integration

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// benchReport is the part of `shale bench --output` this test reads.
type benchReport struct {
	Kind      string `json:"kind"`
	Transport string `json:"transport"`
	Total     struct {
		Requests int     `json:"requests"`
		Messages int64   `json:"messages"`
		Bytes    int64   `json:"bytes"`
		MBps     float64 `json:"mb_s"`
		Latency  struct {
			P50ms float64 `json:"p50_ms"`
			P99ms float64 `json:"p99_ms"`
			MaxMs float64 `json:"max_ms"`
		} `json:"latency"`
	} `json:"total"`
	Actors []struct {
		Role     string `json:"role"`
		Messages int64  `json:"messages"`
	} `json:"actors"`
	Series map[string][]json.RawMessage `json:"series"`
}

// TestBenchCommand runs `shale bench` briefly against the built binary over
// every transport and checks that each report counts what was asked for
// (counts and shapes, never speed), then draws one as a chart.
func TestBenchCommand(t *testing.T) {
	s := Start(t, "", "SHALE_SYSTEM_LOGGING_LEVEL=warn")
	bin := Binary(t)
	dir := t.TempDir()
	run := func(t *testing.T, out string, args ...string) benchReport {
		t.Helper()
		args = append([]string{"bench", "--tcp-server-address", s.Ports.TCP, "--quic-server-address", s.Ports.QUIC,
			"--http-api-url", "http://" + s.Ports.HTTP, "--username", RootUser, "--password", RootPassword,
			"--messages-per-batch", "50", "--message-size", "400", "-o", out}, args...) // 23 KB sends: past the client's 16 KiB split (client/conn.go)
		b, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("shale %s: %v\n%s", strings.Join(args, " "), err, b)
		}
		if !strings.Contains(string(b), "total") || !strings.Contains(string(b), "p999") {
			t.Errorf("report text lacks the total line:\n%s", b)
		}
		f, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var r benchReport
		if err := json.Unmarshal(f, &r); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		return r
	}
	check := func(t *testing.T, r benchReport, kind, transport string, actors int, msgs int64) {
		t.Helper()
		if r.Kind != kind || r.Transport != transport {
			t.Errorf("report of %s over %s, want %s over %s", r.Kind, r.Transport, kind, transport)
		}
		if len(r.Actors) != actors {
			t.Errorf("%d actors, want %d", len(r.Actors), actors)
		}
		if r.Total.Messages != msgs || r.Total.Bytes != msgs*400 {
			t.Errorf("total %d messages, %d bytes; want %d and %d", r.Total.Messages, r.Total.Bytes, msgs, msgs*400)
		}
		if r.Total.MBps <= 0 || r.Total.Latency.P50ms <= 0 || r.Total.Latency.P99ms < r.Total.Latency.P50ms ||
			r.Total.Latency.MaxMs < r.Total.Latency.P99ms {
			t.Errorf("implausible rate or latency: %+v", r.Total)
		}
		if len(r.Series) == 0 {
			t.Error("no time series")
		}
	}
	for _, tr := range []string{"tcp", "quic", "http"} {
		t.Run(tr, func(t *testing.T) {
			prefix := tr + "-"
			out := filepath.Join(dir, tr+"-pp.json")
			prof := filepath.Join(dir, tr+"-pp.pprof")
			r := run(t, out, "pinned-producer", tr, "--stream-prefix", prefix, "--producers", "2", "--partitions", "2", "-b", "4",
				"--cpu-profile", prof)
			check(t, r, "pinned-producer", tr, 2, 2*4*50)
			checkProfile(t, prof)
			r = run(t, filepath.Join(dir, tr+"-pc.json"), "pc", "--transport", tr, "--stream-prefix", prefix, "--consumers", "2", "--partitions", "2", "-b", "4")
			check(t, r, "pinned-consumer", tr, 2, 2*4*50)
			r = run(t, filepath.Join(dir, tr+"-e2e.json"), "e2e", tr, "--stream-prefix", prefix+"e2e-", "-b", "5")
			check(t, r, "end-to-end", tr, 1, 5*50)
			r = run(t, filepath.Join(dir, tr+"-ppc.json"), "ppc", tr, "--stream-prefix", prefix+"ppc-", "--producers", "2", "--consumers", "2", "--partitions", "2", "-b", "3")
			check(t, r, "pinned-producer-and-consumer", tr, 4, 2*3*50)
			if tr == "http" {
				return // Iggy's HTTP API has no consumer-group polls
			}
			r = run(t, filepath.Join(dir, tr+"-bp.json"), "bp", tr, "--stream-prefix", prefix+"b-", "--producers", "2", "--partitions", "3", "-b", "3")
			check(t, r, "balanced-producer", tr, 2, 2*3*50)
			r = run(t, filepath.Join(dir, tr+"-bcg.json"), "bcg", tr, "--stream-prefix", prefix+"b-", "--consumers", "2", "--partitions", "3", "-b", "3")
			check(t, r, "balanced-consumer-group", tr, 2, 2*3*50)
		})
	}
	t.Run("chart", func(t *testing.T) {
		svg := filepath.Join(dir, "pp.svg")
		if b, err := exec.Command(bin, "bench", "chart", filepath.Join(dir, "tcp-ppc.json"), svg).CombinedOutput(); err != nil {
			t.Fatalf("bench chart: %v\n%s", err, b)
		}
		b, err := os.ReadFile(svg)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), "<svg") || strings.Count(string(b), "<polyline") != 6 {
			t.Errorf("chart: %.300s", b)
		}
		if b, err := exec.Command(bin, "bench", "chart", svg, filepath.Join(dir, "x.svg")).CombinedOutput(); err == nil {
			t.Errorf("charting an SVG as JSON succeeded:\n%s", b)
		}
	})
	t.Run("terminal", func(t *testing.T) {
		// On a terminal (a pty from script(1)) a progress line is redrawn
		// in place with \r, then cleared before the report.
		scriptBin, err := exec.LookPath("script")
		if err != nil {
			t.Skip("script(1) not installed")
		}
		cmdline := strings.Join([]string{bin, "bench", "pp", "tcp", "--tcp-server-address", s.Ports.TCP, "--username", RootUser,
			"--password", RootPassword, "--stream-prefix", "tty-", "-p", "10", "-m", "100", "-d", "2500ms"}, " ")
		b, err := exec.Command(scriptBin, "-qec", cmdline, "/dev/null").CombinedOutput()
		if err != nil {
			t.Fatalf("script: %v\n%s", err, b)
		}
		out := string(b)
		if strings.Count(out, "msgs/s") < 3 || !strings.Contains(out, "\r") || !strings.Contains(out, "total") {
			t.Errorf("no progress line before the report on a terminal:\n%q", out)
		}
		if before, _, _ := strings.Cut(out, "pinned-producer over tcp"); !strings.Contains(before, "MB/s") {
			t.Errorf("progress did not come before the report:\n%q", out)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"bench", "warp", "tcp"}, "unknown benchmark kind"},
			{[]string{"bench", "pc", "--tcp-server-address", s.Ports.TCP, "--username", RootUser, "--password", RootPassword, "--stream-prefix", "none-"}, "does not exist"},
			{[]string{"bench", "pp", "--tcp-server-address", s.Ports.TCP, "--username", RootUser, "--password", "wrong"}, "login"},
			{[]string{"bench", "pp", "udp"}, "transport"},
			{[]string{"bench", "pp", "--rate-limit", "fast"}, "rate-limit"},
		} {
			b, err := exec.Command(bin, c.args...).CombinedOutput()
			if err == nil || !strings.Contains(string(b), c.want) {
				t.Errorf("shale %v: err %v, output lacks %q:\n%s", c.args, err, c.want, b)
			}
		}
	})
}

// checkProfile: path holds a CPU profile as Go writes them, a gzipped
// protocol buffer that go tool pprof reads.
func checkProfile(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("--cpu-profile: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("--cpu-profile wrote no gzipped profile: %v", err)
	}
	b, err := io.ReadAll(zr)
	if err != nil || len(b) == 0 {
		t.Fatalf("--cpu-profile: %d bytes, %v", len(b), err)
	}
}
