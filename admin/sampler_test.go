package admin

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestSamplerRates: the rates are the counters' change per second, and an
// unwatched dashboard neither gathers nor averages across the gap.
func TestSamplerRates(t *testing.T) {
	reg := prometheus.NewRegistry()
	in := prometheus.NewCounter(prometheus.CounterOpts{Name: "shale_messages_in_total", Help: "x"})
	reg.MustRegister(in)
	watched := true
	s := newSampler(reg, 3, func() bool { return watched })
	t0 := time.Unix(1000, 0)
	s.sample(t0)
	in.Add(20)
	s.sample(t0.Add(2 * time.Second))
	in.Add(30)
	s.sample(t0.Add(4 * time.Second))
	c := s.columns()
	if len(c[0]) != 2 || c[1][0] != 10 || c[1][1] != 15 {
		t.Fatalf("rates: %v", c)
	}
	watched = false
	in.Add(1000)
	s.sample(t0.Add(6 * time.Second))
	watched = true
	s.sample(t0.Add(60 * time.Second)) // baseline only
	in.Add(8)
	s.sample(t0.Add(62 * time.Second))
	c = s.columns()
	if n := len(c[0]); n != 3 || c[1][n-1] != 4 {
		t.Fatalf("after an idle gap: %v", c)
	}
	for i := range 5 {
		s.sample(t0.Add(time.Duration(64+2*i) * time.Second))
	}
	if n := len(s.columns()[0]); n != 3 {
		t.Fatalf("ring holds %d points, want 3", n)
	}
	if _, _, q := (metricSet{}).histogram("none", 0.5); q != 0 {
		t.Fatal("missing histogram")
	}
}
