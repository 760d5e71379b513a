package integration

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// soakBackup is one archive taken under load, with what had been
// acknowledged before it began.
type soakBackup struct {
	path   string
	at     time.Duration // since the run began
	acked  [][]uint8     // per checked producer, its seq states
	floors map[string][soakPartitions]int64
}

type soakBackups struct {
	mu     sync.Mutex
	taken  []soakBackup
	failed []string
}

// backupLoop downloads a backup over HTTP every cfg.backupEvery; one cut
// short by a kill is counted and tried again shortly after.
func (r *soakRun) backupLoop(ctx context.Context, dir string) {
	hc := &http.Client{Timeout: 10 * time.Minute}
	defer hc.CloseIdleConnections()
	wait := r.cfg.backupEvery
	for n := 1; ; n++ {
		sleepCtx(ctx, wait)
		if ctx.Err() != nil {
			return
		}
		b := soakBackup{path: filepath.Join(dir, fmt.Sprintf("soak-%03d.tar.zst", n)), at: time.Since(r.began), floors: r.floors.all()}
		for _, p := range r.producers {
			b.acked = append(b.acked, p.snapshot())
		}
		err := soakDownloadBackup(ctx, hc, r.sv.current().HTTP, b.path)
		r.backups.mu.Lock()
		if err != nil {
			r.backups.failed = append(r.backups.failed, err.Error())
			wait = 5 * time.Second
			_ = os.Remove(b.path)
		} else {
			r.backups.taken = append(r.backups.taken, b)
			wait = r.cfg.backupEvery
		}
		r.backups.mu.Unlock()
	}
}

func soakDownloadBackup(ctx context.Context, hc *http.Client, addr, path string) error {
	body, _ := json.Marshal(map[string]string{"username": RootUser, "password": RootPassword})
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/users/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	var id struct {
		AccessToken struct{ Token string } `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&id)
	resp.Body.Close()
	if err != nil || id.AccessToken.Token == "" {
		return fmt.Errorf("login: %d %v", resp.StatusCode, err)
	}
	req, _ = http.NewRequestWithContext(ctx, "GET", "http://"+addr+backupPath, nil)
	req.Header.Set("Authorization", "Bearer "+id.AccessToken.Token)
	resp, err = hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("backup: %d %s", resp.StatusCode, b)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// soakRead calls fn with every message of a partition from offset from on,
// in order.
func soakRead(c *client.Client, topic wire.Identifier, part uint32, from uint64, fn func(wire.Message)) error {
	var buf []byte
	for {
		var pm wire.PolledMessages
		var err error
		pm, buf, err = c.PollInto(context.Background(), wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(999)},
			Stream: soakStream, Topic: topic, Partition: wire.SomePartition(part),
			Strategy: wire.PollingStrategy{Kind: wire.PollOffset, Value: from}, Count: 1000}, buf)
		if err != nil {
			return err
		}
		it := wire.NewMessageIter(pm.Messages)
		n := 0
		for m, ok := it.Next(); ok; m, ok = it.Next() {
			fn(m)
			from = m.Offset() + 1
			n++
		}
		if it.Err() != nil {
			return it.Err()
		}
		if n == 0 {
			return nil
		}
	}
}

func soakHash(m wire.Message) uint64 {
	h := fnv.New64a()
	h.Write(m[:m.Size()])
	return h.Sum64()
}

// soakFound is where each of a producer's seqs was found in the final log.
type soakFound struct {
	count []uint8 // occurrences, saturating
	part  []uint8 // partition of the first occurrence
	off   []uint64
}

func newFound(n int) *soakFound {
	return &soakFound{count: make([]uint8, n), part: make([]uint8, n), off: make([]uint64, n)}
}

// soakViolations lists every broken promise; the run fails if any.
type soakViolations []string

func (v *soakViolations) add(format string, args ...any) {
	if len(*v) < 200 {
		*v = append(*v, fmt.Sprintf(format, args...))
	}
}

// scanTopic reads every partition of a topic and records each message of
// the given producers; offsets must be contiguous from each partition's
// first. It returns each partition's message hashes and first offset.
func scanTopic(c *client.Client, topic wire.Identifier, parts uint32, found map[uint32]*soakFound, bad *soakViolations) ([][]uint64, []uint64, error) {
	hashes := make([][]uint64, parts)
	firsts := make([]uint64, parts)
	for part := range parts {
		next := int64(-1)
		last := map[uint32]uint64{}
		err := soakRead(c, topic, part, 0, func(m wire.Message) {
			if next < 0 {
				next = int64(m.Offset())
				firsts[part] = m.Offset()
			}
			if m.Offset() != uint64(next) {
				bad.add("%v partition %d: offset %d follows %d", topic, part, m.Offset(), next-1)
			}
			next = int64(m.Offset()) + 1
			hashes[part] = append(hashes[part], soakHash(m))
			prod, seq, err := soakDecode(m)
			if err != nil {
				bad.add("%v partition %d: %v", topic, part, err)
				return
			}
			f, ok := found[prod]
			if !ok || seq >= uint64(len(f.count)) {
				bad.add("%v partition %d offset %d: producer %d seq %d was never sent", topic, part, m.Offset(), prod, seq)
				return
			}
			if f.count[seq] == 0 {
				f.part[seq], f.off[seq] = uint8(part), m.Offset()
				if l, ok := last[prod]; ok && seq < l {
					bad.add("%v partition %d offset %d: producer %d seq %d after seq %d (out of order)", topic, part, m.Offset(), prod, seq, l)
				}
				last[prod] = seq
			}
			if f.count[seq] < 255 {
				f.count[seq]++
			}
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return hashes, firsts, nil
}

// storedOffsets reads the single consumers' and g-auto's stored offsets
// (-1: none) on a server with no other group members.
func storedOffsets(c *client.Client, singles []uint32) (map[string][soakPartitions]int64, error) {
	ctx := context.Background()
	out := map[string][soakPartitions]int64{}
	ref := wire.GroupRef{Stream: soakStream, Topic: soakChecked, Group: soakGroup}
	if _, err := c.Do(ctx, &wire.JoinConsumerGroup{GroupRef: ref}); err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	consumers := map[string]wire.Consumer{"g-auto": {Kind: wire.ConsumerGroup, ID: soakGroup}}
	for _, id := range singles {
		consumers[fmt.Sprintf("consumer %d", id)] = wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(id)}
	}
	for name, cons := range consumers {
		v := [soakPartitions]int64{-1, -1, -1}
		for part := range uint32(soakPartitions) {
			o, ok, err := c.Offset(ctx, wire.OffsetRef{Consumer: cons, Stream: soakStream, Topic: soakChecked, Partition: wire.SomePartition(part)})
			if err != nil {
				return nil, fmt.Errorf("%s partition %d: %w", name, part, err)
			}
			if ok {
				v[part] = int64(o.StoredOffset)
			}
		}
		out[name] = v
	}
	_, err := c.Do(ctx, &wire.LeaveConsumerGroup{GroupRef: ref})
	return out, err
}

// untilKill finds the kill a message sent at sentAt and acknowledged at
// ackedAt (unix nanos) was lost to: the first kill at or after its send.
// It returns the time from the acknowledgement to that kill, negative when
// the answer arrived after the signal was sent but before the process died;
// killed is false when no kill followed the send.
func (r *soakRun) untilKill(sentAt, ackedAt int64) (window time.Duration, killed bool) {
	sent := time.Unix(0, sentAt)
	next := sort.Search(len(r.killedAt), func(i int) bool { return !r.killedAt[i].Before(sent) })
	if next == len(r.killedAt) {
		return 0, false
	}
	return r.killedAt[next].Sub(time.Unix(0, ackedAt)), true
}

// describeLost says where a lost message stood: when it was sent and
// acknowledged relative to the kills around it, and where the same
// producer's neighbours on its partition were stored.
func (r *soakRun) describeLost(p *soakProducer, f *soakFound, seq int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	part := p.part[seq]
	sent := time.Unix(0, p.started[seq])
	next := sort.Search(len(r.killedAt), func(i int) bool { return !r.killedAt[i].Before(sent) })
	neighbour := func(from, step int) string {
		for i := from; i >= 0 && i < len(p.part); i += step {
			if p.part[i] == part && f.count[i] > 0 {
				return fmt.Sprintf("seq %d at offset %d (sent %v)", i, f.off[i], r.sinceKill(next, p.started[i]))
			}
		}
		return "none"
	}
	out := fmt.Sprintf("producer %d (%s) seq %d partition %d, relative to kill %d: sent %v, acked %v (retried %v); stored before it: %s; after: %s",
		p.id, p.transport, seq, part, next+1, r.sinceKill(next, p.started[seq]), r.sinceKill(next, p.ackedAt[seq]),
		p.state[seq]&seqRetried != 0, neighbour(seq-1, -1), neighbour(seq+1, 1))
	if next > 0 && next <= len(r.startedAt) {
		out += fmt.Sprintf("; kill %d at %v, instance %d listening at %v", next, r.sinceKill(next, r.killedAt[next-1].UnixNano()),
			next+1, r.sinceKill(next, r.startedAt[next-1].UnixNano()))
	}
	return out
}

// sinceKill is t (unix nanos) relative to kill i (negative: before it).
func (r *soakRun) sinceKill(i int, t int64) time.Duration {
	if i >= len(r.killedAt) || t == 0 {
		return time.Duration(t)
	}
	return time.Unix(0, t).Sub(r.killedAt[i]).Round(time.Millisecond)
}

// storedOffsetsRetry is storedOffsets, retried while members of the load's
// closed connections may still be leaving.
func storedOffsetsRetry(c *client.Client, singles []uint32) (map[string][soakPartitions]int64, error) {
	var err error
	for range 40 {
		var out map[string][soakPartitions]int64
		if out, err = storedOffsets(c, singles); err == nil {
			return out, nil
		}
		_, _ = c.Do(context.Background(), &wire.LeaveConsumerGroup{GroupRef: wire.GroupRef{Stream: soakStream, Topic: soakChecked, Group: soakGroup}})
		time.Sleep(500 * time.Millisecond)
	}
	return nil, err
}

func (r *soakRun) check(t *testing.T, dir string) {
	var bad soakViolations
	r.sv.mu.Lock()
	s := r.sv.s
	r.sv.mu.Unlock()
	c, err := r.sv.dial(context.Background(), "tcp")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	if r.cfg.durability == "interval" {
		// Polls stop at the durable watermark: let the last sends' sync land.
		time.Sleep(2 * time.Second)
	}
	// The checked topic: every acknowledged message once, intact, in order.
	found := map[uint32]*soakFound{}
	states := map[uint32][]uint8{}
	for _, p := range r.producers {
		states[p.id] = p.snapshot()
		found[p.id] = newFound(len(states[p.id]))
	}
	final, _, err := scanTopic(c, soakChecked, soakPartitions, found, &bad)
	if err != nil {
		t.Fatalf("reading the checked topic: %v", err)
	}
	var acked, lost, lostSeen, dups, retryDups, unackedKept, unackedGone, batches, retries int
	var lostWindow time.Duration // longest time from a lost message's ack to the kill after it
	var lostLog []string
	var lostAfterSignal int // answered after the kill signal was sent
	var lastLogged int64
	r.st.mu.Lock()
	seen := r.st.seen
	r.st.mu.Unlock()
	for _, p := range r.producers {
		batches, retries = batches+p.batches, retries+p.retries
		f := found[p.id]
		p.mu.Lock()
		ackedAt := append([]int64(nil), p.ackedAt...)
		sentAt := append([]int64(nil), p.started...)
		p.mu.Unlock()
		for seq, st := range states[p.id] {
			n := f.count[seq]
			switch {
			case st&seqAcked != 0:
				acked++
				if n > 0 {
					break
				}
				lost++
				window, killed := r.untilKill(sentAt[seq], ackedAt[seq])
				if killed {
					lostWindow = max(lostWindow, window)
					if window < 0 {
						lostAfterSignal++
					}
				}
				if len(lostLog) < 8 && (!killed || window > time.Second) && sentAt[seq] != lastLogged {
					lastLogged = sentAt[seq]
					lostLog = append(lostLog, r.describeLost(p, f, seq))
				}
				switch {
				case seq < len(seen[p.id]) && seen[p.id][seq]:
					lostSeen++
					bad.add("producer %d seq %d: acknowledged and delivered to a consumer, then lost", p.id, seq)
				case r.cfg.durability != "interval" || !killed:
					bad.add("producer %d seq %d: acknowledged %v before a kill (killed: %v), not found", p.id, seq, window, killed)
				}
			case n > 0:
				unackedKept++
			default:
				unackedGone++
			}
			if n > 1 {
				if st&seqRetried != 0 && !r.cfg.dedup {
					retryDups += int(n) - 1
				} else {
					dups += int(n) - 1
					bad.add("producer %d seq %d: stored %d times (sent again after a lost answer: %v, deduplication %v)", p.id, seq, n, st&seqRetried != 0, r.cfg.dedup)
				}
			}
		}
	}
	var total int
	for _, h := range final {
		total += len(h)
	}

	// The expiring topic: what is gone must have been old enough to expire.
	rs := r.retention.snapshot()
	rfound := map[uint32]*soakFound{soakRetentionID: newFound(len(rs))}
	_, rfirsts, err := scanTopic(c, soakExpiring, soakExpParts, rfound, &bad)
	if err != nil {
		t.Fatalf("reading the expiring topic: %v", err)
	}
	checked := time.Now().UnixNano()
	var rAcked, rExpired, rLost, rDups int
	r.retention.mu.Lock()
	started := append([]int64(nil), r.retention.started...)
	rAckedAt := append([]int64(nil), r.retention.ackedAt...)
	r.retention.mu.Unlock()
	for seq, st := range rs {
		n := rfound[soakRetentionID].count[seq]
		if st&seqAcked != 0 {
			rAcked++
			if n == 0 {
				if started[seq]+int64(soakExpiry) <= checked {
					rExpired++
				} else {
					rLost++
					// interval durability may lose the newest acknowledged sends at a kill
					if window, killed := r.untilKill(started[seq], rAckedAt[seq]); r.cfg.durability != "interval" || !killed {
						bad.add("expiring topic: seq %d acknowledged %v before a kill (killed: %v), not found", seq, window, killed)
					}
				}
			}
		}
		if n > 1 && (st&seqRetried == 0 || r.cfg.dedup) {
			rDups++
			bad.add("expiring topic: seq %d stored %d times, sent once", seq, n)
		}
	}
	if rExpired == 0 {
		bad.add("expiring topic: nothing expired (first offsets %v): the sweeper did not run", rfirsts)
	}

	// Stored offsets: never below an acknowledged commit.
	floors := r.floors.all()
	singles := []uint32{1, 2}
	finalOffsets, err := storedOffsetsRetry(c, singles)
	if err != nil {
		t.Fatalf("final stored offsets: %v", err)
	}
	for name, fl := range floors {
		for part, v := range fl {
			if finalOffsets[name][part] < v {
				bad.add("%s partition %d: stored offset %d at the end, a commit of %d was acknowledged", name, part, finalOffsets[name][part], v)
			}
		}
	}
	r.st.mu.Lock()
	for _, l := range [][]string{r.st.backwards, r.st.gaps, r.st.corrupt} {
		for _, v := range l {
			bad.add("%s", v)
		}
	}
	backwards, gaps, corrupt := len(r.st.backwards), len(r.st.gaps), len(r.st.corrupt)
	r.st.mu.Unlock()

	// Backups taken under load: restore some and compare with the live log.
	r.backups.mu.Lock()
	taken, failed := r.backups.taken, r.backups.failed
	r.backups.mu.Unlock()
	verified := r.verifyBackups(t, taken, final, found, finalOffsets, &bad)
	s.Stop()

	r.errs.mu.Lock()
	var serverErrs []string
	for k, v := range r.errs.server {
		serverErrs = append(serverErrs, fmt.Sprintf("%s ×%d", k, v))
	}
	transportErrs := r.errs.transport
	r.errs.mu.Unlock()
	sort.Strings(serverErrs)

	lines := []string{
		fmt.Sprintf("duration        %v, kills %d (SIGKILL every %v–%v), slowest restart to listening %v, deduplication %v, durability %s",
			time.Since(r.began).Round(time.Second), r.kills, r.cfg.killMin, r.cfg.killMax, r.maxStart.Round(time.Millisecond), r.cfg.dedup, cmp.Or(r.cfg.durability, "sync")),
		fmt.Sprintf("load            producers tcp,tcp,quic,http on %d partitions + 1 tcp on the expiring topic; g-auto members tcp,tcp,quic; single consumers tcp,http", soakPartitions),
		fmt.Sprintf("acknowledged    %d messages in %d sends (%d messages stored on the checked topic)", acked, batches, total),
		fmt.Sprintf("lost            %d (%d of them delivered to a consumer first; longest from ack to kill %v; %d answered after the kill signal)", lost, lostSeen, lostWindow.Round(time.Millisecond), lostAfterSignal),
		fmt.Sprintf("duplicates      %d (and %d copies from %d sends repeated after their answer was lost)", dups, retryDups, retries),
		fmt.Sprintf("unacknowledged  %d stored, %d not stored (sends cut off by a kill or by the end)", unackedKept, unackedGone),
		fmt.Sprintf("consumers       %d polls delivered %d messages, %d joins/connects, %d leaves, %d offset reads", r.st.polls.Load(), r.st.delivered.Load(), r.st.joins.Load(), r.st.leaves.Load(), r.st.reads.Load()),
		fmt.Sprintf("offsets         moved backwards %d, skipped messages %d, corrupt deliveries %d", backwards, gaps, corrupt),
		fmt.Sprintf("retention       %d acknowledged on the expiring topic, %d expired and swept, lost %d, duplicates %d", rAcked, rExpired, rLost, rDups),
		fmt.Sprintf("backups         %d taken under load, %d cut short by a kill, %d restored and verified as a consistent prefix", len(taken), len(failed), verified),
		fmt.Sprintf("client errors   %d transport (expected while the server is down); server codes: %s", transportErrs, orNone(serverErrs)),
	}
	if len(lostLog) > 0 {
		t.Logf("lost long before a kill (or with none after):\n%s", strings.Join(lostLog, "\n"))
	}
	t.Logf("soak totals:\n%s", strings.Join(lines, "\n"))
	if p := os.Getenv("SOAK_REPORT"); p != "" {
		_ = os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	}
	if len(serverErrs) > 0 {
		bad.add("server errors on the data path: %s", strings.Join(serverErrs, ", "))
	}
	for _, e := range r.exited {
		bad.add("%s", e)
	}
	for _, e := range r.serverErrors {
		bad.add("server logged: %s", e)
	}
	if verified == 0 {
		bad.add("no backup taken under load was verified")
	}
	for _, v := range bad {
		t.Error(v)
	}
}

// verifyBackups restores the first, a middle and the last backup and checks
// each: a prefix of the final log byte for byte, every message
// acknowledged before it began, stored offsets between the acknowledged
// ones at that time and the final ones.
func (r *soakRun) verifyBackups(t *testing.T, taken []soakBackup, final [][]uint64, found map[uint32]*soakFound, finalOffsets map[string][soakPartitions]int64, bad *soakViolations) int {
	pick := map[int]bool{}
	if len(taken) > 0 {
		pick[0], pick[len(taken)/2], pick[len(taken)-1] = true, true, true
	}
	verified := 0
	for i, b := range taken {
		if !pick[i] {
			continue
		}
		name := filepath.Base(b.path)
		target := filepath.Join(t.TempDir(), "restored")
		if out, err := shaleCmd(t, nil, "restore", "--from", b.path, "--data-dir", target); err != nil {
			bad.add("backup %s (at %v): restore: %v\n%s", name, b.at.Round(time.Second), err, out)
			continue
		}
		s := Start(t, target, "SHALE_SYSTEM_LOGGING_LEVEL=info")
		c := dialTCP(t, s)
		login(t, c)
		ok := true
		counts := make([]uint64, soakPartitions)
		for part := range uint32(soakPartitions) {
			err := soakRead(c, soakChecked, part, 0, func(m wire.Message) {
				i := counts[part]
				counts[part]++
				switch {
				case m.Offset() != i:
					ok = false
					bad.add("backup %s partition %d: offset %d at position %d", name, part, m.Offset(), i)
				case i >= uint64(len(final[part])):
					ok = false
					bad.add("backup %s partition %d: offset %d beyond the final log's %d messages", name, part, i, len(final[part]))
				case soakHash(m) != final[part][i]:
					ok = false
					bad.add("backup %s partition %d: offset %d differs from the live log", name, part, i)
				}
			})
			if err != nil {
				t.Fatalf("backup %s: reading partition %d: %v", name, part, err)
			}
		}
		for pi, p := range r.producers {
			f := found[p.id]
			for seq, st := range b.acked[pi] {
				if st&seqAcked != 0 && f.count[seq] > 0 && f.off[seq] >= counts[f.part[seq]] {
					ok = false
					bad.add("backup %s: producer %d seq %d was acknowledged before the backup began, not in it", name, p.id, seq)
				}
			}
		}
		got, err := storedOffsetsRetry(c, []uint32{1, 2})
		if err != nil {
			t.Fatalf("backup %s: stored offsets: %v", name, err)
		}
		for cons, v := range got {
			for part := range v {
				if fl, has := b.floors[cons]; has && v[part] < fl[part] {
					ok = false
					bad.add("backup %s: %s partition %d: stored offset %d, a commit of %d was acknowledged before the backup began", name, cons, part, v[part], fl[part])
				}
				if v[part] > finalOffsets[cons][part] {
					ok = false
					bad.add("backup %s: %s partition %d: stored offset %d, above the final %d", name, cons, part, v[part], finalOffsets[cons][part])
				}
			}
		}
		_ = c.Close()
		s.Stop()
		if ok {
			verified++
		}
		t.Logf("backup %s taken at %v: %v messages per partition, consistent: %v", name, b.at.Round(time.Second), counts, ok)
	}
	return verified
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}
