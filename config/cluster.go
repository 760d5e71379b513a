package config

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Cluster is Iggy's [cluster] table. Iggy 0.8.0 has no replication: the
// table only changes what GetClusterMetadata answers, and shale answers it
// the same way for the same table.
type Cluster struct {
	Enabled bool        `koanf:"enabled"`
	Name    string      `koanf:"name"`
	Node    ClusterNode `koanf:"node"`
	Raft    ClusterRaft `koanf:"raft"`
}

// ClusterNode is [cluster.node]: this node and the others advertised.
type ClusterNode struct {
	Others  ClusterPeers `koanf:"others"`
	Current CurrentNode  `koanf:"current"`
}

// CurrentNode is [cluster.node.current].
type CurrentNode struct {
	Name string `koanf:"name"`
	IP   string `koanf:"ip"`
}

// ClusterPeers is the [[cluster.node.others]] array of tables.
type ClusterPeers []ClusterPeer

// ClusterPeer is one [[cluster.node.others]] entry. A port left out is
// reported as this server's own configured port, as Iggy does.
type ClusterPeer struct {
	Name  string
	IP    string
	Ports PeerPorts
	// RaftID and RaftAddress are shale's: the peer's raft id and raft
	// transport address ([cluster.raft], docs/cluster.md).
	RaftID      uint64
	RaftAddress string
}

// PeerPorts are a peer's advertised ports; nil means "not given".
type PeerPorts struct {
	TCP, QUIC, HTTP, WebSocket *uint16
}

// Websocket is the [websocket] table. shale has no WebSocket transport;
// only the address is read, because Iggy reports its port in cluster
// metadata whether or not the listener runs.
type Websocket struct {
	Address string `koanf:"address"`
}

var peersType = reflect.TypeFor[ClusterPeers]()

var peerPortNames = []string{"tcp", "quic", "http", "websocket"}

func (p *PeerPorts) slot(name string) **uint16 {
	switch name {
	case "tcp":
		return &p.TCP
	case "quic":
		return &p.QUIC
	case "http":
		return &p.HTTP
	case "websocket":
		return &p.WebSocket
	}
	return nil
}

// parsePeers reads [[cluster.node.others]] from a TOML file (a list of
// tables) or from the collected IGGY_CLUSTER_NODE_OTHERS_<i>_* variables.
func parsePeers(raw any) (ClusterPeers, error) {
	list, ok := raw.([]any)
	if !ok {
		return nil, wrongType(raw, "a list of tables ([[cluster.node.others]])")
	}
	peers := make(ClusterPeers, 0, len(list))
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("entry %d: %w", i, wrongType(e, "a table"))
		}
		var p ClusterPeer
		for k, v := range m {
			var err error
			switch k {
			case "name":
				p.Name, err = peerString(v)
			case "ip":
				p.IP, err = peerString(v)
			case "ports":
				err = p.Ports.parse(v)
			case "raft_id":
				p.RaftID, err = peerUint(v)
			case "raft_address":
				p.RaftAddress, err = peerString(v)
			default:
				err = fmt.Errorf("unknown key %q: want name, ip, ports, raft_id or raft_address", k)
			}
			if err != nil {
				return nil, fmt.Errorf("entry %d: %s: %w", i, k, err)
			}
		}
		peers = append(peers, p)
	}
	return peers, nil
}

func peerString(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	return "", wrongType(v, "a string")
}

func peerUint(v any) (uint64, error) {
	switch x := v.(type) {
	case int64:
		if x >= 0 {
			return uint64(x), nil
		}
	case string:
		if n, err := strconv.ParseUint(strings.TrimSpace(x), 10, 64); err == nil {
			return n, nil
		}
	}
	return 0, wrongType(v, "a whole number ≥ 0")
}

func (p *PeerPorts) parse(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return wrongType(v, "a table such as { tcp = 8091, http = 3001 }")
	}
	for k, raw := range m {
		slot := p.slot(k)
		if slot == nil {
			return fmt.Errorf("unknown port %q: want %s", k, strings.Join(peerPortNames, ", "))
		}
		var n int64
		switch x := raw.(type) {
		case int64:
			n = x
		case string:
			var err error
			if n, err = strconv.ParseInt(strings.TrimSpace(x), 10, 64); err != nil {
				return fmt.Errorf("%s: %q is not a port number", k, x)
			}
		default:
			return fmt.Errorf("%s: %w", k, wrongType(raw, "a port number"))
		}
		if n < 0 || n > math.MaxUint16 {
			return fmt.Errorf("%s: port %d is out of range 1-65535", k, n)
		}
		port := uint16(n)
		*slot = &port
	}
	return nil
}

// tomlPeers renders the peers as an inline array Load reads back.
func tomlPeers(peers ClusterPeers) string {
	items := make([]string, len(peers))
	for i, p := range peers {
		var ports []string
		for _, name := range peerPortNames {
			if v := *p.Ports.slot(name); v != nil {
				ports = append(ports, fmt.Sprintf("%s = %d", name, *v))
			}
		}
		raft := ""
		if p.RaftID != 0 || p.RaftAddress != "" {
			raft = fmt.Sprintf(", raft_id = %d, raft_address = %s", p.RaftID, tomlString(p.RaftAddress))
		}
		items[i] = fmt.Sprintf("{ name = %s, ip = %s, ports = { %s }%s }", tomlString(p.Name), tomlString(p.IP), strings.Join(ports, ", "), raft)
	}
	return "[" + strings.Join(items, ", ") + "]"
}

// peerEnv matches Iggy's indexed variables for the peers, such as
// CLUSTER_NODE_OTHERS_0_PORTS_TCP (after the prefix; indexes 0-9).
var peerEnv = regexp.MustCompile(`^CLUSTER_NODE_OTHERS_([0-9])_(NAME|IP|PORTS_TCP|PORTS_QUIC|PORTS_HTTP|PORTS_WEBSOCKET|RAFT_ID|RAFT_ADDRESS)$`)

// peerVars collects IGGY_/SHALE_CLUSTER_NODE_OTHERS_<i>_* values; as in
// Iggy, setting any of them replaces the whole list from the file.
type peerVars map[int]map[string]any

func (pv peerVars) set(i int, field, value string) {
	if pv[i] == nil {
		pv[i] = map[string]any{}
	}
	if port, ok := strings.CutPrefix(field, "PORTS_"); ok {
		ports, _ := pv[i]["ports"].(map[string]any)
		if ports == nil {
			ports = map[string]any{}
			pv[i]["ports"] = ports
		}
		ports[strings.ToLower(port)] = value
		return
	}
	pv[i][strings.ToLower(field)] = value
}

// ClusterRaft is [cluster.raft], shale's own: replication of this node's
// database with raft (docs/cluster.md). Off by default; it needs
// cluster.enabled and a raft_id and raft_address on every other node.
type ClusterRaft struct {
	Enabled        bool     `koanf:"enabled"`
	NodeID         int      `koanf:"node_id"`
	Address        string   `koanf:"address"`
	Tick           Duration `koanf:"tick"`
	ElectionTicks  int      `koanf:"election_ticks"`
	HeartbeatTicks int      `koanf:"heartbeat_ticks"`
	TLS            RaftTLS  `koanf:"tls"`
}

// RaftTLS is [cluster.raft.tls]: mutual TLS between the nodes' raft
// transports, every node's certificate signed by CAFile.
type RaftTLS struct {
	Enabled  bool   `koanf:"enabled"`
	CertFile string `koanf:"cert_file"`
	KeyFile  string `koanf:"key_file"`
	CAFile   string `koanf:"ca_file"`
}

// raft checks [cluster.raft] when it is on.
func (v *validator) raft(c *Cluster, durability string) {
	r := c.Raft
	if !r.Enabled {
		return
	}
	v.check(c.Enabled, "cluster.raft.enabled", "needs cluster.enabled = true")
	v.check(r.NodeID >= 1, "cluster.raft.node_id", "must be at least 1")
	v.address("cluster.raft.address", r.Address)
	v.check(r.Tick > 0, "cluster.raft.tick", "must be more than 0")
	v.check(r.HeartbeatTicks >= 1, "cluster.raft.heartbeat_ticks", "must be at least 1, got %d", r.HeartbeatTicks)
	v.check(r.ElectionTicks > r.HeartbeatTicks, "cluster.raft.election_ticks", "must be more than heartbeat_ticks (%d), got %d", r.HeartbeatTicks, r.ElectionTicks)
	if r.TLS.Enabled {
		v.check(r.TLS.CertFile != "" && r.TLS.KeyFile != "" && r.TLS.CAFile != "", "cluster.raft.tls",
			"needs cert_file, key_file and ca_file while enabled")
	}
	v.check(durability == DurabilitySync, "cluster.raft.enabled", "needs system.durability.mode = %q: an acknowledged write must be on disk on a quorum", DurabilitySync)
	ids := map[uint64]bool{uint64(max(r.NodeID, 0)): true}
	for i, p := range c.Node.Others {
		key := fmt.Sprintf("cluster.node.others[%d]", i)
		if v.check(p.RaftID >= 1, key+".raft_id", "must be at least 1 while cluster.raft.enabled") {
			v.check(!ids[p.RaftID], key+".raft_id", "%d is already another node's raft id", p.RaftID)
			ids[p.RaftID] = true
		}
		v.check(strings.TrimSpace(p.RaftAddress) != "", key+".raft_address", "must not be empty while cluster.raft.enabled")
	}
}

func (pv peerVars) list() []any {
	idx := make([]int, 0, len(pv))
	for i := range pv {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	out := make([]any, len(idx))
	for n, i := range idx {
		out[n] = pv[i]
	}
	return out
}

// cluster checks [cluster] as Iggy does, when enabled: non-empty cluster and
// node names, non-empty peer IPs (Iggy does not check this node's), unique
// node names, and no zero or repeated port per peer address and transport.
func (v *validator) cluster(c *Cluster) {
	if !c.Enabled {
		return
	}
	v.check(strings.TrimSpace(c.Name) != "", "cluster.name", "must not be empty while cluster.enabled")
	v.check(strings.TrimSpace(c.Node.Current.Name) != "", "cluster.node.current.name", "must not be empty while cluster.enabled")
	names := map[string]bool{c.Node.Current.Name: true}
	used := map[string]bool{}
	for i, p := range c.Node.Others {
		key := fmt.Sprintf("cluster.node.others[%d]", i)
		v.check(strings.TrimSpace(p.Name) != "", key+".name", "must not be empty")
		v.check(!names[p.Name] || p.Name == "", key+".name", "%q is already the name of another node", p.Name)
		names[p.Name] = true
		v.check(strings.TrimSpace(p.IP) != "", key+".ip", "must not be empty")
		for _, name := range peerPortNames {
			port := *p.Ports.slot(name)
			if port == nil {
				continue
			}
			v.check(*port != 0, key+".ports."+name, "must not be 0")
			endpoint := p.IP + "/" + name + "/" + strconv.Itoa(int(*port))
			v.check(!used[endpoint] || *port == 0, key+".ports."+name, "%s port %d on %s is already another node's", name, *port, p.IP)
			used[endpoint] = true
		}
	}
}
