package cluster

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/zeebo/xxh3"

	"github.com/shalemq/shale/kv"
)

// Snapshots (docs/cluster.md "Snapshots"). A follower that needs entries the
// leader has truncated gets the leader's database instead: a Pebble
// checkpoint (kv.DB.Checkpoint, what backups take) at the leader's applied
// index (which the copy records itself), streamed file by file in bounded chunks over its own
// connection to the follower's raft port. raft's snapshot message carries
// only the metadata (index, term, voters) and a snapshot id; the follower
// hands it to raft only once the files arrived whole, were verified and were
// rewritten into sstables ready to ingest, so the install itself is one
// atomic Pebble ingestion (kv.Replacement).
//
// The stream, after the 8-byte hello snapHello:
//
//	u32 LE length, raftpb.Message (the MsgSnap)
//	per file:  'F', u16 LE name length, name, u64 LE size,
//	           chunks (u32 LE n ≤ maxSnapChunk, n bytes), a chunk of 0 bytes,
//	           u64 LE xxh3 of the file
//	at the end: 'E', u32 LE file count, u64 LE total bytes
//
// The follower answers a byte 0 every few seconds while it prepares the
// install and one byte 1 when raft has the message (anything else: it
// failed).
var snapHello = [8]byte{'s', 'h', 's', 'n', 'a', 'p', 0, 1}

// snapChunk is the chunk the leader sends; maxSnapChunk the largest a
// follower accepts. Each side holds one chunk buffer per transfer, so a
// transfer's memory is bounded by them, whatever the data's size.
var snapChunk = 1 << 20

const maxSnapChunk = 4 << 20

// snapIdle fails a transfer that made no progress for this long.
var snapIdle = 30 * time.Second

const snapDataMagic = "shsnap1:"

// snapDirName holds the transfers' directories, beside the database:
// send-* are checkpoints being sent, recv-* snapshots being received or
// waiting to be installed. Whatever is there at start is left over from a
// crash and removed.
const snapDirName = "raft-snapshots"

// replicatedSpans are the keys a snapshot replaces: all but the raft
// state (kv.TagRaft), which the install writes itself.
var replicatedSpans = []kv.Span{
	{Start: []byte{0}, End: []byte{kv.TagRaft}},
	{Start: []byte{kv.TagRaft + 1}, End: []byte{math.MaxUint8}},
}

// raftSpan holds every raft key.
var raftSpan = kv.Span{Start: []byte{kv.TagRaft}, End: []byte{kv.TagRaft + 1}}

// testHookSnap, when set (tests), is called at each step of a transfer:
// "chunk" after the leader sent a chunk (an error cuts the transfer),
// "received" when a follower has every file, "staged" before the install,
// "installed" after it.
var testHookSnap func(step string) error

func hookSnap(step string) error {
	if testHookSnap != nil {
		return testHookSnap(step)
	}
	return nil
}

// snapshots tracks the transfers of one node.
type snapshots struct {
	root string

	mu      sync.Mutex
	sending map[uint64]net.Conn // by follower; the conn once dialled
	recv    net.Conn            // the receive under way
	staged  map[string]*staged  // by snapshot id
	stopped bool
	wg      sync.WaitGroup
}

// staged is a received snapshot, ready to install.
type staged struct {
	dir   string
	index uint64
	repl  *kv.Replacement
}

// remove deletes what is left of a received snapshot.
func (st *staged) remove(files kv.Files) {
	_ = st.repl.Close()
	_ = files.RemoveAll(st.dir)
}

// initSnapshots clears what a crash left in the transfers' directory.
func (n *Node) initSnapshots() error {
	n.snaps = &snapshots{root: filepath.Join(filepath.Dir(n.db.Dir()), snapDirName),
		sending: map[uint64]net.Conn{}, staged: map[string]*staged{}}
	files := n.db.Files()
	if err := files.RemoveAll(n.snaps.root); err != nil {
		return fmt.Errorf("cluster: remove old snapshot transfers: %w", err)
	}
	return files.MkdirAll(n.snaps.root)
}

// stopSnapshots cuts the transfers under way and waits for them.
func (n *Node) stopSnapshots() {
	s := n.snaps
	s.mu.Lock()
	s.stopped = true
	for _, c := range s.sending {
		if c != nil {
			_ = c.Close()
		}
	}
	if s.recv != nil {
		_ = s.recv.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.mu.Lock()
	for id, st := range s.staged {
		st.remove(n.db.Files())
		delete(s.staged, id)
	}
	s.mu.Unlock()
}

func encodeSnapData(id string) []byte { return []byte(snapDataMagic + id) }

func decodeSnapData(b []byte) (string, error) {
	id, ok := strings.CutPrefix(string(b), snapDataMagic)
	if !ok || len(id) != 32 {
		return "", errors.New("cluster: snapshot message without a snapshot id")
	}
	if _, err := hex.DecodeString(id); err != nil {
		return "", errors.New("cluster: malformed snapshot id")
	}
	return id, nil
}

// sendSnapshot answers raft's MsgSnap for a follower: a goroutine takes a
// checkpoint of the database, streams it and reports the outcome to raft.
func (n *Node) sendSnapshot(m *pb.Message) {
	to := m.GetTo()
	addr, ok := n.cfg.Peers[to]
	if !ok {
		return
	}
	if time.Since(n.clock.last(to)) > n.aliveWithin() {
		// Not heard from (health.go): no checkpoint for a node that is
		// down. raft asks again once the follower answers.
		n.rn.ReportSnapshot(to, raft.SnapshotFailure)
		return
	}
	s := n.snaps
	s.mu.Lock()
	_, busy := s.sending[to]
	if !busy && !s.stopped {
		s.sending[to] = nil
		s.wg.Add(1)
	}
	stopped := s.stopped
	s.mu.Unlock()
	if busy || stopped {
		// raft sends one at a time; a second means the first was given
		// up on. It ends by itself; raft asks again later.
		n.rn.ReportSnapshot(to, raft.SnapshotFailure)
		return
	}
	done := func() {
		s.mu.Lock()
		delete(s.sending, to)
		s.mu.Unlock()
		s.wg.Done()
	}
	var rnd [16]byte
	_, _ = rand.Read(rnd[:])
	id := hex.EncodeToString(rnd[:])
	dir := filepath.Join(s.root, fmt.Sprintf("send-%d-%s", to, id[:8]))
	conf := n.confState
	// The checkpoint is taken here, off the driver, which goes on applying:
	// the checkpoint holds whole apply batches, each with the applied index
	// and term it reached, so the copy says itself which index it is the
	// state at (at least the applied index now, so past the compaction
	// point raft needs the follower to skip).
	go func() {
		defer done()
		start := time.Now()
		sent, err := n.checkpointAndStream(to, addr, m, dir, id, conf)
		if rerr := n.db.Files().RemoveAll(dir); rerr != nil {
			n.log.Warn("snapshot checkpoint not removed", "dir", dir, "err", rerr)
		}
		n.metrics.snap.sentBytes.Add(float64(sent))
		if err != nil {
			n.metrics.snap.sendFailures.Inc()
			n.log.Warn("snapshot transfer failed; raft retries", "to", to, "bytes", sent, "err", err)
		} else {
			n.metrics.snapshotsSent.Inc()
			n.metrics.snap.sendSeconds.Observe(time.Since(start).Seconds())
			n.log.Info("snapshot sent", "to", to, "bytes", sent, "duration", time.Since(start))
		}
		select {
		case n.reportc <- report{to: to, snap: true, err: err}:
		case <-n.stopc:
		}
	}()
}

// checkpointAndStream takes the checkpoint, reads the index and term it is
// the state at, and streams it.
func (n *Node) checkpointAndStream(to uint64, addr string, m *pb.Message, dir, id string, conf *pb.ConfState) (int64, error) {
	if err := n.db.Checkpoint(dir); err != nil {
		return 0, fmt.Errorf("checkpoint: %w", err)
	}
	index, term, err := checkpointApplied(n.db, dir)
	if err != nil {
		return 0, err
	}
	m.Snapshot = &pb.Snapshot{Data: encodeSnapData(id), Metadata: &pb.SnapshotMetadata{
		Index: new(index), Term: new(term), ConfState: conf}}
	n.log.Info("sending snapshot", "to", to, "index", index, "term", term)
	return n.streamSnapshot(to, addr, m, dir)
}

// checkpointApplied reads the applied index and term a checkpoint holds.
// The read-only open leaves Pebble's LOCK file, which is not part of the
// copy.
func checkpointApplied(db *kv.DB, dir string) (index, term uint64, err error) {
	cdb, err := db.OpenCheckpoint(dir)
	if err != nil {
		return 0, 0, fmt.Errorf("open checkpoint: %w", err)
	}
	v, found, err := cdb.Get(nil, raftKey(keyApplied))
	if cerr := cdb.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, 0, err
	}
	if !found || len(v) != 16 {
		return 0, 0, errors.New("checkpoint without an applied index")
	}
	if err := db.Files().RemoveAll(filepath.Join(dir, "LOCK")); err != nil {
		return 0, 0, err
	}
	return binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:]), nil
}

// streamSnapshot sends the checkpoint in dir to the follower at addr and
// waits until it has handed the snapshot to raft.
func (n *Node) streamSnapshot(to uint64, addr string, m *pb.Message, dir string) (int64, error) {
	c, err := n.tr.dial(addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	s := n.snaps
	s.mu.Lock()
	stopped := s.stopped
	s.sending[to] = c
	s.mu.Unlock()
	if stopped {
		return 0, ErrStopped
	}
	w := bufio.NewWriterSize(&deadlineConn{c}, 64<<10)
	frame, err := proto.Marshal(m)
	if err != nil {
		return 0, err
	}
	w.Write(snapHello[:])
	w.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(frame))))
	if _, err := w.Write(frame); err != nil {
		return 0, err
	}
	sent, err := writeSnapFiles(w, n.db.Files(), dir)
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return sent, err
	}
	// The follower verifies, prepares the install and answers.
	var b [1]byte
	for {
		_ = c.SetReadDeadline(time.Now().Add(snapIdle))
		if _, err := io.ReadFull(c, b[:]); err != nil {
			return sent, fmt.Errorf("waiting for the follower: %w", err)
		}
		switch b[0] {
		case 0:
			continue
		case 1:
			return sent, nil
		default:
			return sent, errors.New("the follower refused the snapshot")
		}
	}
}

// deadlineConn gives every write snapIdle to finish.
type deadlineConn struct{ c net.Conn }

func (d *deadlineConn) Write(p []byte) (int, error) {
	_ = d.c.SetWriteDeadline(time.Now().Add(snapIdle))
	return d.c.Write(p)
}

// writeSnapFiles streams every file of dir, in chunks of snapChunk.
func writeSnapFiles(w io.Writer, files kv.Files, dir string) (int64, error) {
	list, err := files.List(dir)
	if err != nil {
		return 0, err
	}
	buf := make([]byte, snapChunk)
	var total int64
	count := 0
	for _, fi := range list {
		if fi.Dir {
			return total, fmt.Errorf("checkpoint %s holds a directory %s", dir, fi.Name)
		}
		n, err := writeSnapFile(w, files, filepath.Join(dir, fi.Name), fi, buf)
		total += n
		if err != nil {
			return total, fmt.Errorf("file %s: %w", fi.Name, err)
		}
		count++
	}
	end := []byte{'E'}
	end = binary.LittleEndian.AppendUint32(end, uint32(count))
	end = binary.LittleEndian.AppendUint64(end, uint64(total))
	_, err = w.Write(end)
	return total, err
}

func writeSnapFile(w io.Writer, files kv.Files, path string, fi kv.FileInfo, buf []byte) (int64, error) {
	f, err := files.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	h := []byte{'F'}
	h = binary.LittleEndian.AppendUint16(h, uint16(len(fi.Name)))
	h = append(h, fi.Name...)
	h = binary.LittleEndian.AppendUint64(h, uint64(fi.Size))
	if _, err := w.Write(h); err != nil {
		return 0, err
	}
	sum := xxh3.New()
	var sent int64
	for sent < fi.Size {
		k, err := io.ReadFull(f, buf[:min(int64(len(buf)), fi.Size-sent)])
		if err != nil {
			return sent, fmt.Errorf("read: %w", err) // the checkpoint changed under us
		}
		_, _ = sum.Write(buf[:k])
		if _, err := w.Write(binary.LittleEndian.AppendUint32(nil, uint32(k))); err != nil {
			return sent, err
		}
		if _, err := w.Write(buf[:k]); err != nil {
			return sent, err
		}
		sent += int64(k)
		if err := hookSnap("chunk"); err != nil {
			return sent, err
		}
	}
	tail := binary.LittleEndian.AppendUint32(nil, 0)
	tail = binary.LittleEndian.AppendUint64(tail, sum.Sum64())
	_, err = w.Write(tail)
	return sent, err
}

// readSnapFiles receives the files writeSnapFiles sent into dir, checking
// each file's checksum and the totals, and syncs them.
func readSnapFiles(r io.Reader, files kv.Files, dir string) (int64, error) {
	var buf []byte
	var total int64
	count := 0
	for {
		var tag [1]byte
		if _, err := io.ReadFull(r, tag[:]); err != nil {
			return total, err
		}
		switch tag[0] {
		case 'E':
			var end [12]byte
			if _, err := io.ReadFull(r, end[:]); err != nil {
				return total, err
			}
			if c, t := binary.LittleEndian.Uint32(end[:4]), binary.LittleEndian.Uint64(end[4:]); int(c) != count || t != uint64(total) {
				return total, fmt.Errorf("snapshot ends after %d files, %d bytes; the leader sent %d files, %d bytes", c, t, count, total)
			}
			return total, files.SyncDir(dir)
		case 'F':
		default:
			return total, fmt.Errorf("malformed snapshot stream (tag %#x)", tag[0])
		}
		var nl [2]byte
		if _, err := io.ReadFull(r, nl[:]); err != nil {
			return total, err
		}
		name := make([]byte, binary.LittleEndian.Uint16(nl[:]))
		var size [8]byte
		if _, err := io.ReadFull(r, name); err != nil {
			return total, err
		}
		if _, err := io.ReadFull(r, size[:]); err != nil {
			return total, err
		}
		if len(name) == 0 || len(name) > 255 || strings.ContainsAny(string(name), "/\\\x00") || string(name) == "." || string(name) == ".." {
			return total, fmt.Errorf("snapshot file name %q refused", name)
		}
		want := int64(binary.LittleEndian.Uint64(size[:]))
		f, err := files.Create(filepath.Join(dir, string(name)))
		if err != nil {
			return total, err
		}
		sum := xxh3.New()
		var got int64
		err = func() error {
			for {
				var cl [4]byte
				if _, err := io.ReadFull(r, cl[:]); err != nil {
					return err
				}
				k := int(binary.LittleEndian.Uint32(cl[:]))
				if k == 0 {
					break
				}
				if k > maxSnapChunk || int64(k) > want-got {
					return fmt.Errorf("snapshot chunk of %d bytes refused (%d of %d received)", k, got, want)
				}
				if cap(buf) < k {
					buf = make([]byte, k)
				}
				if _, err := io.ReadFull(r, buf[:k]); err != nil {
					return err
				}
				_, _ = sum.Write(buf[:k])
				if _, err := f.Write(buf[:k]); err != nil {
					return err
				}
				got += int64(k)
			}
			var cs [8]byte
			if _, err := io.ReadFull(r, cs[:]); err != nil {
				return err
			}
			if got != want {
				return fmt.Errorf("%d bytes of %d", got, want)
			}
			if binary.LittleEndian.Uint64(cs[:]) != sum.Sum64() {
				return errors.New("checksum mismatch")
			}
			return f.Sync()
		}()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		total += got
		if err != nil {
			return total, fmt.Errorf("snapshot file %s: %w", name, err)
		}
		count++
	}
}

// receiveSnapshot serves one snapshot connection from the leader: it
// receives the checkpoint into a directory beside the database, verifies it,
// rewrites it into the sstables of a kv.Replacement and only then hands the
// MsgSnap to raft. One receive at a time; a failure leaves nothing behind.
func (n *Node) receiveSnapshot(c net.Conn, r *bufio.Reader) {
	s := n.snaps
	s.mu.Lock()
	if s.recv != nil || s.stopped {
		s.mu.Unlock()
		return
	}
	s.recv = c
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.recv = nil
		s.mu.Unlock()
		s.wg.Done()
	}()
	start := time.Now()
	m, got, err := n.receive(c, r)
	n.metrics.snap.receivedBytes.Add(float64(got))
	if err != nil {
		n.metrics.snap.receiveFailures.Inc()
		n.log.Warn("snapshot from the leader not received", "bytes", got, "err", err)
		_, _ = c.Write([]byte{2})
		return
	}
	n.metrics.snap.receiveSeconds.Observe(time.Since(start).Seconds())
	n.log.Info("snapshot received", "from", m.GetFrom(), "index", m.GetSnapshot().GetMetadata().GetIndex(),
		"bytes", got, "duration", time.Since(start))
	n.received([]*pb.Message{m})
	_ = c.SetWriteDeadline(time.Now().Add(snapIdle))
	_, _ = c.Write([]byte{1})
}

func (n *Node) receive(c net.Conn, r *bufio.Reader) (*pb.Message, int64, error) {
	idle := &idleReader{c: c, r: r}
	var l [4]byte
	if _, err := io.ReadFull(idle, l[:]); err != nil {
		return nil, 0, err
	}
	size := binary.LittleEndian.Uint32(l[:])
	if size > 1<<20 {
		return nil, 0, fmt.Errorf("snapshot message of %d bytes refused", size)
	}
	frame := make([]byte, size)
	if _, err := io.ReadFull(idle, frame); err != nil {
		return nil, 0, err
	}
	m := &pb.Message{}
	if err := proto.Unmarshal(frame, m); err != nil {
		return nil, 0, err
	}
	if m.GetType() != pb.MessageType_MsgSnap || m.GetTo() != n.cfg.ID || n.cfg.Peers[m.GetFrom()] == "" || m.GetSnapshot().GetMetadata() == nil {
		return nil, 0, fmt.Errorf("not a snapshot for node %d: %v from %d to %d", n.cfg.ID, m.GetType(), m.GetFrom(), m.GetTo())
	}
	id, err := decodeSnapData(m.GetSnapshot().GetData())
	if err != nil {
		return nil, 0, err
	}
	meta := m.GetSnapshot().GetMetadata()
	s := n.snaps
	// Snapshots staged earlier and never installed (raft found them
	// stale) go now.
	applied := n.Status().Applied
	s.mu.Lock()
	for sid, st := range s.staged {
		if st.index <= applied || sid == id {
			st.remove(n.db.Files())
			delete(s.staged, sid)
		}
	}
	s.mu.Unlock()

	dir := filepath.Join(s.root, "recv-"+id)
	files := n.db.Files()
	ckpt := filepath.Join(dir, "checkpoint")
	ok := false
	defer func() {
		if !ok {
			_ = files.RemoveAll(dir)
		}
	}()
	if err := files.MkdirAll(ckpt); err != nil {
		return nil, 0, err
	}
	got, err := readSnapFiles(idle, files, ckpt)
	if err != nil {
		return nil, got, err
	}
	if err := hookSnap("received"); err != nil {
		return nil, got, err
	}
	// Keep the leader waiting, not giving up, while the files are
	// rewritten.
	stop := make(chan struct{})
	var ka sync.WaitGroup
	ka.Add(1)
	go func() {
		defer ka.Done()
		t := time.NewTicker(snapIdle / 6)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				_ = c.SetWriteDeadline(time.Now().Add(snapIdle))
				_, _ = c.Write([]byte{0})
			}
		}
	}()
	repl, err := n.prepareInstall(ckpt, filepath.Join(dir, "sst"), meta)
	close(stop)
	ka.Wait()
	if err != nil {
		return nil, got, err
	}
	if err := files.RemoveAll(ckpt); err != nil {
		_ = repl.Close()
		return nil, got, err
	}
	s.mu.Lock()
	s.staged[id] = &staged{dir: dir, index: meta.GetIndex(), repl: repl}
	s.mu.Unlock()
	ok = true
	return m, got, nil
}

// dropStaleSnapshots removes received snapshots raft will never install:
// those at or below the applied index (raft refused them, or a newer one
// was installed). The driver calls it after each Ready; a snapshot raft
// accepts is installed in the Ready that follows its delivery.
func (n *Node) dropStaleSnapshots() {
	s := n.snaps
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, st := range s.staged {
		if st.index <= n.applied {
			st.remove(n.db.Files())
			delete(s.staged, id)
		}
	}
}

// prepareInstall opens the received checkpoint, checks that it holds the
// state at the snapshot's index and copies its replicated keys into the
// sstables of a replacement.
func (n *Node) prepareInstall(ckpt, sstDir string, meta *pb.SnapshotMetadata) (_ *kv.Replacement, err error) {
	src, err := n.db.OpenCheckpoint(ckpt)
	if err != nil {
		return nil, fmt.Errorf("open the received checkpoint: %w", err)
	}
	defer func() { err = errors.Join(err, src.Close()) }()
	v, found, err := src.Get(nil, raftKey(keyApplied))
	if err != nil {
		return nil, err
	}
	if !found || len(v) != 16 || binary.BigEndian.Uint64(v) != meta.GetIndex() || binary.BigEndian.Uint64(v[8:]) != meta.GetTerm() {
		return nil, fmt.Errorf("the checkpoint is not the state at index %d, term %d", meta.GetIndex(), meta.GetTerm())
	}
	repl, err := n.db.NewReplacement(sstDir)
	if err != nil {
		return nil, err
	}
	for _, sp := range replicatedSpans {
		if err := repl.CopySpan(src, sp); err != nil {
			_ = repl.Close()
			return nil, err
		}
	}
	return repl, nil
}

// idleReader fails a read that waits longer than snapIdle.
type idleReader struct {
	c net.Conn
	r *bufio.Reader
}

func (i *idleReader) Read(p []byte) (int, error) {
	_ = i.c.SetReadDeadline(time.Now().Add(snapIdle))
	return i.r.Read(p)
}

// installSnapshot makes the staged snapshot raft handed back the node's
// state: its replicated keys replace the node's, and the raft keys become
// the snapshot's metadata, the applied index and hs (its commit at least
// the snapshot's index), with no log entries, all in one ingestion. A crash
// leaves the old state or the new one.
func (n *Node) installSnapshot(snap *pb.Snapshot, hs *pb.HardState) error {
	meta := snap.GetMetadata()
	id, err := decodeSnapData(snap.GetData())
	if err != nil {
		return err
	}
	s := n.snaps
	s.mu.Lock()
	st := s.staged[id]
	delete(s.staged, id)
	s.mu.Unlock()
	if st == nil {
		return fmt.Errorf("snapshot %s at index %d was not received", id, meta.GetIndex())
	}
	defer st.remove(n.db.Files())
	if raft.IsEmptyHardState(hs) {
		cur, _, err := n.ms.InitialState()
		if err != nil {
			return err
		}
		hs = cur
	}
	hs = proto.Clone(hs).(*pb.HardState)
	if hs.GetCommit() < meta.GetIndex() {
		hs.Commit = new(meta.GetIndex())
	}
	if err := st.repl.Span(raftSpan); err != nil {
		return err
	}
	// Keys in order: 'a' < 'h' < 's'.
	if err := st.repl.Set(raftKey(keyApplied), encodeApplied(meta.GetIndex(), meta.GetTerm())); err != nil {
		return err
	}
	for _, kvp := range []struct {
		k byte
		m proto.Message
	}{{keyHardState, hs}, {keySnapMeta, &pb.SnapshotMetadata{Index: meta.Index, Term: meta.Term, ConfState: meta.ConfState}}} {
		v, err := proto.Marshal(kvp.m)
		if err != nil {
			return err
		}
		if err := st.repl.Set(raftKey(kvp.k), v); err != nil {
			return err
		}
	}
	if err := hookSnap("staged"); err != nil {
		return err
	}
	if err := st.repl.Ingest(); err != nil {
		return err
	}
	if err := hookSnap("installed"); err != nil {
		return err
	}
	if err := n.ms.ApplySnapshot(&pb.Snapshot{Metadata: meta}); err != nil {
		return err
	}
	n.applied = meta.GetIndex()
	n.lastStored = meta.GetIndex()
	n.logBytes = 0
	n.confState = meta.GetConfState()
	n.dirty = true
	n.metrics.snapshotsInstalled.Inc()
	n.log.Info("snapshot installed", "index", meta.GetIndex(), "term", meta.GetTerm())
	return nil
}
