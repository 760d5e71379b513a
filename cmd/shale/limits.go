package main

import (
	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/config"
)

// brokerLimits maps [limits] and tcp.max_connections onto the broker's
// connection, request-memory and poll answer limits.
func brokerLimits(cfg *config.Config) broker.Limits {
	l := cfg.Limits
	return broker.Limits{
		MaxConnections: map[broker.Transport]int{
			broker.TransportTCP:  cfg.TCP.MaxConnections,
			broker.TransportQUIC: l.QUIC.MaxConnections,
			broker.TransportHTTP: l.HTTP.MaxConnections,
		},
		MaxConnectionsPerAddress: l.MaxConnectionsPerAddress,
		RequestMemory:            int64(min(uint64(l.RequestMemory), 1<<62)),
		RequestMemoryWait:        l.RequestMemoryWait.Std(),
		PollAnswerBytes:          int(l.PollAnswerBytes), // at most 1 GiB (config/limits.go)
	}
}
