package http

import (
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/rest"
)

// Consumer-group and consumer-offset routes.

func (s *Server) groups(c *fiber.Ctx) error {
	sid, tid := ident(c, "stream_id"), ident(c, "topic_id")
	list, found, err := s.b.Groups(session(c), sid, tid)
	if err != nil {
		return err
	}
	if !found {
		// Coded 404s here (docs/protocol/http.md §4.8): say which of the two is missing.
		if _, sFound, _ := s.b.Stream(session(c), sid); !sFound {
			return fmt.Errorf("stream %v: %w", c.Params("stream_id"), wire.ErrStreamIDNotFound)
		}
		return fmt.Errorf("topic %v: %w", c.Params("topic_id"), wire.ErrTopicIDNotFound)
	}
	out := make([]rest.Group, 0, len(list))
	for _, g := range list {
		out = append(out, groupDetailsOf(g).Group)
	}
	return ok(c, out)
}

func (s *Server) createGroup(c *fiber.Ctx) error {
	var req rest.Name
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	g, err := s.b.CreateGroup(session(c), ident(c, "stream_id"), ident(c, "topic_id"), req.Name)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(groupDetailsOf(g))
}

func (s *Server) group(c *fiber.Ctx) error {
	g, found, err := s.b.Group(session(c), ident(c, "stream_id"), ident(c, "topic_id"), ident(c, "group_id"))
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("consumer group %v: %w", c.Params("group_id"), wire.ErrConsumerGroupIDNotFound)
	}
	return ok(c, groupDetailsOf(g))
}

func (s *Server) deleteGroup(c *fiber.Ctx) error {
	return noContent(c, s.b.DeleteGroup(session(c), ident(c, "stream_id"), ident(c, "topic_id"), ident(c, "group_id")))
}

// ---- consumer offsets: always a single consumer over HTTP (docs/protocol/http.md §4.9)

// consumerID reads a consumer id that may be a number or a name; empty
// means consumer 1.
func consumerID(v string) broker.Consumer {
	if v == "" {
		return broker.Consumer{ID: broker.ByID(1)}
	}
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		return broker.Consumer{ID: broker.ByID(uint32(n))}
	}
	return broker.Consumer{ID: broker.ByName(v)}
}

func (s *Server) offset(c *fiber.Ctx) error {
	pid, err := queryU32(c, "partition_id", 0, false)
	if err != nil {
		return err
	}
	sid, tid := ident(c, "stream_id"), ident(c, "topic_id")
	off, found, err := s.b.ConsumerOffset(session(c), consumerID(c.Query("consumer_id")), sid, tid, &pid)
	if err != nil {
		if code := wire.CodeOf(err); code == wire.ErrUnauthorized.Code || code == wire.ErrUnauthenticated.Code {
			return err
		}
		return genericNotFound(c)
	}
	if !found {
		if _, tFound, _ := s.b.Topic(session(c), sid, tid); !tFound {
			if _, sFound, _ := s.b.Stream(session(c), sid); !sFound {
				return fmt.Errorf("stream %v: %w", c.Params("stream_id"), wire.ErrStreamIDNotFound)
			}
			return fmt.Errorf("topic %v: %w", c.Params("topic_id"), wire.ErrTopicIDNotFound)
		}
		return genericNotFound(c)
	}
	return ok(c, rest.ConsumerOffset{PartitionID: off.PartitionID, CurrentOffset: off.CurrentOffset, StoredOffset: off.StoredOffset})
}

func (s *Server) storeOffset(c *fiber.Ctx) error {
	var req rest.StoreOffset
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.Offset == nil {
		return unprocessable("missing field `offset`")
	}
	pid := uint32(0)
	if req.PartitionID != nil {
		pid = *req.PartitionID
	}
	return noContent(c, s.b.StoreConsumerOffset(session(c), consumerID(string(req.ConsumerID)),
		ident(c, "stream_id"), ident(c, "topic_id"), &pid, *req.Offset))
}

func (s *Server) deleteOffset(c *fiber.Ctx) error {
	pid, err := queryU32(c, "partition_id", 0, false)
	if err != nil {
		return err
	}
	return noContent(c, s.b.DeleteConsumerOffset(session(c), consumerID(c.Params("consumer_id")),
		ident(c, "stream_id"), ident(c, "topic_id"), &pid))
}
