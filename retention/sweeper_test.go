package retention_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/kv/kvtest"
	"github.com/shalemq/shale/log"
	"github.com/shalemq/shale/retention"
	"github.com/shalemq/shale/wire"
)

// t0 is 2026-01-01T00:00:00Z.
var t0 = time.UnixMicro(1767225600000000)

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

// env is a log and a sweeper on an in-memory filesystem that survives
// reopening, sharing one fake clock.
type env struct {
	t       testing.TB
	fs      vfs.FS
	clock   *fakeClock
	logOpts log.Options
	swOpts  retention.Options
	db      *kv.DB
	l       *log.Log
	sw      *retention.Sweeper
	reg     *prometheus.Registry
}

func newEnv(t testing.TB, logOpts log.Options, swOpts retention.Options) *env {
	e := &env{t: t, fs: vfs.NewMem(), clock: &fakeClock{now: t0}, logOpts: logOpts, swOpts: swOpts}
	e.logOpts.Clock = e.clock.Now
	e.swOpts.Clock = e.clock.Now
	e.open()
	t.Cleanup(e.close)
	return e
}

func (e *env) open() {
	db, err := kv.Open("db", kv.Options{FS: e.fs})
	if err != nil {
		e.t.Fatal(err)
	}
	l, err := log.Open(db, e.logOpts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.reg = prometheus.NewRegistry()
	opts := e.swOpts
	opts.Registerer = e.reg
	sw, err := retention.New(l, opts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.db, e.l, e.sw = db, l, sw
}

func (e *env) close() {
	if e.db != nil {
		_ = e.db.Close()
		e.db = nil
	}
}

// messages builds n messages with payloads of size bytes (64-byte headers).
func messages(n, size int) []byte {
	var b []byte
	for range n {
		b = wire.AppendMessageHeader(b, nil, 0, uint32(size), 0)
		b = append(b, strings.Repeat("x", size)...)
	}
	return b
}

func TestSweepScript(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		var e *env
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			if d.Cmd == "new" {
				// A 1-byte segment size lets topics use tiny caps.
				logOpts := log.Options{SegmentSize: 1}
				if d.HasArg("default-expiry") {
					logOpts.DefaultMessageExpiry = uint64(kvtest.DurArg(d, "default-expiry", 0).Microseconds())
				}
				if d.HasArg("default-max-size") {
					logOpts.DefaultMaxTopicSize = kvtest.UintArg(d, "default-max-size", 0)
				}
				var swOpts retention.Options
				if d.HasArg("barrier") {
					on := kvtest.StrArg(d, "barrier", "") == "on"
					swOpts.RespectConsumerOffsets = &on
				}
				if e != nil {
					e.close()
				}
				e = newEnv(t, logOpts, swOpts)
				return ""
			}
			out, err := e.run(d)
			if err != nil {
				return fmt.Sprintf("error: %v (code %d)\n", err, wire.CodeOf(err))
			}
			return out
		})
	})
}

func (e *env) run(d *datadriven.TestData) (string, error) {
	s := uint32(kvtest.UintArg(d, "stream", 0))
	tp := uint32(kvtest.UintArg(d, "topic", 0))
	pid := uint32(kvtest.UintArg(d, "partition", 0))
	switch d.Cmd {
	case "advance":
		e.clock.now = e.clock.now.Add(kvtest.DurArg(d, "by", 0))
		return "", nil
	case "reopen":
		e.close()
		e.open()
		return "", nil
	case "create-stream":
		_, err := e.l.CreateStream(kvtest.StrArg(d, "name", "s"))
		return "", err
	case "create-topic", "update-topic":
		spec := log.TopicSpec{
			Name: kvtest.StrArg(d, "name", "t"), PartitionsCount: uint32(kvtest.UintArg(d, "partitions", 1)), Compression: 1,
			MaxTopicSize: kvtest.UintArg(d, "max-size", 0),
		}
		if d.HasArg("expiry") {
			if kvtest.StrArg(d, "expiry", "") == "never" {
				spec.MessageExpiry = log.Unlimited
			} else {
				spec.MessageExpiry = uint64(kvtest.DurArg(d, "expiry", 0).Microseconds())
			}
		}
		if d.Cmd == "update-topic" {
			return "", e.l.UpdateTopic(s, tp, spec)
		}
		_, err := e.l.CreateTopic(s, spec)
		return "", err
	case "append":
		p, err := e.l.Partition(s, tp, pid)
		if err != nil {
			return "", err
		}
		n := int(kvtest.UintArg(d, "n", 1))
		a, err := p.Append(messages(n, int(kvtest.UintArg(d, "size", 36))), n)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("offsets %d..%d\n", a.First, a.Last), nil
	case "store-offset":
		p, err := e.l.Partition(s, tp, pid)
		if err != nil {
			return "", err
		}
		return "", p.StoreOffset(log.Consumer{ID: uint32(kvtest.UintArg(d, "consumer", 1)), Group: d.HasArg("group")}, kvtest.UintArg(d, "offset", 0))
	case "delete-offset":
		p, err := e.l.Partition(s, tp, pid)
		if err != nil {
			return "", err
		}
		return "", p.DeleteOffset(log.Consumer{ID: uint32(kvtest.UintArg(d, "consumer", 1)), Group: d.HasArg("group")})
	case "preview":
		return report(e.sw.Preview(), false), nil
	case "sweep":
		rep, err := e.sw.SweepOnce(context.Background())
		return report(rep, true), err
	case "topic":
		ti, ok := e.l.Topic(s, tp)
		if !ok {
			return "not found\n", nil
		}
		var b strings.Builder
		fmt.Fprintf(&b, "topic %d messages=%d bytes=%d\n", ti.ID, ti.MessagesCount, ti.SizeBytes)
		for _, pi := range ti.Partitions {
			fmt.Fprintf(&b, "  partition %d first=%d next=%d messages=%d bytes=%d\n", pi.ID, pi.FirstOffset, pi.NextOffset, pi.MessagesCount, pi.SizeBytes)
		}
		return b.String(), nil
	case "poll":
		p, err := e.l.Partition(s, tp, pid)
		if err != nil {
			return "", err
		}
		res, buf, err := p.Poll(nil, log.PollRequest{Strategy: log.StrategyFirst, Count: uint32(kvtest.UintArg(d, "count", 1))})
		if err != nil {
			return "", err
		}
		var offs []string
		it := wire.NewMessageIter(buf)
		for m, ok := it.Next(); ok; m, ok = it.Next() {
			offs = append(offs, strconv.FormatUint(m.Offset(), 10))
		}
		return fmt.Sprintf("count=%d offsets=[%s]\n", res.Count, strings.Join(offs, " ")), nil
	case "metrics":
		return metricsOutput(e.reg), nil
	}
	return "", fmt.Errorf("unknown command %q", d.Cmd)
}

func report(rep retention.Report, swept bool) string {
	var b strings.Builder
	verb := "would delete"
	if swept {
		verb = "deleted"
	}
	fmt.Fprintf(&b, "%s %d messages, %d bytes; held %d messages, %d bytes\n", verb, rep.Messages, rep.Bytes, rep.HeldMessages, rep.HeldBytes)
	for _, tr := range rep.Topics {
		fmt.Fprintf(&b, "  topic %d/%d %q expiry=%s max-size=%s\n", tr.StreamID, tr.TopicID, tr.Name, special(tr.Retention.Expiry), special(tr.Retention.MaxSize))
		for _, pr := range tr.Partitions {
			fmt.Fprintf(&b, "    partition %d [%d, %d) messages=%d bytes=%d", pr.PartitionID, pr.From, pr.To, pr.Messages, pr.Bytes)
			if pr.HeldMessages > 0 {
				fmt.Fprintf(&b, " held=%d held-bytes=%d barrier=%d", pr.HeldMessages, pr.HeldBytes, pr.BarrierOffset)
			}
			b.WriteString("\n")
		}
	}
	for _, err := range rep.Errors {
		fmt.Fprintf(&b, "  error: %v\n", err)
	}
	return b.String()
}

func special(v uint64) string {
	if v == log.Unlimited {
		return "unlimited"
	}
	return strconv.FormatUint(v, 10)
}

// metricsOutput prints the counters and gauges (the duration histogram only
// by its sample count: durations are not deterministic).
func metricsOutput(reg *prometheus.Registry) string {
	mfs, err := reg.Gather()
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch {
			case m.Counter != nil:
				if strings.Contains(mf.GetName(), "disk_bytes_reclaimed") {
					continue // depends on Pebble's file layout
				}
				fmt.Fprintf(&b, "%s %g\n", mf.GetName(), m.Counter.GetValue())
			case m.Gauge != nil:
				fmt.Fprintf(&b, "%s %g\n", mf.GetName(), m.Gauge.GetValue())
			case m.Histogram != nil:
				fmt.Fprintf(&b, "%s_count %d\n", mf.GetName(), m.Histogram.GetSampleCount())
			}
		}
	}
	return b.String()
}

// TestRunSweepsOnEachTick drives Run with injected ticks: each tick sweeps
// once, and cancelling the context ends Run with nil.
func TestRunSweepsOnEachTick(t *testing.T) {
	ticks := make(chan time.Time)
	type result struct {
		rep retention.Report
		err error
	}
	swept := make(chan result, 1)
	e := newEnv(t, log.Options{}, retention.Options{Ticks: ticks, Swept: func(r retention.Report, err error) {
		swept <- result{r, err}
	}})
	if _, err := e.l.CreateStream("s"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.l.CreateTopic(0, log.TopicSpec{Name: "t", PartitionsCount: 1, Compression: 1,
		MessageExpiry: uint64(time.Hour.Microseconds()), MaxTopicSize: log.Unlimited}); err != nil {
		t.Fatal(err)
	}
	p, err := e.l.Partition(0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Append(messages(10, 100), 10); err != nil {
		t.Fatal(err)
	}
	e.clock.now = e.clock.now.Add(2 * time.Hour) // before Run starts: no race

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.sw.Run(ctx) }()
	ticks <- time.Time{}
	got := <-swept
	if got.err != nil || got.rep.Messages != 10 {
		t.Fatalf("first tick: %+v, %v; want 10 messages deleted", got.rep, got.err)
	}
	ticks <- time.Time{}
	if got := <-swept; got.err != nil || got.rep.Messages != 0 {
		t.Fatalf("second tick: %+v, %v; want nothing left to delete", got.rep, got.err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	if info := p.Info(); info.MessagesCount != 0 || info.FirstOffset != 10 || info.NextOffset != 10 {
		t.Fatalf("partition after sweeps: %+v", info)
	}
}
