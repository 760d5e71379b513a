package integration

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

const backupPath = "/admin/backup"

var (
	bkStream = wire.NamedID("backups")
	bkTopic  = wire.NamedID("events")
)

// producers writes to one partition each over TCP until stop, counting what
// was acknowledged. Message ids are (partition, sequence) so every message
// is distinct; each carries user headers.
type producers struct {
	acked []atomic.Uint64
	stop  chan struct{}
	wg    sync.WaitGroup
	errs  chan error
}

func startProducers(t *testing.T, s *Server, n int) *producers {
	t.Helper()
	p := &producers{acked: make([]atomic.Uint64, n), stop: make(chan struct{}), errs: make(chan error, n)}
	for part := range n {
		c := dialTCP(t, s)
		login(t, c)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			var seq uint64
			for {
				select {
				case <-p.stop:
					return
				default:
				}
				var msgs []byte
				for range 20 {
					id := make([]byte, 16)
					binary.LittleEndian.PutUint64(id, uint64(part)+1)
					binary.LittleEndian.PutUint64(id[8:], seq+1)
					hdrs := wire.AppendUserHeaders(nil, wire.UserHeader{Key: wire.StringHeader("seq"), Value: wire.StringHeader(fmt.Sprint(seq))})
					payload := fmt.Appendf(nil, "partition %d message %d %s", part, seq, strings.Repeat("abc", 60))
					msgs = wire.AppendSendMessage(msgs, id, 1_700_000_000_000_000+seq, payload, hdrs)
					seq++
				}
				if err := c.Send(context.Background(), bkStream, bkTopic, wire.PartitionID(uint32(part)), 20, msgs); err != nil {
					p.errs <- fmt.Errorf("producer %d: %w", part, err)
					return
				}
				p.acked[part].Add(20)
			}
		}()
	}
	return p
}

// snapshot returns the acknowledged counts now.
func (p *producers) snapshot() []uint64 {
	out := make([]uint64, len(p.acked))
	for i := range p.acked {
		out[i] = p.acked[i].Load()
	}
	return out
}

// waitProgress blocks until every producer has had more acknowledged than in
// prev, so a backup started next overlaps live writes.
func (p *producers) waitProgress(t *testing.T, prev []uint64) {
	t.Helper()
	for i := range p.acked {
		for p.acked[i].Load() <= prev[i] {
			select {
			case err := <-p.errs:
				t.Fatal(err)
			default:
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func (p *producers) halt(t *testing.T) {
	t.Helper()
	close(p.stop)
	p.wg.Wait()
	select {
	case err := <-p.errs:
		t.Fatal(err)
	default:
	}
}

func httpLogin(t testing.TB, s *Server, user, pass string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": pass})
	resp, err := http.Post("http://"+s.Ports.HTTP+"/users/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var id struct {
		AccessToken struct{ Token string } `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&id); err != nil || id.AccessToken.Token == "" {
		t.Fatalf("http login: %d %v", resp.StatusCode, err)
	}
	return id.AccessToken.Token
}

// httpBackup downloads a backup over the REST API into path.
func httpBackup(t *testing.T, s *Server, path string) http.Header {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+s.Ports.HTTP+backupPath, nil)
	req.Header.Set("Authorization", "Bearer "+httpLogin(t, s, RootUser, RootPassword))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("backup: %d %s", resp.StatusCode, b)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		t.Fatal(err)
	}
	return resp.Header
}

// shaleCmd runs the built binary and returns its combined output and error.
func shaleCmd(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(Binary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// pollAll returns every message of a partition, each exactly as stored.
func pollAll(t *testing.T, c *client.Client, part uint32) [][]byte {
	t.Helper()
	var out [][]byte
	for {
		p, err := c.Poll(context.Background(), wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(99)},
			Stream: bkStream, Topic: bkTopic, Partition: wire.SomePartition(part),
			Strategy: wire.PollingStrategy{Kind: wire.PollOffset, Value: uint64(len(out))}, Count: 1000})
		if err != nil {
			t.Fatal(err)
		}
		it := wire.NewMessageIter(p.Messages)
		n := 0
		for m, ok := it.Next(); ok; m, ok = it.Next() {
			out = append(out, bytes.Clone(m[:m.Size()]))
			n++
		}
		if it.Err() != nil {
			t.Fatal(it.Err())
		}
		if n == 0 {
			return out
		}
	}
}

// TestBackupRestoreWhileProducing is the end-to-end check: producers
// write over TCP while one backup is taken over HTTP and one with `shale
// backup`; each restores into a fresh directory where a server has every
// message acknowledged before its backup began (byte for byte: ids,
// offsets, timestamps, headers, payloads), the consumer offsets and groups,
// working logins for users and tokens, and a producer continues at the next
// offset.
func TestBackupRestoreWhileProducing(t *testing.T) {
	const parts = 3
	s := Start(t, "")
	ctx := context.Background()
	admin := dialTCP(t, s)
	login(t, admin)
	mustDo := func(c *client.Client, req wire.Request) []byte {
		t.Helper()
		b, err := c.Do(ctx, req)
		if err != nil {
			t.Fatalf("%T: %v", req, err)
		}
		return b
	}
	if _, err := admin.CreateStream(ctx, "backups"); err != nil {
		t.Fatal(err)
	}
	mustDo(admin, &wire.CreateTopic{Stream: bkStream, PartitionsCount: parts, Compression: wire.CompressionNone, Name: "events"})
	mustDo(admin, &wire.CreateConsumerGroup{Stream: bkStream, Topic: bkTopic, Name: "workers"})
	mustDo(admin, &wire.CreateUser{Username: "alice", Password: "alice-secret", Status: 1,
		Permissions: &wire.Permissions{Global: wire.GlobalPermissions{ReadStreams: true, PollMessages: true}}})
	alice := dialTCP(t, s)
	if _, err := alice.Login(ctx, "alice", "alice-secret"); err != nil {
		t.Fatal(err)
	}
	var tok wire.RawPersonalAccessToken
	if err := tok.Decode(mustDo(alice, &wire.CreatePersonalAccessToken{Name: "alice-ci"})); err != nil {
		t.Fatal(err)
	}

	prod := startProducers(t, s, parts)
	prod.waitProgress(t, make([]uint64, parts))
	// Consumer offsets: a single consumer, and a group member's.
	if err := admin.StoreOffset(ctx, wire.OffsetRef{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(5)},
		Stream: bkStream, Topic: bkTopic, Partition: wire.SomePartition(0)}, 3); err != nil {
		t.Fatal(err)
	}
	member := dialTCP(t, s)
	login(t, member)
	mustDo(member, &wire.JoinConsumerGroup{GroupRef: wire.GroupRef{Stream: bkStream, Topic: bkTopic, Group: wire.NamedID("workers")}})
	groupRef := wire.OffsetRef{Consumer: wire.Consumer{Kind: wire.ConsumerGroup, ID: wire.NamedID("workers")},
		Stream: bkStream, Topic: bkTopic, Partition: wire.SomePartition(1)}
	if err := member.StoreOffset(ctx, groupRef, 4); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	type taken struct {
		name   string
		path   string
		before []uint64
	}
	var backups []taken

	before := prod.snapshot()
	prod.waitProgress(t, before)
	before = prod.snapshot()
	path := filepath.Join(dir, "http.tar.zst")
	hdr := httpBackup(t, s, path)
	if cd := hdr.Get("Content-Disposition"); !strings.Contains(cd, "attachment; filename=\"shale-backup-") {
		t.Fatalf("Content-Disposition %q", cd)
	}
	if sum := hdr.Get("X-Shale-Manifest-Checksum"); !strings.HasPrefix(sum, "xxh3-128:") {
		t.Fatalf("manifest checksum header %q", sum)
	}
	backups = append(backups, taken{"http", path, before})
	t.Logf("http backup: acked before %v, after %v", before, prod.snapshot())

	prod.waitProgress(t, prod.snapshot())
	before = prod.snapshot()
	path = filepath.Join(dir, "cli.tar.zst")
	out, err := shaleCmd(t, []string{"IGGY_USERNAME=" + RootUser, "IGGY_PASSWORD=" + RootPassword, "IGGY_HTTP_API_URL=http://" + s.Ports.HTTP},
		"backup", "--out", path)
	if err != nil {
		t.Fatalf("shale backup: %v\n%s", err, out)
	}
	if !strings.Contains(out, path) || !strings.Contains(out, "3 partitions") {
		t.Fatalf("shale backup said:\n%s", out)
	}
	backups = append(backups, taken{"cli", path, before})
	t.Logf("cli backup: acked before %v, after %v: %s", before, prod.snapshot(), out)

	prod.halt(t)
	original := make([][][]byte, parts)
	for p := range parts {
		original[p] = pollAll(t, admin, uint32(p))
	}
	if entries, _ := os.ReadDir(filepath.Join(s.Dir, "checkpoints")); len(entries) != 0 {
		t.Fatalf("%d checkpoints left on the server", len(entries))
	}

	for _, b := range backups {
		t.Run(b.name, func(t *testing.T) {
			out, err := shaleCmd(t, nil, "backup", "verify", b.path)
			if err != nil || !strings.Contains(out, ": OK") || !strings.Contains(out, `consumer group 0 "workers"`) {
				t.Fatalf("verify: %v\n%s", err, out)
			}
			target := filepath.Join(t.TempDir(), "restored")
			if out, err := shaleCmd(t, nil, "restore", "--from", b.path, "--data-dir", target); err != nil {
				t.Fatalf("restore: %v\n%s", err, out)
			}
			r := Start(t, target)
			c := dialTCP(t, r)
			login(t, c)
			for p := range parts {
				got := pollAll(t, c, uint32(p))
				if uint64(len(got)) < b.before[p] {
					t.Fatalf("partition %d: %d messages restored, %d were acknowledged before the backup began", p, len(got), b.before[p])
				}
				if len(got) > len(original[p]) {
					t.Fatalf("partition %d: %d messages restored, the server only ever had %d", p, len(got), len(original[p]))
				}
				for i := range got {
					if !bytes.Equal(got[i], original[p][i]) {
						t.Fatalf("partition %d offset %d differs from the original", p, i)
					}
				}
			}
			off, ok, err := c.Offset(ctx, wire.OffsetRef{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(5)},
				Stream: bkStream, Topic: bkTopic, Partition: wire.SomePartition(0)})
			if err != nil || !ok || off.StoredOffset != 3 {
				t.Fatalf("consumer offset: %+v %v %v", off, ok, err)
			}
			// The group is there; membership belongs to connections, so a
			// member joins again and finds the group's offset.
			var g wire.ConsumerGroupDetails
			if err := g.Decode(mustDo(c, &wire.GetConsumerGroup{GroupRef: wire.GroupRef{Stream: bkStream, Topic: bkTopic, Group: wire.NamedID("workers")}})); err != nil {
				t.Fatal(err)
			}
			if g.ID != 0 || g.Name != "workers" || g.PartitionsCount != parts {
				t.Fatalf("group after restore: %+v", g)
			}
			m := dialTCP(t, r)
			login(t, m)
			mustDo(m, &wire.JoinConsumerGroup{GroupRef: wire.GroupRef{Stream: bkStream, Topic: bkTopic, Group: wire.NamedID("workers")}})
			if off, ok, err := m.Offset(ctx, groupRef); err != nil || !ok || off.StoredOffset != 4 {
				t.Fatalf("group offset: %+v %v %v", off, ok, err)
			}
			// Users and tokens log in.
			if _, err := dialTCP(t, r).Login(ctx, "alice", "alice-secret"); err != nil {
				t.Fatalf("alice: %v", err)
			}
			if _, err := dialTCP(t, r).LoginWithToken(ctx, tok.Token); err != nil {
				t.Fatalf("alice's token: %v", err)
			}
			// A producer continues at the next offset.
			next := uint64(len(pollAll(t, c, 0)))
			if err := c.Send(ctx, bkStream, bkTopic, wire.PartitionID(0), 1, wire.AppendSendMessage(nil, nil, 0, []byte("after restore"), nil)); err != nil {
				t.Fatal(err)
			}
			all := pollAll(t, c, 0)
			if uint64(len(all)) != next+1 || wire.Message(all[next]).Offset() != next {
				t.Fatalf("the next message got offset %d, want %d", wire.Message(all[len(all)-1]).Offset(), next)
			}
		})
	}
}
