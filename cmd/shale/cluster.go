package main

import (
	"strconv"
	"strings"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/config"
)

// boundPorts are the ports the listeners actually bound (0: not bound).
type boundPorts struct{ tcp, quic, http uint16 }

// clusterMetadata is GetClusterMetadata's answer for cfg, as Iggy 0.8.0
// computes it. With [cluster] off: cluster "single-node", one leader
// "iggy-node" at the host of tcp.address (as configured, so 0.0.0.0 stays
// 0.0.0.0). With it on: cluster.name, this node as cluster.node.current
// (a follower when follower is set, else the leader), then every
// cluster.node.others entry in the opposite role. This node's ports are the
// bound ones, else those of the configured addresses; a peer's missing
// port is this node's configured one. shale has no WebSocket listener, so
// its port always comes from websocket.address, as Iggy's does when its
// WebSocket listener is off.
func clusterMetadata(cfg *config.Config, bound boundPorts, follower bool) broker.Cluster {
	tcpPort := addressPort(cfg.TCP.Address)
	quicPort := addressPort(cfg.QUIC.Address)
	httpPort := addressPort(cfg.HTTP.Address)
	wsPort := addressPort(cfg.Websocket.Address)
	current := broker.Node{
		Name: "iggy-node", IP: addressHost(cfg.TCP.Address),
		TCPPort: orPort(bound.tcp, tcpPort), QUICPort: orPort(bound.quic, quicPort),
		HTTPPort: orPort(bound.http, httpPort), WSPort: wsPort,
	}
	c := cfg.Cluster
	if !c.Enabled {
		return broker.Cluster{Name: "single-node", Nodes: []broker.Node{current}}
	}
	current.Name, current.IP, current.Follower = c.Node.Current.Name, c.Node.Current.IP, follower
	nodes := []broker.Node{current}
	for _, p := range c.Node.Others {
		nodes = append(nodes, broker.Node{
			Name: p.Name, IP: p.IP,
			TCPPort: portOr(p.Ports.TCP, tcpPort), QUICPort: portOr(p.Ports.QUIC, quicPort),
			HTTPPort: portOr(p.Ports.HTTP, httpPort), WSPort: portOr(p.Ports.WebSocket, wsPort),
			Follower: !follower,
		})
	}
	return broker.Cluster{Name: c.Name, Nodes: nodes}
}

// addressHost is the host of host:port as Iggy extracts it: without the
// brackets of an IPv6 address, or the whole string without a colon.
func addressHost(addr string) string {
	colon := strings.LastIndexByte(addr, ':')
	if colon < 0 {
		return addr
	}
	if strings.HasPrefix(addr, "[") {
		if end := strings.LastIndexByte(addr, ']'); end > 0 {
			return addr[1:end]
		}
	}
	return addr[:colon]
}

// addressPort is the port of host:port, or 0.
func addressPort(addr string) uint16 {
	colon := strings.LastIndexByte(addr, ':')
	if colon < 0 {
		return 0
	}
	p, err := strconv.ParseUint(addr[colon+1:], 10, 16)
	if err != nil {
		return 0
	}
	return uint16(p)
}

func orPort(bound, configured uint16) uint16 {
	if bound != 0 {
		return bound
	}
	return configured
}

func portOr(p *uint16, fallback uint16) uint16 {
	if p != nil {
		return *p
	}
	return fallback
}
