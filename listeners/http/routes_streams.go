package http

import (
	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/wire/rest"
)

// Stream routes.

func (s *Server) streams(c *fiber.Ctx) error {
	list, err := s.b.Streams(session(c))
	if err != nil {
		return err
	}
	out := make([]rest.Stream, 0, len(list))
	for _, st := range list {
		out = append(out, streamOf(st))
	}
	return ok(c, out)
}

func (s *Server) stream(c *fiber.Ctx) error {
	st, found, err := s.b.Stream(session(c), ident(c, "stream_id"))
	if err != nil {
		return err
	}
	if !found {
		return genericNotFound(c)
	}
	d := rest.StreamDetails{Stream: streamOf(st), Topics: []rest.Topic{}}
	for _, t := range st.Topics {
		d.Topics = append(d.Topics, topicOf(t))
	}
	return ok(c, d)
}

func (s *Server) createStream(c *fiber.Ctx) error {
	var req rest.Name
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	st, err := s.b.CreateStream(session(c), req.Name)
	if err != nil {
		return err
	}
	return ok(c, rest.StreamDetails{Stream: streamOf(st), Topics: []rest.Topic{}})
}

func (s *Server) updateStream(c *fiber.Ctx) error {
	var req rest.Name
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	return noContent(c, s.b.UpdateStream(session(c), ident(c, "stream_id"), req.Name))
}

func (s *Server) deleteStream(c *fiber.Ctx) error {
	return noContent(c, s.b.DeleteStream(session(c), ident(c, "stream_id")))
}

func (s *Server) purgeStream(c *fiber.Ctx) error {
	return noContent(c, s.b.PurgeStream(session(c), ident(c, "stream_id")))
}
