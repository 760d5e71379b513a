//go:build !linux

package quic

import "net"

// withGRO: UDP receive offload is Linux-only; elsewhere reads stay as
// quic-go does them.
func withGRO(c *net.UDPConn) net.PacketConn { return c }
