package admin

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// sampler keeps the recent history of the overview's rates: every tick it
// reads the message counters from the registry and stores the per-second
// change, in a ring of fixed size.
type sampler struct {
	g prometheus.Gatherer
	// active reports whether anyone has looked at the dashboard lately;
	// gathering the whole registry is not free (the lag collector reads
	// every lagging partition), so an unwatched dashboard costs nothing.
	active func() bool

	mu struct {
		sync.Mutex
		points []point // oldest first, at most max
		last   totals
		lastAt time.Time
	}
	max int
}

type totals struct{ msgsIn, msgsOut, bytesIn, bytesOut float64 }

type point struct {
	At                                 int64 // Unix s
	MsgsIn, MsgsOut, BytesIn, BytesOut float64
}

func newSampler(g prometheus.Gatherer, max int, active func() bool) *sampler {
	return &sampler{g: g, max: max, active: active}
}

func (s *sampler) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	s.sample(time.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.sample(now)
		}
	}
}

func (s *sampler) sample(now time.Time) {
	if s.g == nil {
		return
	}
	if s.active != nil && !s.active() {
		// Start afresh when someone looks again: a rate across the idle
		// gap would be an average nobody asked for.
		s.mu.Lock()
		s.mu.lastAt = time.Time{}
		s.mu.Unlock()
		return
	}
	fams, err := s.g.Gather()
	if err != nil && len(fams) == 0 {
		return
	}
	m := families(fams)
	cur := totals{
		msgsIn: m.sum("shale_messages_in_total"), msgsOut: m.sum("shale_messages_out_total"),
		bytesIn: m.sum("shale_message_bytes_in_total"), bytesOut: m.sum("shale_message_bytes_out_total"),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.mu.lastAt.IsZero() {
		dt := now.Sub(s.mu.lastAt).Seconds()
		if dt > 0 {
			rate := func(a, b float64) float64 { return max(a-b, 0) / dt }
			s.mu.points = append(s.mu.points, point{At: now.Unix(),
				MsgsIn: rate(cur.msgsIn, s.mu.last.msgsIn), MsgsOut: rate(cur.msgsOut, s.mu.last.msgsOut),
				BytesIn: rate(cur.bytesIn, s.mu.last.bytesIn), BytesOut: rate(cur.bytesOut, s.mu.last.bytesOut)})
			if len(s.mu.points) > s.max {
				s.mu.points = append(s.mu.points[:0], s.mu.points[len(s.mu.points)-s.max:]...)
			}
		}
	}
	s.mu.last, s.mu.lastAt = cur, now
}

// columns returns the history in uPlot's column layout: times, then one
// column per series.
func (s *sampler) columns() [5][]float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [5][]float64
	for i := range out {
		out[i] = make([]float64, 0, len(s.mu.points))
	}
	for _, p := range s.mu.points {
		out[0] = append(out[0], float64(p.At))
		out[1] = append(out[1], p.MsgsIn)
		out[2] = append(out[2], p.MsgsOut)
		out[3] = append(out[3], p.BytesIn)
		out[4] = append(out[4], p.BytesOut)
	}
	return out
}

// metricSet is a gathered registry, looked up by name and labels.
type metricSet map[string]*dto.MetricFamily

func families(fams []*dto.MetricFamily) metricSet {
	m := make(metricSet, len(fams))
	for _, f := range fams {
		m[f.GetName()] = f
	}
	return m
}

func gather(g prometheus.Gatherer) metricSet {
	if g == nil {
		return metricSet{}
	}
	fams, _ := g.Gather()
	return families(fams)
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return 0
}

func hasLabels(m *dto.Metric, kv []string) bool {
	for i := 0; i+1 < len(kv); i += 2 {
		found := false
		for _, l := range m.Label {
			if l.GetName() == kv[i] && l.GetValue() == kv[i+1] {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// sum adds every series of name whose labels include kv (name, value
// pairs).
func (s metricSet) sum(name string, kv ...string) float64 {
	f := s[name]
	if f == nil {
		return 0
	}
	var v float64
	for _, m := range f.Metric {
		if hasLabels(m, kv) {
			v += metricValue(m)
		}
	}
	return v
}

// histogram returns count, sum and the q-quantile (by linear interpolation
// inside the bucket) of the first histogram series of name.
func (s metricSet) histogram(name string, q float64) (count uint64, sum, quantile float64) {
	f := s[name]
	if f == nil || len(f.Metric) == 0 || f.Metric[0].Histogram == nil {
		return 0, 0, 0
	}
	h := f.Metric[0].Histogram
	count, sum = h.GetSampleCount(), h.GetSampleSum()
	if count == 0 {
		return count, sum, 0
	}
	rank := q * float64(count)
	var prevBound float64
	var prevCount uint64
	for _, b := range h.Bucket {
		if float64(b.GetCumulativeCount()) >= rank {
			inBucket := float64(b.GetCumulativeCount() - prevCount)
			if inBucket == 0 {
				return count, sum, b.GetUpperBound()
			}
			return count, sum, prevBound + (b.GetUpperBound()-prevBound)*(rank-float64(prevCount))/inBucket
		}
		prevBound, prevCount = b.GetUpperBound(), b.GetCumulativeCount()
	}
	return count, sum, prevBound
}
