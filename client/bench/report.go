package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Record is one request an actor made in the measured phase: when it
// started (since the measured phase began), how long it took, and the
// messages and payload bytes it moved. Late is how far after its paced slot
// it started (0 when unpaced); Latency does not include it.
type Record struct {
	At       time.Duration
	Latency  time.Duration
	Messages int
	Bytes    int64
	Late     time.Duration
}

// ActorRecords is everything one actor did.
type ActorRecords struct {
	Role    string // producer, consumer or end-to-end
	ID      int
	Stream  int // 0-based index into the benchmark's streams
	Elapsed time.Duration
	Records []Record
}

// Latency holds percentiles in milliseconds.
type Latency struct {
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P95  float64 `json:"p95_ms"`
	P99  float64 `json:"p99_ms"`
	P999 float64 `json:"p999_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

// Summary is throughput and latency for one actor, one role or the run.
type Summary struct {
	Role     string  `json:"role,omitempty"`
	ID       int     `json:"id,omitempty"`
	Requests int     `json:"requests"`
	Messages int64   `json:"messages"`
	Bytes    int64   `json:"bytes"`
	Seconds  float64 `json:"seconds"`
	MBps     float64 `json:"mb_s"`
	MsgsPerS float64 `json:"msgs_s"`
	Latency  Latency `json:"latency"`
	// LateP99 is the p99 of Record.Late in a paced run: how far behind
	// their schedule requests started (pebblelimit -rate's late_p99_ms).
	LateP99 float64 `json:"late_p99_ms,omitempty"`
}

// Point is one sample of the time series: throughput over the interval
// [T, T+width) and the latencies of the requests that started in it.
type Point struct {
	T        float64 `json:"t_s"`
	MBps     float64 `json:"mb_s"`
	MsgsPerS float64 `json:"msgs_s"`
	P50      float64 `json:"p50_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
}

// Report is what a run produced; it is also the JSON of --output.
type Report struct {
	Kind        Kind      `json:"kind"`
	Transport   string    `json:"transport"`
	Params      Params    `json:"params"`
	Environment Env       `json:"environment"`
	Started     time.Time `json:"started"`
	Total       Summary   `json:"total"`
	// Roles holds one summary per role when the run has more than one
	// (producers and consumers); throughput there is that role's alone.
	Roles  []Summary `json:"roles,omitempty"`
	Actors []Summary `json:"actors"`
	// Series, one per role, sampled every Params.SampleMs.
	Series map[string][]Point `json:"series"`
}

// Params are the knobs of the run, as the report records them.
type Params struct {
	Producers   int     `json:"producers"`
	Consumers   int     `json:"consumers"`
	Streams     int     `json:"streams"`
	Partitions  int     `json:"partitions"`
	MessageSize int     `json:"message_size"`
	BatchSize   int     `json:"batch_size"`
	Batches     int     `json:"batches,omitempty"`
	DurationS   float64 `json:"duration_s,omitempty"`
	WarmupS     float64 `json:"warmup_s,omitempty"`
	RateLimit   uint64  `json:"rate_limit_bytes_s,omitempty"`
	SampleMs    float64 `json:"sample_ms"`
	Idle        int     `json:"idle_connections,omitempty"`
}

// Env describes where the client ran.
type Env struct {
	GoVersion string `json:"go_version"`
	CPUs      int    `json:"cpus"`
	OS        string `json:"os"`
	LoadAvg   string `json:"loadavg,omitempty"` // /proc/loadavg at the start, where there is one
	Server    string `json:"server,omitempty"`
	Note      string `json:"note,omitempty"`
}

func (c *Config) params() Params {
	return Params{Producers: c.Producers, Consumers: c.Consumers, Streams: c.Streams, Partitions: c.Partitions,
		MessageSize: c.MessageSize, BatchSize: c.BatchSize, Batches: c.Batches,
		DurationS: c.Duration.Seconds(), WarmupS: c.Warmup.Seconds(), RateLimit: c.RateLimit,
		SampleMs: float64(c.Sample) / float64(time.Millisecond), Idle: c.IdleConnections}
}

// newHist covers 1 µs to 10 minutes at 3 significant digits.
func newHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, int64(10*time.Minute/time.Microsecond), 3)
}

func record(h *hdrhistogram.Histogram, d time.Duration) {
	us := max(d.Microseconds(), 1)
	_ = h.RecordValue(min(us, h.HighestTrackableValue()))
}

func ms(us int64) float64 { return float64(us) / 1000 }

func latencyOf(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	return Latency{P50: ms(h.ValueAtQuantile(50)), P90: ms(h.ValueAtQuantile(90)), P95: ms(h.ValueAtQuantile(95)),
		P99: ms(h.ValueAtQuantile(99)), P999: ms(h.ValueAtQuantile(99.9)), Max: ms(h.Max()),
		Mean: math.Round(h.Mean()) / 1000}
}

// summarise folds records into a summary over the given wall-clock span.
// Throughput is payload bytes (MB = 10^6 bytes) and messages per second of
// that span.
func summarise(role string, id int, span time.Duration, recs ...[]Record) Summary {
	h, late := newHist(), newHist()
	s := Summary{Role: role, ID: id, Seconds: span.Seconds()}
	for _, rs := range recs {
		for _, r := range rs {
			s.Requests++
			s.Messages += int64(r.Messages)
			s.Bytes += r.Bytes
			record(h, r.Latency)
			if r.Late > 0 {
				record(late, r.Late)
			}
		}
	}
	if n := late.TotalCount(); n > 0 && s.Requests > 0 {
		// Requests on time count as 0: the p99 is over every request.
		if q := 100 * (1 - float64(n)/float64(s.Requests)); q < 99 {
			s.LateP99 = ms(late.ValueAtQuantile(100 * (99 - q) / (100 - q)))
		}
	}
	if s.Seconds > 0 {
		s.MBps = float64(s.Bytes) / 1e6 / s.Seconds
		s.MsgsPerS = float64(s.Messages) / s.Seconds
	}
	s.Latency = latencyOf(h)
	return s
}

// series cuts the records into intervals of width w by start time.
func series(w time.Duration, span time.Duration, recs ...[]Record) []Point {
	n := int((span + w - 1) / w)
	if n == 0 {
		return nil
	}
	type acc struct {
		msgs  int64
		bytes int64
		h     *hdrhistogram.Histogram
	}
	buckets := make([]acc, n)
	for _, rs := range recs {
		for _, r := range rs {
			i := min(max(int(r.At/w), 0), n-1)
			b := &buckets[i]
			b.msgs += int64(r.Messages)
			b.bytes += r.Bytes
			if b.h == nil {
				b.h = newHist()
			}
			record(b.h, r.Latency)
		}
	}
	pts := make([]Point, n)
	for i, b := range buckets {
		width := w
		if i == n-1 && span%w != 0 {
			width = span % w // the last interval is cut short by the end of the run
		}
		p := Point{T: (time.Duration(i) * w).Seconds()}
		p.MBps = float64(b.bytes) / 1e6 / width.Seconds()
		p.MsgsPerS = float64(b.msgs) / width.Seconds()
		if b.h != nil {
			p.P50, p.P99, p.Max = ms(b.h.ValueAtQuantile(50)), ms(b.h.ValueAtQuantile(99)), ms(b.h.Max())
		}
		pts[i] = p
	}
	return pts
}

// BuildReport turns the actors' records into a report. span is the wall
// clock of the measured phase (the longest actor's elapsed time when zero).
func BuildReport(c *Config, started time.Time, span time.Duration, actors []ActorRecords) *Report {
	if span == 0 {
		for _, a := range actors {
			span = max(span, a.Elapsed)
		}
	}
	r := &Report{Kind: c.Kind, Transport: c.Transport, Params: c.params(), Started: started,
		Environment: Env{GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH},
		Series:      map[string][]Point{}}
	byRole := map[string][][]Record{}
	var roles []string
	var all [][]Record
	for _, a := range actors {
		r.Actors = append(r.Actors, summarise(a.Role, a.ID, a.Elapsed, a.Records))
		if _, ok := byRole[a.Role]; !ok {
			roles = append(roles, a.Role)
		}
		byRole[a.Role] = append(byRole[a.Role], a.Records)
		all = append(all, a.Records)
	}
	r.Total = summarise("", 0, span, all...)
	if len(roles) > 1 {
		// Producers and consumers move the same messages: the run's
		// throughput is the producers', and each role gets its own line.
		for _, role := range roles {
			r.Roles = append(r.Roles, summarise(role, 0, span, byRole[role]...))
		}
		r.Total = r.Roles[0]
		r.Total.Role = ""
	}
	for _, role := range roles {
		r.Series[role] = series(c.Sample, span, byRole[role]...)
	}
	return r
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ReadJSON reads a report written by WriteJSON.
func ReadJSON(rd io.Reader) (*Report, error) {
	var r Report
	dec := json.NewDecoder(rd)
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("bench report: %w", err)
	}
	return &r, nil
}

// WriteText writes the human-readable report.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	p := r.Params
	fmt.Fprintf(&b, "%s over %s: %d producer(s), %d consumer(s), %d stream(s) × %d partition(s), %d B messages in batches of %d",
		r.Kind, r.Transport, p.Producers, p.Consumers, p.Streams, p.Partitions, p.MessageSize, p.BatchSize)
	if p.RateLimit > 0 {
		fmt.Fprintf(&b, ", paced to %.1f MB/s", float64(p.RateLimit)/1e6)
	}
	if p.Idle > 0 {
		fmt.Fprintf(&b, ", %d idle connections", p.Idle)
	}
	b.WriteString("\n")
	line := func(name string, s Summary) {
		fmt.Fprintf(&b, "  %-14s %9.1f MB/s %12.0f msgs/s %10d msgs in %6.2f s   latency ms p50 %.2f p90 %.2f p95 %.2f p99 %.2f p999 %.2f max %.2f\n",
			name, s.MBps, s.MsgsPerS, s.Messages, s.Seconds, s.Latency.P50, s.Latency.P90, s.Latency.P95, s.Latency.P99, s.Latency.P999, s.Latency.Max)
	}
	actors := slices.Clone(r.Actors)
	for _, a := range actors {
		line(fmt.Sprintf("%s %d", a.Role, a.ID), a)
	}
	for _, s := range r.Roles {
		line(s.Role+"s", s)
	}
	line("total", r.Total)
	if p.RateLimit > 0 {
		fmt.Fprintf(&b, "  late against the pacing schedule: p99 %.2f ms (not part of the latency)\n", r.Total.LateP99)
	}
	if r.Environment.LoadAvg != "" {
		fmt.Fprintf(&b, "  load average at start: %s\n", r.Environment.LoadAvg)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
