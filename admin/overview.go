package admin

import (
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/broker"
)

type overviewData struct {
	Stats       broker.Stats
	Uptime      string
	Version     string
	Durability  string
	DiskUsed    float64
	Conns       []connCount
	FsyncP50    float64
	FsyncP99    float64
	FsyncCount  uint64
	CommitP99   float64
	MsgsIn      float64
	MsgsOut     float64
	RequestsErr float64
	Cluster     *clusterFacts // overview_cluster.go; nil on a single node
}

type connCount struct {
	Transport string
	Count     int
}

func (d *Dashboard) overview(c *fiber.Ctx) error {
	st, err := d.b.Stats(sess(c))
	if err != nil {
		return d.brokerFail(c, err)
	}
	m := gather(d.opts.Gatherer)
	od := overviewData{
		Stats:      st,
		Uptime:     humanDuration(time.Duration(st.RunTime) * time.Microsecond),
		Version:    d.opts.Version,
		Durability: d.opts.Durability,
		DiskUsed:   m.sum("shale_kv_disk_usage_bytes"),
		MsgsIn:     m.sum("shale_messages_in_total"),
		MsgsOut:    m.sum("shale_messages_out_total"),
	}
	od.Cluster = clusterOverview(m)
	od.FsyncCount, _, od.FsyncP50 = m.histogram("shale_kv_wal_fsync_seconds", 0.5)
	_, _, od.FsyncP99 = m.histogram("shale_kv_wal_fsync_seconds", 0.99)
	_, _, od.CommitP99 = m.histogram("shale_kv_commit_seconds", 0.99)
	for t, n := range d.b.Connections() {
		od.Conns = append(od.Conns, connCount{strings.ToUpper(t.String()), n})
	}
	sort.Slice(od.Conns, func(i, j int) bool { return od.Conns[i].Transport > od.Conns[j].Transport })
	return d.render(c, "overview", page{Title: "Overview", Nav: "overview", Data: od})
}

// seriesJSON feeds the overview charts: [times, msgs in, msgs out, bytes
// in, bytes out] per second.
func (d *Dashboard) seriesJSON(c *fiber.Ctx) error {
	if _, err := d.b.Stats(sess(c)); err != nil {
		return c.Status(fiber.StatusForbidden).JSON(fiber.Map{"error": err.Error()})
	}
	return c.JSON(d.series.columns())
}

type healthData struct {
	Groups []healthGroup
	Config string
}

type healthGroup struct {
	Name string
	Rows []healthRow
}

type healthRow struct {
	Group, Name, Value, Hint string
}

func (d *Dashboard) healthPage(c *fiber.Ctx) error {
	if _, err := d.b.Stats(sess(c)); err != nil {
		return d.brokerFail(c, err)
	}
	m := gather(d.opts.Gatherer)
	hits, misses := m.sum("shale_kv_block_cache_hits_total"), m.sum("shale_kv_block_cache_misses_total")
	hitRate := "–"
	if hits+misses > 0 {
		hitRate = humanPct(hits / (hits + misses))
	}
	fsyncN, fsyncSum, p50 := m.histogram("shale_kv_wal_fsync_seconds", 0.5)
	_, _, p99 := m.histogram("shale_kv_wal_fsync_seconds", 0.99)
	commitN, _, c99 := m.histogram("shale_kv_commit_seconds", 0.99)
	mean := 0.0
	if fsyncN > 0 {
		mean = fsyncSum / float64(fsyncN)
	}
	rows := []healthRow{
		{"LSM", "Compactions", humanNum(m.sum("shale_kv_compactions_total")), "since start"},
		{"LSM", "Flushes", humanNum(m.sum("shale_kv_flushes_total")), "memtables written to L0"},
		{"LSM", "L0 files", humanNum(m.sum("shale_kv_l0_files")), "many (>20) means compactions lag and writes will stall"},
		{"LSM", "L0 sublevels", humanNum(m.sum("shale_kv_l0_sublevels")), ""},
		{"LSM", "Read amplification", humanNum(m.sum("shale_kv_read_amplification")), "sorted runs a read may consult"},
		{"LSM", "Write amplification", fmtF(m.sum("shale_kv_write_amplification")), "bytes rewritten per byte flushed"},
		{"LSM", "Sstables", humanNum(m.sum("shale_kv_sstables")), ""},
		{"LSM", "Write stalls", humanNum(m.sum("shale_kv_write_stalls_total")), "should stay 0"},
		{"WAL", "WAL size", humanBytes(m.sum("shale_kv_wal_bytes")), "live files"},
		{"WAL", "WAL files", humanNum(m.sum("shale_kv_wal_files")), ""},
		{"WAL", "WAL bytes written", humanBytes(m.sum("shale_kv_wal_bytes_written_total")), ""},
		{"WAL", "fsyncs", humanNum(float64(fsyncN)), "mean " + humanSeconds(mean) + ", p50 " + humanSeconds(p50) + ", p99 " + humanSeconds(p99)},
		{"WAL", "Commits", humanNum(float64(commitN)), "p99 to durable " + humanSeconds(c99)},
		{"Memory", "Memtables", humanNum(m.sum("shale_kv_memtables")), humanBytes(m.sum("shale_kv_memtable_bytes"))},
		{"Memory", "Block cache hit rate", hitRate, humanNum(hits) + " hits, " + humanNum(misses) + " misses"},
		storageRow(d.b.Health()),
		{"Disk", "Free space", humanBytes(m.sum("shale_storage_free_bytes")), "writes are refused under system.storage.min_free_disk"},
		{"Disk", "Database on disk", humanBytes(m.sum("shale_kv_disk_usage_bytes")), ""},
		{"Disk", "Slow disk operations", humanNum(m.sum("shale_kv_disk_slow_total")), "should stay 0"},
		{"Retention", "Messages deleted", humanNum(m.sum("shale_retention_messages_deleted_total")), humanBytes(m.sum("shale_retention_bytes_deleted_total"))},
		{"Retention", "Held by consumer offsets", humanNum(m.sum("shale_retention_barrier_held_messages")), "at the last sweep"},
	}
	var hd healthData
	for _, r := range rows {
		if n := len(hd.Groups); n == 0 || hd.Groups[n-1].Name != r.Group {
			hd.Groups = append(hd.Groups, healthGroup{Name: r.Group})
		}
		g := &hd.Groups[len(hd.Groups)-1]
		g.Rows = append(g.Rows, r)
	}
	if d.opts.Config != nil {
		hd.Config = string(d.opts.Config())
	}
	return d.render(c, "health", page{Title: "Server health", Nav: "health", Data: hd})
}

type usersData struct {
	Users   []userRow
	Tokens  []broker.TokenInfo
	Clients []clientRow
	Me      uint32
}

type userRow struct {
	broker.User
	Perms string
}

type clientRow struct {
	broker.ClientInfo
	User string
}

func (d *Dashboard) usersPage(c *fiber.Ctx) error {
	s := sess(c)
	ud := usersData{Me: s.UserID()}
	names := map[uint32]string{}
	users, uerr := d.b.ListUsers(s)
	for _, u := range users {
		names[u.ID] = u.Name
		ud.Users = append(ud.Users, userRow{User: u, Perms: permSummary(u)})
	}
	ud.Tokens, _ = d.b.Tokens(s)
	clients, cerr := d.b.Clients(s)
	for _, ci := range clients {
		r := clientRow{ClientInfo: ci, User: names[ci.UserID]}
		if ci.UserID == broker.NoUser {
			r.User = "not signed in"
		}
		ud.Clients = append(ud.Clients, r)
	}
	p := page{Title: "Users & clients", Nav: "users", Data: ud}
	if uerr != nil || cerr != nil {
		p.Problem = "Your user may not read users or clients; some lists are empty."
	}
	return d.render(c, "users", p)
}

func permSummary(u broker.User) string {
	p := u.Permissions
	if p == nil {
		return "none"
	}
	g := p.Global
	var out []string
	flag := func(on bool, s string) {
		if on {
			out = append(out, s)
		}
	}
	flag(g.ManageServers, "manage servers")
	flag(g.ReadServers && !g.ManageServers, "read servers")
	flag(g.ManageUsers, "manage users")
	flag(g.ReadUsers && !g.ManageUsers, "read users")
	flag(g.ManageStreams, "manage streams")
	flag(g.ReadStreams && !g.ManageStreams, "read streams")
	flag(g.ManageTopics, "manage topics")
	flag(g.ReadTopics && !g.ManageTopics, "read topics")
	flag(g.PollMessages, "poll")
	flag(g.SendMessages, "send")
	if n := len(p.Streams); n > 0 {
		out = append(out, humanNum(n)+" stream rules")
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// storageRow says whether the storage accepts writes (GET /health has the
// same; docs/reliability.md, "Disk full and disk faults").
func storageRow(bh broker.Health) healthRow {
	h := bh.Storage
	switch h.Degraded {
	case "":
		return healthRow{"Disk", "Writes", "accepted", ""}
	case "disk_full":
		return healthRow{"Disk", "Writes", "REFUSED: disk full", h.Reason}
	}
	return healthRow{"Disk", "Writes", "REFUSED: storage failed", h.Reason}
}
