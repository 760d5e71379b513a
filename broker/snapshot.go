package broker

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/shalemq/shale/wire"
)

// Snapshot diagnostics (docs/protocol/binary.md §2.7): the codes are Iggy's.
const (
	SnapshotFilesystem = 1
	SnapshotProcesses  = 2
	SnapshotResources  = 3
	SnapshotTest       = 4
	SnapshotLogs       = 5
	SnapshotConfig     = 6
	SnapshotAll        = 100
)

// Snapshot compression codes; 1 stores, everything else deflates (the Go
// standard library has no bzip2/zstd/lzma/xz writer, and clients only read
// the archive; docs/compatibility.md).
const (
	SnapshotStored   = 1
	SnapshotDeflated = 2
)

// Snapshot builds a ZIP archive of the requested diagnostics, one text file
// each. Any logged-in user may ask (Iggy checks no permission).
func (b *Broker) Snapshot(s *Session, compression uint8, types []uint8) ([]byte, error) {
	if err := authenticated(s); err != nil {
		return nil, err
	}
	if compression < 1 || compression > 6 {
		return nil, fmt.Errorf("snapshot compression %d: %w", compression, wire.ErrInvalidCommand)
	}
	want := map[uint8]bool{}
	for _, t := range types {
		switch {
		case t == SnapshotAll && len(types) > 1:
			return nil, fmt.Errorf("snapshot type 100 with others: %w", wire.ErrInvalidCommand)
		case t == SnapshotAll:
			for c := uint8(SnapshotFilesystem); c <= SnapshotConfig; c++ {
				want[c] = true
			}
		case t >= SnapshotFilesystem && t <= SnapshotConfig:
			want[t] = true
		default:
			return nil, fmt.Errorf("snapshot type %d: %w", t, wire.ErrInvalidCommand)
		}
	}
	method := zip.Deflate
	if compression == SnapshotStored {
		method = zip.Store
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for c := uint8(SnapshotFilesystem); c <= SnapshotConfig; c++ {
		if !want[c] {
			continue
		}
		name, body := b.diagnostic(c)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: b.now()})
		if err != nil {
			return nil, fmt.Errorf("snapshot: %v: %w", err, wire.ErrSnapshotFileCompletionFailed)
		}
		if _, err := w.Write(body); err != nil {
			return nil, fmt.Errorf("snapshot: %v: %w", err, wire.ErrSnapshotFileCompletionFailed)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("snapshot: %v: %w", err, wire.ErrSnapshotFileCompletionFailed)
	}
	return buf.Bytes(), nil
}

func (b *Broker) diagnostic(c uint8) (string, []byte) {
	switch c {
	case SnapshotFilesystem:
		var sb strings.Builder
		if dir := b.opts.DataDir; dir != "" {
			_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return nil
				}
				if info, err := d.Info(); err == nil {
					fmt.Fprintf(&sb, "%12d %s %s\n", info.Size(), info.ModTime().UTC().Format("2006-01-02T15:04:05Z"), path)
				}
				return nil
			})
		}
		return "filesystem_overview.txt", []byte(sb.String())
	case SnapshotProcesses:
		var sb strings.Builder
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			if comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm")); err == nil {
				fmt.Fprintf(&sb, "%s\t%s", e.Name(), comm)
			}
		}
		return "process_list.txt", []byte(sb.String())
	case SnapshotResources:
		st := b.CollectStats()
		return "resource_usage.txt", fmt.Appendf(nil,
			"pid %d\ncpu %.2f%%\ntotal_cpu %.2f%%\nrss %d\ntotal_memory %d\navailable_memory %d\nfree_disk %d\ntotal_disk %d\n",
			st.ProcessID, st.CPUUsage, st.TotalCPUUsage, st.MemoryUsage, st.TotalMemory, st.AvailableMemory, st.FreeDiskSpace, st.TotalDiskSpace)
	case SnapshotTest:
		return "test.txt", []byte("test\n")
	case SnapshotLogs:
		return "server_logs.txt", []byte("shale logs to stderr through log/slog; collect them from the service manager.\n")
	default:
		var cfg []byte
		if b.opts.Config != nil {
			cfg = b.opts.Config()
		}
		return "server_config.txt", cfg
	}
}
