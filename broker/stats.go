package broker

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/shalemq/shale/wire"
)

// Stats are the GetStats figures (docs/protocol/binary.md §4.1): the codec's type, so the
// listeners encode what the broker gathers without copying it field by
// field. Process figures come from /proc on Linux and are zero where the
// platform has none; the per-partition cache list stays empty.
type Stats = wire.Stats

// Stats gathers the server figures (server read permission).
func (b *Broker) Stats(s *Session) (Stats, error) {
	if err := b.readServers(s); err != nil {
		return Stats{}, err
	}
	return b.CollectStats(), nil
}

// CollectStats gathers the figures without a session, for the dashboard
// and metrics.
func (b *Broker) CollectStats() Stats {
	now := b.now()
	ls := b.log.Stats()
	st := Stats{
		ProcessID:           uint32(os.Getpid()),
		RunTime:             uint64(now.Sub(b.started).Microseconds()),
		StartTime:           uint64(b.started.UnixMicro()),
		MessagesSizeBytes:   ls.Bytes,
		StreamsCount:        uint32(ls.Streams),
		TopicsCount:         uint32(ls.Topics),
		PartitionsCount:     uint32(ls.Partitions),
		SegmentsCount:       uint32(ls.Partitions), // one "segment" per partition, as Iggy counts its active one
		MessagesCount:       ls.Messages,
		ClientsCount:        uint32(b.sessions.count()),
		ConsumerGroupsCount: uint32(ls.Groups),
		ServerVersion:       Version,
		ServerSemver:        VersionSemver,
		ThreadsCount:        uint32(runtime.GOMAXPROCS(0)),
	}
	st.Hostname, _ = os.Hostname()
	st.OSName, st.OSVersion = osRelease()
	st.KernelVersion = kernelVersion()
	st.MemoryUsage = processRSS()
	st.TotalMemory, st.AvailableMemory = memInfo()
	st.ReadBytes, st.WrittenBytes = processIO()
	st.CPUUsage, st.TotalCPUUsage = b.cpu.sample(now)
	if dir := b.opts.DataDir; dir != "" {
		var fs syscall.Statfs_t
		if syscall.Statfs(dir, &fs) == nil {
			st.FreeDiskSpace = fs.Bavail * uint64(fs.Bsize)
			st.TotalDiskSpace = fs.Blocks * uint64(fs.Bsize)
		}
	}
	return st
}

func osRelease() (name, version string) {
	name, version = runtime.GOOS, "unknown"
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return name, version
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"`)
		switch k {
		case "NAME":
			name = v
		case "VERSION_ID":
			version = v
		}
	}
	return name, version
}

func kernelVersion() string {
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		return strings.TrimSpace(string(b))
	}
	return runtime.GOOS
}

// processRSS is the resident set size; without /proc it falls back to the
// Go runtime's view, which undercounts but is never zero.
func processRSS() uint64 {
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		f := strings.Fields(string(b))
		if len(f) > 1 {
			if pages, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				return pages * uint64(os.Getpagesize())
			}
		}
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Sys
}

func memInfo() (total, available uint64) {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseUint(f[1], 10, 64)
		switch f[0] {
		case "MemTotal:":
			total = kb * 1024
		case "MemAvailable:":
			available = kb * 1024
		}
	}
	return total, available
}

func processIO() (read, written uint64) {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		n, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		switch k {
		case "read_bytes":
			read = n
		case "write_bytes":
			written = n
		}
	}
	return read, written
}

// cpuSampler turns cumulative CPU times into percentages between two
// GetStats calls (the first call measures since process start).
type cpuSampler struct {
	mu                  sync.Mutex
	at                  time.Time
	proc, busy, machine uint64 // clock ticks
}

func (c *cpuSampler) sample(now time.Time) (process, total float32) {
	proc, okp := procTicks()
	busy, all, okm := machineTicks()
	c.mu.Lock()
	defer c.mu.Unlock()
	if okp && okm && all > c.machine {
		dAll := float64(all - c.machine)
		ncpu := float64(runtime.NumCPU())
		process = float32(100 * float64(proc-c.proc) / dAll * ncpu)
		total = float32(100 * float64(busy-c.busy) / dAll)
	}
	c.at, c.proc, c.busy, c.machine = now, proc, busy, all
	return process, total
}

func procTicks() (uint64, bool) {
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, false
	}
	// The command name may hold spaces: fields start after the last ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	utime, _ := strconv.ParseUint(f[11], 10, 64)
	stime, _ := strconv.ParseUint(f[12], 10, 64)
	return utime + stime, true
}

func machineTicks() (busy, all uint64, ok bool) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, false
	}
	for i, v := range f[1:] {
		n, _ := strconv.ParseUint(v, 10, 64)
		all += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, all, true
}
