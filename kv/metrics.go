package kv

import (
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// metrics holds kv's Prometheus collectors. Pebble's own figures are read on
// scrape from DB.Metrics; commit latency is observed on the write path.
type metrics struct {
	db *DB

	commitLatency prometheus.Histogram // Commit → durable
	fsyncLatency  prometheus.Histogram // interval mode: one WAL sync
	writeStalls   prometheus.Counter
	diskSlow      prometheus.Counter
	writeErrors   *prometheus.CounterVec // by reason: disk_full, failed

	degraded  *prometheus.Desc
	freeBytes *prometheus.Desc

	diskUsage  *prometheus.Desc
	walBytes   *prometheus.Desc
	compacted  *prometheus.Desc
	memtable   *prometheus.Desc
	readAmp    *prometheus.Desc
	cacheHits  *prometheus.Desc
	cacheMiss  *prometheus.Desc
	tableCount *prometheus.Desc

	// Figures an operator needs to judge Pebble's health (the dashboard's
	// Server health page reads them from the registry too).
	compactions *prometheus.Desc
	flushes     *prometheus.Desc
	l0Files     *prometheus.Desc
	l0Sublevels *prometheus.Desc
	writeAmp    *prometheus.Desc
	walSize     *prometheus.Desc
	walFiles    *prometheus.Desc
	memtables   *prometheus.Desc
	walFsync    *prometheus.Desc
}

var latencyBuckets = prometheus.ExponentialBuckets(0.00005, 2, 18) // 50µs … ~6.5s

func newMetrics(db *DB) *metrics {
	m := &metrics{
		db: db,
		commitLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "shale_kv_commit_seconds",
			Help:    "Time from commit to durable (includes the WAL fsync in sync mode).",
			Buckets: latencyBuckets,
		}),
		fsyncLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "shale_kv_wal_sync_seconds",
			Help:    "Duration of one periodic WAL fsync in interval durability mode.",
			Buckets: latencyBuckets,
		}),
		writeStalls: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shale_kv_write_stalls_total",
			Help: "Times Pebble stalled writes because compactions fell behind.",
		}),
		diskSlow: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shale_kv_disk_slow_total",
			Help: "Disk operations Pebble reported as slow.",
		}),
		writeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shale_storage_write_errors_total",
			Help: "Commits refused or failed: disk_full (refused under the free-space reserve, nothing written), failed (a WAL write or sync failed, or refused after one).",
		}, []string{"reason"}),
		degraded: prometheus.NewDesc("shale_storage_degraded",
			"1 while writes are refused for the reason: disk_full (until space returns) or failed (until restart).", []string{"reason"}, nil),
		freeBytes: prometheus.NewDesc("shale_storage_free_bytes",
			"Free bytes of the filesystem holding the database (only while system.storage.min_free_disk is set).", nil, nil),
		diskUsage:  prometheus.NewDesc("shale_kv_disk_usage_bytes", "Bytes the database occupies on disk.", nil, nil),
		walBytes:   prometheus.NewDesc("shale_kv_wal_bytes_written_total", "Bytes written to the WAL.", nil, nil),
		compacted:  prometheus.NewDesc("shale_kv_compaction_bytes_written_total", "Bytes written by compactions and flushes.", nil, nil),
		memtable:   prometheus.NewDesc("shale_kv_memtable_bytes", "Bytes held in memtables.", nil, nil),
		readAmp:    prometheus.NewDesc("shale_kv_read_amplification", "Sorted runs a point read may have to consult.", nil, nil),
		cacheHits:  prometheus.NewDesc("shale_kv_block_cache_hits_total", "Block cache hits.", nil, nil),
		cacheMiss:  prometheus.NewDesc("shale_kv_block_cache_misses_total", "Block cache misses.", nil, nil),
		tableCount: prometheus.NewDesc("shale_kv_sstables", "Number of sstables.", nil, nil),

		compactions: prometheus.NewDesc("shale_kv_compactions_total", "Compactions Pebble has run.", nil, nil),
		flushes:     prometheus.NewDesc("shale_kv_flushes_total", "Memtable flushes Pebble has run.", nil, nil),
		l0Files:     prometheus.NewDesc("shale_kv_l0_files", "Sstables in level 0 (many means compactions lag behind).", nil, nil),
		l0Sublevels: prometheus.NewDesc("shale_kv_l0_sublevels", "Sublevels in level 0.", nil, nil),
		writeAmp:    prometheus.NewDesc("shale_kv_write_amplification", "Bytes written by flushes and compactions per byte flushed in.", nil, nil),
		walSize:     prometheus.NewDesc("shale_kv_wal_bytes", "Physical size of the live WAL files.", nil, nil),
		walFiles:    prometheus.NewDesc("shale_kv_wal_files", "Live WAL files.", nil, nil),
		memtables:   prometheus.NewDesc("shale_kv_memtables", "Memtables, the mutable one included.", nil, nil),
		walFsync:    prometheus.NewDesc("shale_kv_wal_fsync_seconds", "Latency of Pebble's WAL fsyncs (every durability mode).", nil, nil),
	}
	for _, reason := range []string{"disk_full", "failed"} {
		m.writeErrors.WithLabelValues(reason) // present at 0 from the start
	}
	return m
}

func (m *metrics) observeCommit(d time.Duration) { m.commitLatency.Observe(d.Seconds()) }
func (m *metrics) observeFsync(d time.Duration)  { m.fsyncLatency.Observe(d.Seconds()) }

func (m *metrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.commitLatency, m.fsyncLatency, m.writeStalls, m.diskSlow, m.writeErrors, m} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (m *metrics) unregister(r prometheus.Registerer) {
	for _, c := range []prometheus.Collector{m.commitLatency, m.fsyncLatency, m.writeStalls, m.diskSlow, m.writeErrors, m} {
		r.Unregister(c)
	}
}

// Describe implements prometheus.Collector for the figures read from Pebble.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.diskUsage, m.walBytes, m.compacted, m.memtable, m.readAmp, m.cacheHits, m.cacheMiss, m.tableCount,
		m.compactions, m.flushes, m.l0Files, m.l0Sublevels, m.writeAmp, m.walSize, m.walFiles, m.memtables, m.walFsync,
		m.degraded, m.freeBytes} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	if err := m.db.acquire(); err != nil {
		return
	}
	pm := m.db.pdb.Metrics()
	m.db.release()
	h := m.db.Health()
	for _, reason := range []string{"disk_full", "failed"} {
		v := 0.0
		if (reason == "disk_full" && h.DiskFull) || (reason == "failed" && h.Failed != nil) {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(m.degraded, prometheus.GaugeValue, v, reason)
	}
	if h.ReserveBytes > 0 {
		ch <- prometheus.MustNewConstMetric(m.freeBytes, prometheus.GaugeValue, float64(h.FreeBytes))
	}
	total := pm.Total()
	var tables int64
	for _, l := range pm.Levels {
		tables += l.TablesCount
	}
	ch <- prometheus.MustNewConstMetric(m.diskUsage, prometheus.GaugeValue, float64(pm.DiskSpaceUsage()))
	ch <- prometheus.MustNewConstMetric(m.walBytes, prometheus.CounterValue, float64(pm.WAL.BytesWritten))
	ch <- prometheus.MustNewConstMetric(m.compacted, prometheus.CounterValue, float64(total.TableBytesFlushed+total.TableBytesCompacted))
	ch <- prometheus.MustNewConstMetric(m.memtable, prometheus.GaugeValue, float64(pm.MemTable.Size))
	ch <- prometheus.MustNewConstMetric(m.readAmp, prometheus.GaugeValue, float64(pm.ReadAmp()))
	ch <- prometheus.MustNewConstMetric(m.cacheHits, prometheus.CounterValue, float64(pm.BlockCache.Hits))
	ch <- prometheus.MustNewConstMetric(m.cacheMiss, prometheus.CounterValue, float64(pm.BlockCache.Misses))
	ch <- prometheus.MustNewConstMetric(m.tableCount, prometheus.GaugeValue, float64(tables))
	ch <- prometheus.MustNewConstMetric(m.compactions, prometheus.CounterValue, float64(pm.Compact.Count))
	ch <- prometheus.MustNewConstMetric(m.flushes, prometheus.CounterValue, float64(pm.Flush.Count))
	ch <- prometheus.MustNewConstMetric(m.l0Files, prometheus.GaugeValue, float64(pm.Levels[0].TablesCount))
	ch <- prometheus.MustNewConstMetric(m.l0Sublevels, prometheus.GaugeValue, float64(pm.Levels[0].Sublevels))
	ch <- prometheus.MustNewConstMetric(m.writeAmp, prometheus.GaugeValue, total.WriteAmp())
	ch <- prometheus.MustNewConstMetric(m.walSize, prometheus.GaugeValue, float64(max(pm.WAL.PhysicalSize, pm.WAL.Size)))
	ch <- prometheus.MustNewConstMetric(m.walFiles, prometheus.GaugeValue, float64(pm.WAL.Files))
	ch <- prometheus.MustNewConstMetric(m.memtables, prometheus.GaugeValue, float64(pm.MemTable.Count))
	if h := pm.LogWriter.FsyncLatency; h != nil {
		// Pebble keeps this histogram unregistered; re-emit its buckets
		// under our name.
		var d dto.Metric
		if h.Write(&d) == nil && d.Histogram != nil {
			if c, err := prometheus.NewConstHistogram(m.walFsync, d.Histogram.GetSampleCount(),
				d.Histogram.GetSampleSum()/1e9, rebucket(d.Histogram.Bucket)); err == nil {
				ch <- c
			}
		}
	}
}

// rebucket folds Pebble's fsync histogram (about 100 buckets in
// nanoseconds) into latencyBuckets in seconds: each of our bounds gets the
// cumulative count of Pebble's largest bound not above it, so counts are
// never overstated.
func rebucket(in []*dto.Bucket) map[float64]uint64 {
	out := make(map[float64]uint64, len(latencyBuckets))
	for _, ub := range latencyBuckets {
		var n uint64
		for _, b := range in {
			if b.GetUpperBound()/1e9 <= ub {
				n = b.GetCumulativeCount()
			}
		}
		out[ub] = n
	}
	return out
}

// eventListener turns Pebble's events into logs and counters.
func (db *DB) eventListener() *pebble.EventListener {
	return &pebble.EventListener{
		BackgroundError: func(err error) { db.log.Error("background storage error", "err", err) },
		WriteStallBegin: func(info pebble.WriteStallBeginInfo) {
			db.metrics.writeStalls.Inc()
			db.log.Warn("write stall", "reason", info.Reason)
		},
		DiskSlow: func(info pebble.DiskSlowInfo) {
			db.metrics.diskSlow.Inc()
			db.log.Warn("slow disk", "path", info.Path, "op", info.OpType.String(), "duration", info.Duration)
		},
	}
}
