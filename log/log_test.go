package log_test

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/kv/kvtest"
	"github.com/shalemq/shale/log"
	"github.com/shalemq/shale/wire"
)

// fakeClock is a settable clock; tests never sleep.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

// T0 is 2026-01-01T00:00:00Z, as in the golden frames.
var t0 = time.UnixMicro(1767225600000000)

// env is one log on an in-memory filesystem that survives reopening.
type env struct {
	t     testing.TB
	fs    vfs.FS
	db    *kv.DB
	l     *log.Log
	clock *fakeClock
	opts  log.Options
}

func newEnv(t testing.TB, opts log.Options) *env {
	e := &env{t: t, fs: vfs.NewMem(), clock: &fakeClock{now: t0}, opts: opts}
	e.opts.Clock = e.clock.Now
	e.open()
	t.Cleanup(func() { e.close() })
	return e
}

func (e *env) open() {
	db, err := kv.Open("db", kv.Options{FS: e.fs})
	if err != nil {
		e.t.Fatal(err)
	}
	l, err := log.Open(db, e.opts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.db, e.l = db, l
}

// onePartition creates stream "s" with topic "t" of one partition and
// returns that partition (all ids 0).
func (e *env) onePartition() *log.Partition {
	e.t.Helper()
	if _, err := e.l.CreateStream("s"); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.l.CreateTopic(0, log.TopicSpec{Name: "t", PartitionsCount: 1}); err != nil {
		e.t.Fatal(err)
	}
	p, err := e.l.Partition(0, 0, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) close() {
	if e.db != nil {
		_ = e.db.Close()
		e.db, e.l = nil, nil
	}
}

// message builds one message as a client sends it.
func message(id uint64, payload string) []byte {
	var idb []byte
	if id != 0 {
		idb = make([]byte, 16)
		binary.LittleEndian.PutUint64(idb, id)
	}
	b := wire.AppendMessageHeader(nil, idb, 42, uint32(len(payload)), 0)
	return append(b, payload...)
}

func batch(ids []uint64, payloads []string) ([]byte, int) {
	var b []byte
	for i, p := range payloads {
		var id uint64
		if i < len(ids) {
			id = ids[i]
		}
		b = append(b, message(id, p)...)
	}
	return b, len(payloads)
}

func TestScript(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		var e *env
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			if d.Cmd == "new" {
				var opts log.Options
				if d.HasArg("dedup") {
					opts.Dedup = log.DedupOptions{Enabled: true, MaxEntries: intArg(d, "dedup-max", 0), Expiry: kvtest.DurArg(d, "dedup-expiry", 0)}
				}
				if d.HasArg("chunk") {
					opts.ChunkSize = intArg(d, "chunk", 0)
				}
				if d.HasArg("default-expiry") {
					opts.DefaultMessageExpiry = uint64(kvtest.DurArg(d, "default-expiry", 0).Microseconds())
				}
				if d.HasArg("default-max-size") {
					opts.DefaultMaxTopicSize = uint64(intArg(d, "default-max-size", 0))
				}
				if e != nil {
					e.close()
				}
				e = newEnv(t, opts)
				return ""
			}
			out, err := e.run(d)
			if err != nil {
				return fmt.Sprintf("error: %v (code %d)", err, wire.CodeOf(err))
			}
			return out
		})
	})
}

func (e *env) run(d *datadriven.TestData) (string, error) {
	l := e.l
	s := uint32(intArg(d, "stream", 0))
	tp := uint32(intArg(d, "topic", 0))
	pid := uint32(intArg(d, "partition", 0))
	switch d.Cmd {
	case "advance":
		e.clock.now = e.clock.now.Add(kvtest.DurArg(d, "by", 0))
		return "", nil
	case "reopen":
		e.close()
		e.open()
		return "", nil
	case "create-stream":
		si, err := l.CreateStream(kvtest.StrArg(d, "name", ""))
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("stream %d %q", si.ID, si.Name), nil
	case "update-stream":
		return "ok", l.UpdateStream(s, kvtest.StrArg(d, "name", ""))
	case "delete-stream":
		return "ok", l.DeleteStream(s)
	case "purge-stream":
		return "ok", l.PurgeStream(s)
	case "streams":
		var b strings.Builder
		for _, si := range l.Streams() {
			fmt.Fprintf(&b, "stream %d %q topics=%d messages=%d\n", si.ID, si.Name, si.TopicsCount, si.MessagesCount)
		}
		return b.String(), nil
	case "create-topic":
		ti, err := l.CreateTopic(s, log.TopicSpec{
			Name: kvtest.StrArg(d, "name", ""), PartitionsCount: uint32(intArg(d, "partitions", 1)),
			MessageExpiry: uint64(intArg(d, "expiry", 0)), MaxTopicSize: uint64(intArg(d, "max-size", 0)),
			Compression: 1, ReplicationFactor: uint8(intArg(d, "replication", 0)),
		})
		if err != nil {
			return "", err
		}
		return topicLine(ti), nil
	case "update-topic":
		return "ok", l.UpdateTopic(s, tp, log.TopicSpec{Name: kvtest.StrArg(d, "name", ""),
			MessageExpiry: uint64(intArg(d, "expiry", 0)), MaxTopicSize: uint64(intArg(d, "max-size", 0)), Compression: 1})
	case "delete-topic":
		return "ok", l.DeleteTopic(s, tp)
	case "purge-topic":
		return "ok", l.PurgeTopic(s, tp)
	case "create-partitions":
		return "ok", l.CreatePartitions(s, tp, uint32(intArg(d, "count", 0)))
	case "delete-partitions":
		return "ok", l.DeletePartitions(s, tp, uint32(intArg(d, "count", 0)))
	case "topic":
		ti, ok := l.Topic(s, tp)
		if !ok {
			return "not found", nil
		}
		var b strings.Builder
		b.WriteString(topicLine(ti) + "\n")
		for _, pi := range ti.Partitions {
			fmt.Fprintf(&b, "  partition %d current=%d first=%d messages=%d bytes=%d\n", pi.ID, pi.CurrentOffset, pi.FirstOffset, pi.MessagesCount, pi.SizeBytes)
		}
		return b.String(), nil
	case "resolve":
		var id log.Ident
		if d.HasArg("name") {
			id = log.Name(kvtest.StrArg(d, "name", ""))
		} else {
			id = log.ID(s)
		}
		if d.HasArg("topic-name") {
			sid, tid, err := l.ResolveTopic(id, log.Name(kvtest.StrArg(d, "topic-name", "")))
			return fmt.Sprintf("stream %d topic %d", sid, tid), err
		}
		sid, err := l.ResolveStream(id)
		return fmt.Sprintf("stream %d", sid), err
	case "append":
		p, err := l.Partition(s, tp, pid)
		if err != nil {
			return "", err
		}
		var ids []uint64
		for _, f := range kvtest.ListArg(d, "ids") {
			n, _ := strconv.ParseUint(f, 10, 64)
			ids = append(ids, n)
		}
		msgs, n := batch(ids, kvtest.ListArg(d, "payloads"))
		a, err := p.Append(msgs, n)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("appended %d: offsets %d..%d", a.Count, a.First, a.Last), nil
	case "send":
		var p *log.Partition
		var err error
		if d.HasArg("key") {
			p, err = l.KeyedPartition(s, tp, []byte(kvtest.StrArg(d, "key", "")))
		} else {
			p, err = l.BalancedPartition(s, tp)
		}
		if err != nil {
			return "", err
		}
		msgs, n := batch(nil, kvtest.ListArg(d, "payloads"))
		a, err := p.Append(msgs, n)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("partition %d: offsets %d..%d", p.ID(), a.First, a.Last), nil
	case "poll":
		if d.HasArg("group") {
			g := uint32(intArg(d, "group", 0))
			client := uint32(intArg(d, "client", 0))
			if !d.HasArg("partition") {
				id, ok, err := l.GroupPartition(s, tp, g, client, true)
				if err != nil {
					return "", err
				}
				if !ok {
					return "no partitions", nil
				}
				pid = id
			}
		}
		p, err := l.Partition(s, tp, pid)
		if err != nil {
			return "", err
		}
		req := log.PollRequest{
			Strategy:   strategy(kvtest.StrArg(d, "strategy", "offset")),
			Value:      uint64(intArg(d, "value", 0)),
			Count:      uint32(intArg(d, "count", 10)),
			Consumer:   log.Consumer{ID: uint32(intArg(d, "consumer", 0))},
			AutoCommit: d.HasArg("auto-commit"),
		}
		if d.HasArg("group") {
			req.Consumer = log.Consumer{Group: true, ID: uint32(intArg(d, "group", 0))}
		}
		if d.HasArg("at") {
			req.Value = uint64(t0.Add(kvtest.DurArg(d, "at", 0)).UnixMicro())
		}
		res, buf, err := p.Poll(nil, req)
		if err != nil {
			return "", err
		}
		return pollOutput(res, buf), nil
	case "store-offset", "get-offset", "delete-offset":
		p, err := l.Partition(s, tp, pid)
		if err != nil {
			return "", err
		}
		c := log.Consumer{ID: uint32(intArg(d, "consumer", 0))}
		if d.HasArg("group") {
			c = log.Consumer{Group: true, ID: uint32(intArg(d, "group", 0))}
		}
		switch d.Cmd {
		case "store-offset":
			return "ok", p.StoreOffset(c, uint64(intArg(d, "offset", 0)))
		case "delete-offset":
			return "ok", p.DeleteOffset(c)
		}
		off, ok, err := p.Offset(c)
		if !ok {
			return "none", err
		}
		return fmt.Sprintf("offset %d", off), err
	case "create-group":
		gi, err := l.CreateGroup(s, tp, kvtest.StrArg(d, "name", ""))
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("group %d %q partitions=%d", gi.ID, gi.Name, gi.PartitionsCount), nil
	case "delete-group":
		return "ok", l.DeleteGroup(s, tp, uint32(intArg(d, "group", 0)))
	case "join":
		_, err := l.JoinGroup(s, tp, uint32(intArg(d, "group", 0)), uint32(intArg(d, "client", 0)))
		return "ok", err
	case "leave":
		return "ok", l.LeaveGroup(s, tp, uint32(intArg(d, "group", 0)), uint32(intArg(d, "client", 0)))
	case "group":
		gi, ok := l.Group(s, tp, uint32(intArg(d, "group", 0)))
		if !ok {
			return "not found", nil
		}
		var b strings.Builder
		fmt.Fprintf(&b, "group %d %q partitions=%d members=%d\n", gi.ID, gi.Name, gi.PartitionsCount, len(gi.Members))
		for _, m := range gi.Members {
			fmt.Fprintf(&b, "  member %d client=%d partitions=%v\n", m.ID, m.ClientID, m.Partitions)
		}
		return b.String(), nil
	case "truncate":
		p, err := l.Partition(s, tp, pid)
		if err != nil {
			return "", err
		}
		tr, err := p.TruncateBefore(uint64(intArg(d, "before", 0)))
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("truncated %d messages, %d bytes; first=%d", tr.Messages, tr.Bytes, tr.First), nil
	case "chunks":
		p, err := l.Partition(s, tp, pid)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		err = p.ScanChunks(uint64(intArg(d, "split", 0)), func(c log.ChunkSummary) bool {
			fmt.Fprintf(&b, "[%d, %d) at=%s bytes=%d\n", c.First, c.End, time.UnixMicro(int64(c.Timestamp)).Sub(t0), c.Bytes)
			return true
		})
		return b.String(), err
	case "offset-at":
		p, err := l.Partition(s, tp, pid)
		if err != nil {
			return "", err
		}
		off, err := p.OffsetAtTimestamp(uint64(t0.Add(kvtest.DurArg(d, "at", 0)).UnixMicro()))
		return fmt.Sprintf("offset %d", off), err
	case "retention":
		r, err := l.TopicRetention(s, tp)
		return fmt.Sprintf("expiry=%s max-size=%s", special(r.Expiry), special(r.MaxSize)), err
	case "stats":
		st := l.Stats()
		return fmt.Sprintf("streams=%d topics=%d partitions=%d groups=%d messages=%d", st.Streams, st.Topics, st.Partitions, st.Groups, st.Messages), nil
	}
	return "", fmt.Errorf("unknown command %q", d.Cmd)
}

func topicLine(ti log.TopicInfo) string {
	return fmt.Sprintf("topic %d %q partitions=%d expiry=%s max-size=%s replication=%d messages=%d",
		ti.ID, ti.Name, ti.PartitionsCount, special(ti.MessageExpiry), special(ti.MaxTopicSize), ti.ReplicationFactor, ti.MessagesCount)
}

func special(v uint64) string {
	if v == log.Unlimited {
		return "unlimited"
	}
	return strconv.FormatUint(v, 10)
}

func pollOutput(res log.PollResult, buf []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "partition=%d current=%d count=%d\n", res.PartitionID, res.CurrentOffset, res.Count)
	it := wire.NewMessageIter(buf)
	for m, ok := it.Next(); ok; m, ok = it.Next() {
		ts := time.UnixMicro(int64(m.Timestamp())).Sub(t0)
		fmt.Fprintf(&b, "  offset=%d at=%s id=%s payload=%q", m.Offset(), ts, idString(m.ID()), m.Payload())
		if m.Checksum() != m.ComputeChecksum() {
			b.WriteString(" BAD-CHECKSUM")
		}
		if m.Reserved() != 0 {
			b.WriteString(" NONZERO-RESERVED")
		}
		b.WriteString("\n")
	}
	if it.Err() != nil {
		fmt.Fprintf(&b, "malformed: %v\n", it.Err())
	}
	return b.String()
}

// idString prints small client ids as numbers and server-made UUIDv4 ids as
// "uuid4" (they are random).
func idString(id []byte) string {
	if binary.LittleEndian.Uint64(id[8:]) == 0 {
		return strconv.FormatUint(binary.LittleEndian.Uint64(id), 10)
	}
	if id[6]>>4 == 4 && id[8]>>6 == 2 {
		return "uuid4"
	}
	return fmt.Sprintf("%x", id)
}

func strategy(s string) log.Strategy {
	return map[string]log.Strategy{"offset": log.StrategyOffset, "timestamp": log.StrategyTimestamp,
		"first": log.StrategyFirst, "last": log.StrategyLast, "next": log.StrategyNext}[s]
}

func intArg(d *datadriven.TestData, key string, def int) int {
	if !d.HasArg(key) {
		return def
	}
	s := kvtest.StrArg(d, key, "")
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if s == "max" {
			return -1
		}
		panic(fmt.Sprintf("%s=%s: %v", key, s, err))
	}
	return int(n)
}
