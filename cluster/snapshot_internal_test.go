package cluster

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/kv/kvtest"
)

// chunkFrames walks a snapshot stream and returns, for each file, the
// offsets and sizes of its chunks.
func chunkFrames(t *testing.T, s []byte) (names []string, chunks [][2]int) {
	t.Helper()
	i := 0
	for s[i] == 'F' {
		nl := int(binary.LittleEndian.Uint16(s[i+1:]))
		names = append(names, string(s[i+3:i+3+nl]))
		i += 3 + nl + 8
		for {
			k := int(binary.LittleEndian.Uint32(s[i:]))
			i += 4
			if k == 0 {
				break
			}
			chunks = append(chunks, [2]int{i, k})
			i += k
		}
		i += 8
	}
	if s[i] != 'E' || len(s) != i+13 {
		t.Fatalf("stream does not end at its end marker (%d of %d)", i, len(s))
	}
	return names, chunks
}

// TestSnapshotStream: a checkpoint goes out in chunks no larger than
// snapChunk and comes back byte for byte; a stream with a damaged byte, a
// chunk over maxSnapChunk, a file name that leaves the directory, a cut or
// a wrong end count is refused.
func TestSnapshotStream(t *testing.T) {
	defer func(n int) { snapChunk = n }(snapChunk)
	snapChunk = 8 << 10
	db := kvtest.NewCrashable().Open(t, kv.Options{})
	defer db.Close()
	b := db.NewBatch()
	for i := range 50 {
		if err := b.Set(kv.NewKey(nil, kv.TagMessages).U64(uint64(i)), bytes.Repeat([]byte{byte(i)}, 3000)); err != nil {
			t.Fatal(err)
		}
	}
	if d, err := db.CommitLocal(b); err != nil || d.Wait() != nil {
		t.Fatal(err)
	}
	files := db.Files()
	if err := db.Checkpoint("ckpt"); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	sent, err := writeSnapFiles(&out, files, "ckpt")
	if err != nil {
		t.Fatal(err)
	}
	stream := out.Bytes()
	names, chunks := chunkFrames(t, stream)
	var sum int64
	for _, c := range chunks {
		if c[1] > snapChunk {
			t.Fatalf("a chunk of %d bytes, more than %d", c[1], snapChunk)
		}
		sum += int64(c[1])
	}
	if sum != sent || sent < 150_000 || len(chunks) < int(sent)/snapChunk {
		t.Fatalf("%d bytes sent in %d chunks (%d in chunks)", sent, len(chunks), sum)
	}

	recv := func(name string, s []byte) (int64, error) {
		dir := "recv-" + name
		if err := files.MkdirAll(dir); err != nil {
			t.Fatal(err)
		}
		return readSnapFiles(bytes.NewReader(s), files, dir)
	}
	if got, err := recv("whole", stream); err != nil || got != sent {
		t.Fatalf("receive: %d bytes, %v; sent %d", got, err, sent)
	}
	for _, name := range names {
		want := readAll(t, files, "ckpt/"+name)
		if got := readAll(t, files, "recv-whole/"+name); !bytes.Equal(got, want) {
			t.Fatalf("%s: %d bytes received, %d sent", name, len(got), len(want))
		}
	}

	bad := func(name, want string, edit func([]byte) []byte) {
		t.Helper()
		s := edit(bytes.Clone(stream))
		if _, err := recv(name, s); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: %v, want an error with %q", name, err, want)
		}
	}
	bad("damaged", "checksum mismatch", func(s []byte) []byte {
		s[chunks[len(chunks)/2][0]+5] ^= 1
		return s
	})
	bad("huge chunk", "refused", func(s []byte) []byte {
		binary.LittleEndian.PutUint32(s[chunks[0][0]-4:], maxSnapChunk+1)
		return s
	})
	bad("escape", "refused", func(s []byte) []byte {
		h := []byte{'F'}
		h = binary.LittleEndian.AppendUint16(h, 4)
		return append(append(h, "../x"...), s[3+len(names[0]):]...)
	})
	bad("cut", io.ErrUnexpectedEOF.Error(), func(s []byte) []byte { return s[:chunks[len(chunks)/2][0]+10] })
	bad("count", "files", func(s []byte) []byte {
		binary.LittleEndian.PutUint32(s[len(s)-12:], uint32(len(names)+1))
		return s
	})
}

func readAll(t *testing.T, files kv.Files, path string) []byte {
	t.Helper()
	f, err := files.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(fmt.Errorf("%s: %w", path, err))
	}
	return b
}
