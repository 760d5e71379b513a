package bench

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/shalemq/shale/client"
)

func recs(lat ...time.Duration) []Record {
	var rs []Record
	for i, l := range lat {
		rs = append(rs, Record{At: time.Duration(i) * 10 * time.Millisecond, Latency: l, Messages: 10, Bytes: 10_000})
	}
	return rs
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %v, want %v (±%v)", what, got, want, tol)
	}
}

func TestSummariseThroughputAndPercentiles(t *testing.T) {
	// 1,000 requests of 1..1000 µs... as ms: 0.001..1.000.
	var lat []time.Duration
	for i := 1; i <= 1000; i++ {
		lat = append(lat, time.Duration(i)*time.Microsecond)
	}
	s := summarise("producer", 1, 2*time.Second, recs(lat...))
	if s.Requests != 1000 || s.Messages != 10_000 || s.Bytes != 10_000_000 {
		t.Fatalf("counts: %+v", s)
	}
	near(t, "MB/s", s.MBps, 5, 1e-9)            // 10 MB in 2 s
	near(t, "msgs/s", s.MsgsPerS, 5000, 1e-9)   // 10,000 in 2 s
	near(t, "p50", s.Latency.P50, 0.500, 0.001) // HdrHistogram at 3 significant digits
	near(t, "p90", s.Latency.P90, 0.900, 0.001)
	near(t, "p95", s.Latency.P95, 0.950, 0.001)
	near(t, "p99", s.Latency.P99, 0.990, 0.001)
	near(t, "p999", s.Latency.P999, 0.999, 0.001)
	near(t, "max", s.Latency.Max, 1.000, 0.001)
	near(t, "mean", s.Latency.Mean, 0.5005, 0.001)
}

func TestSummariseLateness(t *testing.T) {
	withLate := func(late ...time.Duration) []Record {
		rs := recs(make([]time.Duration, len(late))...)
		for i := range rs {
			rs[i].Late = late[i]
		}
		return rs
	}
	onTime := make([]time.Duration, 100)
	if s := summarise("p", 1, time.Second, withLate(onTime...)); s.LateP99 != 0 {
		t.Errorf("every request on time: late p99 %v", s.LateP99)
	}
	// 98 on time, 2 started 10 ms late: the 99th percentile is a late one.
	some := append(make([]time.Duration, 98), 10*time.Millisecond, 10*time.Millisecond)
	near(t, "late p99, 2 of 100 late", summarise("p", 1, time.Second, withLate(some...)).LateP99, 10, 0.01)
	// 1 of 100 late: the 99th percentile is on time.
	one := append(make([]time.Duration, 99), 10*time.Millisecond)
	if s := summarise("p", 1, time.Second, withLate(one...)); s.LateP99 != 0 {
		t.Errorf("1 of 100 late: late p99 %v, want 0", s.LateP99)
	}
	var all []time.Duration
	for i := 1; i <= 100; i++ {
		all = append(all, time.Duration(i)*time.Millisecond)
	}
	s := summarise("p", 1, time.Second, withLate(all...))
	near(t, "late p99, 1..100 ms", s.LateP99, 99, 0.1)
	if s.Latency.P99 != 0.001 { // lateness is not latency (recs' latency is 0, counted as 1 µs)
		t.Errorf("latency p99 %v took the lateness in", s.Latency.P99)
	}
}

func TestSummariseEmptyAndClamped(t *testing.T) {
	s := summarise("consumer", 1, 0)
	if s.Requests != 0 || s.MBps != 0 || s.Latency != (Latency{}) {
		t.Fatalf("empty summary: %+v", s)
	}
	// Latencies past the histogram's range are clamped, not dropped; zero
	// counts as the smallest value.
	s = summarise("p", 1, time.Second, recs(0, time.Hour))
	if s.Requests != 2 || s.Latency.Max < 590_000 {
		t.Fatalf("clamped: %+v", s)
	}
}

func TestSeriesBuckets(t *testing.T) {
	rs := []Record{
		{At: 0, Latency: time.Millisecond, Messages: 1, Bytes: 1000},
		{At: 50 * time.Millisecond, Latency: 3 * time.Millisecond, Messages: 1, Bytes: 1000},
		{At: 150 * time.Millisecond, Latency: 2 * time.Millisecond, Messages: 2, Bytes: 2000},
	}
	pts := series(100*time.Millisecond, 250*time.Millisecond, rs)
	if len(pts) != 3 {
		t.Fatalf("%d points, want 3", len(pts))
	}
	near(t, "t[1]", pts[1].T, 0.1, 1e-9)
	near(t, "MB/s[0]", pts[0].MBps, 0.02, 1e-9) // 2,000 B in 0.1 s
	near(t, "msgs/s[1]", pts[1].MsgsPerS, 20, 1e-9)
	near(t, "max[0]", pts[0].Max, 3, 0.01)
	near(t, "p50[1]", pts[1].P50, 2, 0.01)
	if pts[2].MBps != 0 || pts[2].P99 != 0 {
		t.Fatalf("empty last interval: %+v", pts[2])
	}
	if series(time.Second, 0) != nil {
		t.Fatal("a zero span has no points")
	}
}

func TestBuildReportRoles(t *testing.T) {
	c := Config{Kind: PinnedProducerAndConsumer, Producers: 2, Consumers: 2}
	c.EnsureDefaults()
	actors := []ActorRecords{
		{Role: "producer", ID: 1, Elapsed: time.Second, Records: recs(time.Millisecond, time.Millisecond)},
		{Role: "producer", ID: 2, Elapsed: 2 * time.Second, Records: recs(time.Millisecond)},
		{Role: "consumer", ID: 1, Elapsed: time.Second, Records: recs(2 * time.Millisecond)},
		{Role: "consumer", ID: 2, Elapsed: time.Second, Records: recs(2*time.Millisecond, 2*time.Millisecond)},
	}
	r := BuildReport(&c, time.Unix(0, 0), 0, actors)
	if len(r.Actors) != 4 || len(r.Roles) != 2 {
		t.Fatalf("actors %d roles %d", len(r.Actors), len(r.Roles))
	}
	// The span is the longest actor's; the total is the producers'.
	near(t, "total seconds", r.Total.Seconds, 2, 1e-9)
	if r.Total.Messages != 30 || r.Total.Role != "" {
		t.Fatalf("total: %+v", r.Total)
	}
	near(t, "producer 1 MB/s", r.Actors[0].MBps, 0.02, 1e-9)
	if r.Roles[1].Role != "consumer" || r.Roles[1].Messages != 30 {
		t.Fatalf("consumer role: %+v", r.Roles[1])
	}
	if len(r.Series["producer"]) != 20 || len(r.Series["consumer"]) != 20 {
		t.Fatalf("series lengths %d %d", len(r.Series["producer"]), len(r.Series["consumer"]))
	}
}

func TestJSONRoundTrip(t *testing.T) {
	c := Config{Kind: EndToEnd, Transport: "quic", RateLimit: 5_000_000, Warmup: time.Second}
	c.EnsureDefaults()
	r := BuildReport(&c, time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC), time.Second,
		[]ActorRecords{{Role: "end-to-end", ID: 1, Elapsed: time.Second, Records: recs(time.Millisecond, 5*time.Millisecond)}})
	r.Environment.LoadAvg = "1.00 2.00 3.00"
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"kind": "end-to-end"`, `"mb_s"`, `"p999_ms"`, `"rate_limit_bytes_s": 5000000`, `"series"`} {
		if !strings.Contains(buf.String(), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
	back, err := ReadJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := back.WriteJSON(&again); err != nil {
		t.Fatal(err)
	}
	if again.String() != buf.String() {
		t.Fatalf("round trip changed the report:\n%s\n---\n%s", buf.String(), again.String())
	}
	if _, err := ReadJSON(strings.NewReader("{not json")); err == nil {
		t.Fatal("bad JSON read without error")
	}
}

func TestWriteText(t *testing.T) {
	c := Config{Kind: PinnedProducer, Producers: 1}
	c.EnsureDefaults()
	r := BuildReport(&c, time.Now(), time.Second, []ActorRecords{{Role: "producer", ID: 1, Elapsed: time.Second, Records: recs(time.Millisecond)}})
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pinned-producer over tcp", "producer 1", "total", "0.0 MB/s", "p999"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "late against") {
		t.Errorf("an unpaced run reports lateness:\n%s", b.String())
	}
	c.RateLimit = 1_000_000
	late := recs(time.Millisecond)
	late[0].Late = 3 * time.Millisecond
	r = BuildReport(&c, time.Now(), time.Second, []ActorRecords{{Role: "producer", ID: 1, Elapsed: time.Second, Records: late}})
	b.Reset()
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "late against the pacing schedule: p99 3.00 ms") {
		t.Errorf("a paced run's text lacks its lateness:\n%s", b.String())
	}
}

func TestChartIsWellFormedSVG(t *testing.T) {
	c := Config{Kind: PinnedProducerAndConsumer, Producers: 1, Consumers: 1}
	c.EnsureDefaults()
	r := BuildReport(&c, time.Now(), 0, []ActorRecords{
		{Role: "producer", ID: 1, Elapsed: time.Second, Records: recs(time.Millisecond, 2*time.Millisecond, 3*time.Millisecond)},
		{Role: "consumer", ID: 1, Elapsed: time.Second, Records: recs(time.Millisecond)},
	})
	var b bytes.Buffer
	if err := r.WriteChart(&b); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&b)
	polylines, texts := 0, []string{}
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not well-formed XML: %v", err)
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "polyline":
				polylines++
				for _, a := range se.Attr {
					if a.Name.Local == "points" && strings.Contains(a.Value, "NaN") {
						t.Errorf("NaN in points: %s", a.Value)
					}
				}
			case "text":
				var s string
				_ = dec.DecodeElement(&s, &se)
				texts = append(texts, s)
			}
		}
	}
	// Two throughput lines (one per role) and four latency lines (p50, p99).
	if polylines != 6 {
		t.Errorf("%d polylines, want 6", polylines)
	}
	all := strings.Join(texts, "|")
	for _, want := range []string{"throughput, MB/s", "consumer p99", "producer p50", "pinned-producer-and-consumer"} {
		if !strings.Contains(all, want) {
			t.Errorf("chart text lacks %q", want)
		}
	}
}

func TestNiceMax(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{{0, 1}, {-3, 1}, {math.NaN(), 1}, {0.9, 1}, {1.1, 1.2}, {2.1, 2.5}, {310, 400}, {1000, 1000}, {7, 8}} {
		if got := niceMax(c.in); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("niceMax(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestParseKind(t *testing.T) {
	for in, want := range map[string]Kind{"pp": PinnedProducer, "pinned-consumer": PinnedConsumer, "bcg": BalancedConsumerGroup, "e2e": EndToEnd} {
		if k, err := ParseKind(in); err != nil || k != want {
			t.Errorf("ParseKind(%q) = %q, %v", in, k, err)
		}
	}
	if _, err := ParseKind("fast"); err == nil {
		t.Error("unknown kind accepted")
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Config{Kind: PinnedProducerAndConsumer, Transport: "udp", Producers: 2, Consumers: 3, Streams: -1, MessageSize: 1, BatchSize: 1}
	err := c.Validate()
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"transport \"udp\"", "no Dial", "streams -1", "partitions 0", "must be equal"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	ok := Config{Kind: BalancedConsumerGroup, Transport: "http", Dial: func(context.Context) (*client.Client, error) { return nil, nil }}
	ok.EnsureDefaults()
	if err := ok.Validate(); err == nil || !strings.Contains(err.Error(), "HTTP API cannot join") {
		t.Errorf("consumer group over HTTP: %v", err)
	}
	ok.Transport = "tcp"
	if err := ok.Validate(); err != nil {
		t.Errorf("valid config refused: %v", err)
	}
}

func TestTargetLayout(t *testing.T) {
	c := Config{Streams: 1, Partitions: 4}
	for i := range 4 {
		if s, p := c.target(i); s != 0 || p != i {
			t.Errorf("1×4: actor %d → %d/%d", i, s, p)
		}
	}
	c = Config{Streams: 4, Partitions: 1}
	for i := range 4 {
		if s, p := c.target(i); s != i || p != 0 {
			t.Errorf("4×1: actor %d → %d/%d", i, s, p)
		}
	}
}

func TestPacerSpacesRequests(t *testing.T) {
	r := &run{cfg: &Config{RateLimit: 1_000_000}}
	if (&run{cfg: &Config{}}).pacer(1, 1000) != nil {
		t.Fatal("an unpaced run has a pacer")
	}
	p := r.pacer(2, 10_000) // 500 KB/s each, 10 KB a batch: every 20 ms
	if p.interval != 20*time.Millisecond {
		t.Fatalf("interval %v", p.interval)
	}
	ctx := context.Background()
	p.wait(ctx)
	first := p.next
	p.wait(ctx)
	if got := p.next.Sub(first); got != 20*time.Millisecond {
		t.Fatalf("schedule advanced by %v", got)
	}
}

func TestPacerBehindSchedule(t *testing.T) {
	ctx := context.Background()
	for _, catchUp := range []bool{false, true} {
		r := &run{cfg: &Config{RateLimit: 1_000_000, CatchUp: catchUp}}
		p := r.pacer(1, 10_000) // every 10 ms
		late := time.Now().Add(-5 * p.interval)
		p.next = late // five slots behind, as after a slow answer
		before := time.Now()
		p.wait(ctx)
		if catchUp {
			// The missed slots are kept: the next one is the old
			// schedule's, not a fresh start from now.
			if got := p.next.Sub(late); got != p.interval {
				t.Errorf("catch-up: schedule moved by %v, want one interval", got)
			}
		} else if p.next.Before(before.Add(p.interval)) {
			t.Errorf("restart: next slot %v after the call began, want a full interval from then", p.next.Sub(before))
		}
	}
}

func TestProgressLine(t *testing.T) {
	got := ProgressLine(3*time.Second, 3000, 2_000_000, 2000, time.Second)
	for _, want := range []string{"\r", "3.0 s", "2.0 MB/s", "2000 msgs/s", "3000 msgs"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress %q lacks %q", got, want)
		}
	}
	if !strings.Contains(ProgressLine(-2*time.Second, 0, 0, 0, time.Second), "warming up") {
		t.Error("warm-up not shown")
	}
}
