package bench

import (
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strings"
)

// Chart geometry, in SVG user units.
const (
	chartW     = 900
	panelH     = 260
	marginL    = 70
	marginR    = 150
	marginT    = 50
	panelGap   = 60
	axisTicks  = 5
	chartFont  = `font-family="sans-serif" font-size="12"`
	titleFont  = `font-family="sans-serif" font-size="13" font-weight="bold"`
	plotW      = chartW - marginL - marginR
	chartH     = marginT + 2*panelH + panelGap + 40
	strokeBase = `fill="none" stroke-width="1.6" stroke-linejoin="round"`
)

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"}

type line struct {
	name   string
	color  int // index into palette
	dashed bool
	xs     []float64
	ys     []float64
}

// WriteChart draws the report's time series as an SVG: throughput (MB/s)
// over time in the upper panel, request latency (p50 and p99 per sample,
// ms) in the lower one, one line per role.
func (r *Report) WriteChart(w io.Writer) error {
	roles := make([]string, 0, len(r.Series))
	for role := range r.Series {
		roles = append(roles, role)
	}
	slices.Sort(roles)
	var tput, lat []line
	for k, role := range roles {
		pts := r.Series[role]
		var t, mb, p50, p99 []float64
		for _, p := range pts {
			t = append(t, p.T)
			mb = append(mb, p.MBps)
			p50 = append(p50, p.P50)
			p99 = append(p99, p.P99)
		}
		tput = append(tput, line{name: role, color: k, xs: t, ys: mb})
		lat = append(lat, line{name: role + " p50", color: k, xs: t, ys: p50}, line{name: role + " p99", color: k, dashed: true, xs: t, ys: p99})
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`+"\n", chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	p := r.Params
	title := fmt.Sprintf("shale bench %s over %s: %d×%d B, %dP/%dC, %d×%d partitions: %.1f MB/s, p99 %.2f ms",
		r.Kind, r.Transport, p.BatchSize, p.MessageSize, p.Producers, p.Consumers, p.Streams, p.Partitions, r.Total.MBps, r.Total.Latency.P99)
	fmt.Fprintf(&b, `<text x="%d" y="24" %s>%s</text>`+"\n", marginL, titleFont, html.EscapeString(title))
	xmax := 0.0
	for _, l := range tput {
		if n := len(l.xs); n > 0 {
			xmax = max(xmax, l.xs[n-1]+p.SampleMs/1000)
		}
	}
	panel(&b, marginT, "throughput, MB/s", tput, xmax)
	panel(&b, marginT+panelH+panelGap, "latency per sample, ms (p50 solid, p99 dashed)", lat, xmax)
	fmt.Fprintf(&b, `<text x="%d" y="%d" %s text-anchor="middle">time since the end of the warm-up, s</text>`+"\n",
		marginL+plotW/2, chartH-8, chartFont)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// niceMax rounds v up to a round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8
// or 10 × a power of ten), so the axis ticks are readable.
func niceMax(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if v <= m*e {
			return m * e
		}
	}
	return 10 * e
}

func panel(b *strings.Builder, top int, label string, lines []line, xmax float64) {
	ymax := 0.0
	for _, l := range lines {
		for _, y := range l.ys {
			if !math.IsNaN(y) && !math.IsInf(y, 0) {
				ymax = max(ymax, y)
			}
		}
	}
	ymax = niceMax(ymax)
	xmax = niceMax(xmax)
	x := func(v float64) float64 { return marginL + v/xmax*plotW }
	y := func(v float64) float64 { return float64(top+panelH) - v/ymax*panelH }
	fmt.Fprintf(b, `<text x="%d" y="%d" %s>%s</text>`+"\n", marginL, top-8, chartFont, html.EscapeString(label))
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>`+"\n", marginL, top, plotW, panelH)
	for i := 0; i <= axisTicks; i++ {
		v := ymax * float64(i) / axisTicks
		yy := y(v)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", marginL, yy, marginL+plotW, yy)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" %s text-anchor="end">%s</text>`+"\n", marginL-6, yy+4, chartFont, tick(v))
		xv := xmax * float64(i) / axisTicks
		fmt.Fprintf(b, `<text x="%.1f" y="%d" %s text-anchor="middle">%s</text>`+"\n", x(xv), top+panelH+16, chartFont, tick(xv))
	}
	for i, l := range lines {
		color := palette[l.color%len(palette)]
		dash := ""
		if l.dashed {
			dash = ` stroke-dasharray="5,3"`
		}
		var pts []string
		for j := range l.xs {
			yv := l.ys[j]
			if math.IsNaN(yv) || math.IsInf(yv, 0) {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(l.xs[j]), y(yv)))
		}
		if len(pts) > 0 {
			fmt.Fprintf(b, `<polyline %s stroke="%s"%s points="%s"/>`+"\n", strokeBase, color, dash, strings.Join(pts, " "))
		}
		ly := top + 14 + 18*i
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`+"\n",
			marginL+plotW+10, ly-4, marginL+plotW+30, ly-4, color, dash)
		fmt.Fprintf(b, `<text x="%d" y="%d" %s>%s</text>`+"\n", marginL+plotW+36, ly, chartFont, html.EscapeString(l.name))
	}
}

func tick(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}
