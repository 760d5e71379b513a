package http

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/rest"
)

// System routes: stats, cluster metadata, clients, snapshot.

func (s *Server) stats(c *fiber.Ctx) error {
	st, err := s.b.Stats(session(c))
	if err != nil {
		return err
	}
	out := rest.StatsOf(st)
	out.ShaleVersion, out.ShaleCommit = broker.ShaleVersion(), broker.ShaleCommit()
	return ok(c, out)
}

func (s *Server) clusterMetadata(c *fiber.Ctx) error {
	cl, err := s.b.ClusterMetadata(session(c))
	if err != nil {
		return err
	}
	md := rest.ClusterMetadata{Name: cl.Name, Nodes: make([]rest.ClusterNode, len(cl.Nodes))}
	for i, n := range cl.Nodes {
		role := "leader"
		if n.Follower {
			role = "follower"
		}
		md.Nodes[i] = rest.ClusterNode{Name: n.Name, IP: n.IP, Role: role, Status: wire.NodeStatusName(n.Status),
			Endpoints: rest.Endpoints{TCP: n.TCPPort, QUIC: n.QUICPort, HTTP: n.HTTPPort, WebSocket: n.WSPort}}
	}
	return ok(c, md)
}

func (s *Server) clients(c *fiber.Ctx) error {
	list, err := s.b.Clients(session(c))
	if err != nil {
		return err
	}
	out := make([]rest.Client, 0, len(list))
	for _, cl := range list {
		out = append(out, clientOf(cl).Client)
	}
	return ok(c, out)
}

func (s *Server) client(c *fiber.Ctx) error {
	id, err := pathU32(c, "client_id")
	if err != nil {
		return err
	}
	cl, found, err := s.b.Client(session(c), id)
	if err != nil {
		return err
	}
	if !found {
		return genericNotFound(c)
	}
	return ok(c, clientOf(cl))
}

func (s *Server) snapshot(c *fiber.Ctx) error {
	var req rest.Snapshot
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	comp, known := wire.ParseSnapshotCompression(req.Compression)
	if !known {
		return unprocessable("unknown compression " + strconv.Quote(req.Compression))
	}
	var types []uint8
	for _, t := range req.SnapshotTypes {
		code, known := wire.ParseSnapshotType(t)
		if !known {
			return unprocessable("unknown snapshot type " + strconv.Quote(t))
		}
		types = append(types, code)
	}
	zip, err := s.b.Snapshot(session(c), comp, types)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="iggy_snapshot_`+time.Now().Format("20060102_150405")+`.zip"`)
	return c.Send(zip)
}
