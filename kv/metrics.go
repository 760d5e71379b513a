package kv

import (
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics holds kv's Prometheus collectors. Pebble's own figures are read on
// scrape from DB.Metrics; commit latency is observed on the write path.
type metrics struct {
	db *DB

	commitLatency prometheus.Histogram // Commit → durable
	fsyncLatency  prometheus.Histogram // interval mode: one WAL sync
	writeStalls   prometheus.Counter
	diskSlow      prometheus.Counter

	diskUsage  *prometheus.Desc
	walBytes   *prometheus.Desc
	compacted  *prometheus.Desc
	memtable   *prometheus.Desc
	readAmp    *prometheus.Desc
	cacheHits  *prometheus.Desc
	cacheMiss  *prometheus.Desc
	tableCount *prometheus.Desc
}

var latencyBuckets = prometheus.ExponentialBuckets(0.00005, 2, 18) // 50µs … ~6.5s

func newMetrics(db *DB) *metrics {
	return &metrics{
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
		diskUsage:  prometheus.NewDesc("shale_kv_disk_usage_bytes", "Bytes the database occupies on disk.", nil, nil),
		walBytes:   prometheus.NewDesc("shale_kv_wal_bytes_written_total", "Bytes written to the WAL.", nil, nil),
		compacted:  prometheus.NewDesc("shale_kv_compaction_bytes_written_total", "Bytes written by compactions and flushes.", nil, nil),
		memtable:   prometheus.NewDesc("shale_kv_memtable_bytes", "Bytes held in memtables.", nil, nil),
		readAmp:    prometheus.NewDesc("shale_kv_read_amplification", "Sorted runs a point read may have to consult.", nil, nil),
		cacheHits:  prometheus.NewDesc("shale_kv_block_cache_hits_total", "Block cache hits.", nil, nil),
		cacheMiss:  prometheus.NewDesc("shale_kv_block_cache_misses_total", "Block cache misses.", nil, nil),
		tableCount: prometheus.NewDesc("shale_kv_sstables", "Number of sstables.", nil, nil),
	}
}

func (m *metrics) observeCommit(d time.Duration) { m.commitLatency.Observe(d.Seconds()) }
func (m *metrics) observeFsync(d time.Duration)  { m.fsyncLatency.Observe(d.Seconds()) }

func (m *metrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.commitLatency, m.fsyncLatency, m.writeStalls, m.diskSlow, m} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (m *metrics) unregister(r prometheus.Registerer) {
	for _, c := range []prometheus.Collector{m.commitLatency, m.fsyncLatency, m.writeStalls, m.diskSlow, m} {
		r.Unregister(c)
	}
}

// Describe implements prometheus.Collector for the figures read from Pebble.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.diskUsage, m.walBytes, m.compacted, m.memtable, m.readAmp, m.cacheHits, m.cacheMiss, m.tableCount} {
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
