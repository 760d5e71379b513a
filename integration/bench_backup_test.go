package integration

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
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

// Backup cost (docs/backup.md): produce throughput over TCP with and without
// a backup streaming at the same time, and the rates of a backup and of a
// restore. The server first holds bkPreload distinct batches of 1,000
// compressible 1 KB messages (JSON-like text, about 5:1 under zstd), so a
// backup has something to read.
const bkPreload = 128

// bkProduce is how many batches the producers send per operation: enough
// for the backups to overlap the whole run.
const bkProduce = 256

func textMessages(seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed+1))
	var msgs []byte
	payload := make([]byte, 0, e2eMsgSize)
	for range e2eBatch {
		payload = payload[:0]
		for len(payload) < e2eMsgSize {
			payload = fmt.Appendf(payload, `{"user":%d,"page":"/p/%d","v":%.4f}`, r.IntN(100000), r.IntN(1000), r.Float64())
		}
		msgs = wire.AppendSendMessage(msgs, nil, 1, payload[:e2eMsgSize], nil)
	}
	return msgs
}

// preloaded starts a server holding bkPreload batches in stream 0, topic 0
// (4 partitions) and returns it with 4 logged-in TCP clients.
func preloaded(b *testing.B) (*Server, []*client.Client) {
	b.Helper()
	s := Start(b, "", "SHALE_SYSTEM_LOGGING_LEVEL=warn")
	ctx := context.Background()
	clients := make([]*client.Client, 4)
	for i := range clients {
		c, err := client.Dial(ctx, s.Ports.TCP, client.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = c.Close() })
		if _, err := c.Login(ctx, RootUser, RootPassword); err != nil {
			b.Fatal(err)
		}
		clients[i] = c
	}
	if _, err := clients[0].CreateStream(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	if _, err := clients[0].CreateTopic(ctx, wire.CreateTopic{Stream: wire.NumericID(0), PartitionsCount: 4, Name: "t"}); err != nil {
		b.Fatal(err)
	}
	for i := range bkPreload {
		// Distinct batches: repeated ones would compress to nothing.
		msgs := textMessages(uint64(i) + 10)
		if err := clients[0].Send(ctx, wire.NumericID(0), wire.NumericID(0), wire.PartitionID(uint32(i%4)), e2eBatch, msgs); err != nil {
			b.Fatal(err)
		}
	}
	return s, clients
}

func dirSize(b *testing.B, dir string) int64 {
	b.Helper()
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// streamBackup downloads one backup into w and returns its size.
func streamBackup(b *testing.B, s *Server, route, jwt string, w io.Writer) int64 {
	b.Helper()
	req, _ := http.NewRequest("GET", "http://"+s.Ports.HTTP+route, nil)
	req.Header.Set("Authorization", "Bearer "+jwt)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Error(err)
		return 0
	}
	defer resp.Body.Close()
	n, err := io.Copy(w, resp.Body)
	if err != nil || resp.StatusCode != 200 {
		b.Errorf("backup: %d %v", resp.StatusCode, err)
	}
	return n
}

func BenchmarkBackup(b *testing.B) {
	ctx := context.Background()
	for _, mode := range []string{"no-backup", "during-backup", "during-backup,max_rate=30MB"} {
		withBackup := mode != "no-backup"
		route := backupPath
		if strings.Contains(mode, "max_rate") {
			route += "?max_rate=30000000"
		}
		name := "produce/tcp/producers=4/" + mode
		b.Run(name, func(b *testing.B) {
			s, clients := preloaded(b)
			msgs := textMessages(2)
			stop := make(chan struct{})
			var backups atomic.Int64
			var bg sync.WaitGroup
			if withBackup {
				jwt := httpLogin(b, s, RootUser, RootPassword)
				bg.Add(1)
				go func() {
					defer bg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						streamBackup(b, s, route, jwt, io.Discard)
						backups.Add(1)
					}
				}()
				time.Sleep(50 * time.Millisecond) // let the first checkpoint start
			}
			b.SetBytes(bkProduce * e2eBatch * e2eMsgSize)
			b.ResetTimer()
			for range b.N {
				var wg sync.WaitGroup
				for i, c := range clients {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for j := i; j < bkProduce; j += len(clients) {
							if err := c.Send(ctx, wire.NumericID(0), wire.NumericID(0), wire.PartitionID(uint32(i)), e2eBatch, msgs); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
			}
			b.StopTimer()
			close(stop)
			bg.Wait()
			reportE2E(b, b.N*bkProduce*e2eBatch)
			if withBackup {
				b.ReportMetric(float64(backups.Load()), "backups")
			}
		})
	}

	var archive string
	var dbBytes int64
	b.Cleanup(func() {
		if archive != "" {
			_ = os.Remove(archive)
		}
	})
	b.Run("backup/http", func(b *testing.B) {
		s, _ := preloaded(b)
		jwt := httpLogin(b, s, RootUser, RootPassword)
		dbBytes = dirSize(b, filepath.Join(s.Dir, "db"))
		archive = filepath.Join(b.TempDir(), "bench.tar.zst")
		b.ResetTimer()
		var size int64
		for range b.N {
			f, err := os.Create(archive)
			if err != nil {
				b.Fatal(err)
			}
			size = streamBackup(b, s, backupPath, jwt, f)
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
			_ = f.Close()
		}
		b.StopTimer()
		sec := b.Elapsed().Seconds() / float64(b.N)
		b.ReportMetric(float64(dbBytes)/1e6/sec, "db-MB/s")
		b.ReportMetric(float64(dbBytes)/1e6, "db-MB")
		b.ReportMetric(float64(size)/1e6, "archive-MB")
		b.ReportMetric(0, "ns/op")
		// Keep the archive past the sub-benchmark's temporary directory.
		kept := filepath.Join(os.TempDir(), fmt.Sprintf("shale-bench-%d.tar.zst", os.Getpid()))
		_ = os.Remove(kept)
		if err := os.Rename(archive, kept); err == nil {
			archive = kept
		}
	})
	b.Run("restore", func(b *testing.B) {
		if archive == "" {
			b.Skip("no archive")
		}
		b.ResetTimer()
		for i := range b.N {
			target := filepath.Join(b.TempDir(), fmt.Sprint("r", i))
			out, err := exec.Command(Binary(b), "restore", "--from", archive, "--data-dir", target).CombinedOutput()
			if err != nil {
				b.Fatalf("restore: %v\n%s", err, out)
			}
		}
		b.StopTimer()
		sec := b.Elapsed().Seconds() / float64(b.N)
		b.ReportMetric(float64(dbBytes)/1e6/sec, "db-MB/s")
		b.ReportMetric(0, "ns/op")
	})
}
