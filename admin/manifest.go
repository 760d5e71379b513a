package admin

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/zeebo/xxh3"

	"github.com/shalemq/shale/broker"
)

// FormatVersion is the archive format this build writes and the newest it
// reads. Raise it when an older shale could no longer restore what a newer
// one writes; restore refuses archives with a higher number.
const FormatVersion = 1

// Names inside the archive, in order: the manifest, its checksum, then every
// database file under DBPrefix.
const (
	ManifestName    = "manifest.json"
	ManifestSumName = "manifest.json.xxh3"
	DBPrefix        = "db/"
)

// ChecksumPrefix starts every checksum string: "xxh3-128:" and 32 hex
// digits. XXH3 detects corruption at memory speed; the archive is not signed
// and the checksums are no defence against someone who can rewrite it.
const ChecksumPrefix = "xxh3-128:"

// maxManifestSize bounds what verify reads as the manifest.
const maxManifestSize = 256 << 20

// Manifest is the first entry of every archive.
type Manifest struct {
	Format       int       `json:"format"`
	ShaleVersion string    `json:"shale_version"`
	CreatedAt    time.Time `json:"created_at"`
	// Durability is the server's mode when the snapshot was taken.
	Durability string              `json:"durability"`
	Streams    []broker.StreamDesc `json:"streams"`
	Users      []broker.UserDesc   `json:"users"`
	Files      []FileEntry         `json:"files"`
}

// FileEntry is one database file in the archive.
type FileEntry struct {
	Name     string `json:"name"` // without DBPrefix
	Size     int64  `json:"size"`
	Checksum string `json:"checksum"`
}

// Totals sums the manifest's partitions.
func (m *Manifest) Totals() (streams, topics, partitions int, messages, bytes uint64) {
	for _, s := range m.Streams {
		streams++
		for _, t := range s.Topics {
			topics++
			for _, p := range t.Partitions {
				partitions++
				messages += p.MessagesCount
				bytes += p.SizeBytes
			}
		}
	}
	return
}

// FilesSize is the unpacked size of the database files.
func (m *Manifest) FilesSize() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

// Describe writes a human-readable account of the manifest.
func (m *Manifest) Describe(w io.Writer) {
	s, t, p, msgs, bytes := m.Totals()
	fmt.Fprintf(w, "format %d, written by shale %s at %s, durability %s\n", m.Format, m.ShaleVersion, m.CreatedAt.UTC().Format(time.RFC3339), m.Durability)
	fmt.Fprintf(w, "%d streams, %d topics, %d partitions, %d messages (%d bytes), %d users, %d files (%d bytes)\n",
		s, t, p, msgs, bytes, len(m.Users), len(m.Files), m.FilesSize())
	for _, st := range m.Streams {
		fmt.Fprintf(w, "stream %d %q\n", st.ID, st.Name)
		for _, tp := range st.Topics {
			fmt.Fprintf(w, "  topic %d %q: %d partitions, %d consumer groups\n", tp.ID, tp.Name, len(tp.Partitions), len(tp.Groups))
			for _, pt := range tp.Partitions {
				if pt.MessagesCount == 0 {
					fmt.Fprintf(w, "    partition %d: empty, next offset %d, %d stored consumer offsets\n", pt.ID, pt.NextOffset, len(pt.ConsumerOffsets))
					continue
				}
				fmt.Fprintf(w, "    partition %d: offsets %d..%d, %d messages, %d stored consumer offsets\n",
					pt.ID, pt.FirstOffset, pt.LastOffset, pt.MessagesCount, len(pt.ConsumerOffsets))
			}
			for _, g := range tp.Groups {
				fmt.Fprintf(w, "    consumer group %d %q\n", g.ID, g.Name)
			}
		}
	}
	for _, u := range m.Users {
		fmt.Fprintf(w, "user %d %q active=%v, %d personal access tokens\n", u.ID, u.Username, u.Active, u.Tokens)
	}
}

// Errors verification returns; each is wrapped in a *FileError naming the
// archive entry.
var (
	// ErrChecksum: an entry's bytes do not match the manifest.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrTruncated: the archive ends early.
	ErrTruncated = errors.New("archive is truncated")
	// ErrNewerFormat: written by a newer shale with a format this build does
	// not know.
	ErrNewerFormat = errors.New("archive format is newer than this shale understands")
	// ErrLayout: entries missing, unexpected or out of order.
	ErrLayout = errors.New("archive layout is wrong")
)

// FileError is a verification failure of one archive entry.
type FileError struct {
	Name string // entry name, such as "db/000123.sst" or "manifest.json"
	Err  error
}

func (e *FileError) Error() string { return e.Name + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

func fileErr(name string, err error) error { return &FileError{Name: name, Err: err} }

// checksum formats a finished hash.
func checksum(h *xxh3.Hasher) string {
	b := h.Sum128().Bytes()
	return ChecksumPrefix + hex.EncodeToString(b[:])
}

// ChecksumOf returns the checksum of b.
func ChecksumOf(b []byte) string {
	h := xxh3.New()
	_, _ = h.Write(b)
	return checksum(h)
}
