package admin

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/zeebo/xxh3"
)

// FileFunc receives one database file's bytes while the archive is read.
// It must read r to its end or return an error.
type FileFunc func(f FileEntry, r io.Reader) error

// Read walks an archive from r and checks it whole: the manifest against its
// checksum and format, then every file, in the manifest's order, against its
// size and checksum, and finally that nothing follows. onFile, when set, sees
// each file's bytes as they are checked; it learns of a bad file only from
// Read's error, so a caller that writes must discard what it wrote when Read
// fails. Errors name the entry at fault (*FileError).
func Read(r io.Reader, onFile FileFunc) (*Manifest, error) {
	zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	tr := tar.NewReader(zr)

	body, err := readSmall(tr, ManifestName)
	if err != nil {
		return nil, err
	}
	sum, err := readSmall(tr, ManifestSumName)
	if err != nil {
		return nil, err
	}
	if got, want := ChecksumOf(body), strings.TrimSpace(string(sum)); got != want {
		return nil, fileErr(ManifestName, fmt.Errorf("%w (manifest.json.xxh3 says %s, the bytes hash to %s)", ErrChecksum, want, got))
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&m); err != nil {
		return nil, fileErr(ManifestName, fmt.Errorf("%w: %v", ErrLayout, err))
	}
	if m.Format > FormatVersion {
		return nil, fileErr(ManifestName, fmt.Errorf("%w: format %d, this shale reads up to %d; restore with the shale version that wrote it (%s) or newer",
			ErrNewerFormat, m.Format, FormatVersion, m.ShaleVersion))
	}
	if m.Format < 1 {
		return nil, fileErr(ManifestName, fmt.Errorf("%w: format %d", ErrLayout, m.Format))
	}
	seen := make(map[string]bool, len(m.Files))
	for _, f := range m.Files {
		if f.Name == "" || strings.ContainsAny(f.Name, `/\`) || f.Name == "." || f.Name == ".." || seen[f.Name] || f.Size < 0 {
			return nil, fileErr(ManifestName, fmt.Errorf("%w: bad file entry %q", ErrLayout, f.Name))
		}
		seen[f.Name] = true
	}

	buf := make([]byte, 1<<20)
	for _, f := range m.Files {
		name := DBPrefix + f.Name
		hdr, err := tr.Next()
		if err != nil {
			return nil, fileErr(name, readErr(err))
		}
		if hdr.Name != name || hdr.Typeflag != tar.TypeReg {
			return nil, fileErr(name, fmt.Errorf("%w: found %q where the manifest puts it", ErrLayout, hdr.Name))
		}
		if hdr.Size != f.Size {
			return nil, fileErr(name, fmt.Errorf("%w: %d bytes, the manifest says %d", ErrChecksum, hdr.Size, f.Size))
		}
		h := xxh3.New()
		src := &trackedReader{r: io.TeeReader(tr, h)}
		if onFile != nil {
			err = onFile(f, src)
		}
		if err == nil {
			_, err = io.CopyBuffer(io.Discard, src, buf)
		}
		if err != nil {
			if src.err != nil {
				err = readErr(src.err)
			}
			return nil, fileErr(name, err)
		}
		if got := checksum(h); got != f.Checksum {
			return nil, fileErr(name, fmt.Errorf("%w (manifest %s, content %s)", ErrChecksum, f.Checksum, got))
		}
	}
	switch hdr, err := tr.Next(); {
	case err == nil:
		return nil, fileErr(hdr.Name, fmt.Errorf("%w: entry not in the manifest", ErrLayout))
	case !errors.Is(err, io.EOF):
		return nil, fileErr("end of archive", readErr(err))
	}
	// The tar end marker is inside the compressed stream; the stream's own
	// end (and its checksum) must follow.
	if _, err := io.CopyBuffer(io.Discard, zr, buf); err != nil {
		return nil, fileErr("end of archive", readErr(err))
	}
	return &m, nil
}

// readSmall reads the next entry, which must be name, into memory.
func readSmall(tr *tar.Reader, name string) ([]byte, error) {
	hdr, err := tr.Next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fileErr(name, fmt.Errorf("%w: the archive is empty or not a shale backup", ErrLayout))
		}
		return nil, fileErr(name, readErr(err))
	}
	if hdr.Name != name {
		return nil, fileErr(name, fmt.Errorf("%w: first entries must be %s and %s, found %q", ErrLayout, ManifestName, ManifestSumName, hdr.Name))
	}
	if hdr.Size > maxManifestSize {
		return nil, fileErr(name, fmt.Errorf("%w: %d bytes", ErrLayout, hdr.Size))
	}
	b, err := io.ReadAll(tr)
	if err != nil {
		return nil, fileErr(name, readErr(err))
	}
	return b, nil
}

// readErr classifies an error from the decompressor or the tar reader.
func readErr(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return ErrTruncated
	}
	var fe *FileError
	if errors.As(err, &fe) {
		return fe.Err
	}
	return fmt.Errorf("unreadable: %w", err)
}

// VerifyFile checks the archive at path offline and returns its manifest.
func VerifyFile(path string) (*Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, nil)
}

// trackedReader remembers its reader's first error other than EOF, so a
// failure of onFile's writes can be told from a broken archive.
type trackedReader struct {
	r   io.Reader
	err error
}

func (t *trackedReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF && t.err == nil {
		t.err = err
	}
	return n, err
}

// ReadManifestChecksum returns the checksum stored in an archive's second
// entry without checking anything else.
func ReadManifestChecksum(r io.Reader) (string, error) {
	zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return "", err
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	if _, err := readSmall(tr, ManifestName); err != nil {
		return "", err
	}
	sum, err := readSmall(tr, ManifestSumName)
	return strings.TrimSpace(string(sum)), err
}
