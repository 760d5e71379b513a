package http

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/rest"
)

// Topic, partition and segment routes.

func (s *Server) topics(c *fiber.Ctx) error {
	list, found, err := s.b.Topics(session(c), ident(c, "stream_id"))
	if err != nil {
		return err
	}
	if !found {
		return genericNotFound(c)
	}
	out := make([]rest.Topic, 0, len(list))
	for _, t := range list {
		out = append(out, topicOf(t))
	}
	return ok(c, out)
}

func (s *Server) topic(c *fiber.Ctx) error {
	t, found, err := s.b.Topic(session(c), ident(c, "stream_id"), ident(c, "topic_id"))
	if err != nil {
		return err
	}
	if !found {
		return genericNotFound(c)
	}
	return ok(c, topicDetailsOf(t))
}

// topicSpec validates a topic body; partitions_count is required on create
// only.
func topicSpec(t *rest.TopicRequest, create bool) (broker.TopicSpec, error) {
	if t.CompressionAlgorithm == nil || t.MessageExpiry == nil || t.MaxTopicSize == nil || (create && t.PartitionsCount == nil) {
		return broker.TopicSpec{}, unprocessable("missing a required field")
	}
	comp, known := wire.ParseCompression(*t.CompressionAlgorithm)
	if !known {
		return broker.TopicSpec{}, unprocessable("unknown compression algorithm " + strconv.Quote(*t.CompressionAlgorithm))
	}
	spec := broker.TopicSpec{Name: t.Name, Compression: comp, MessageExpiry: *t.MessageExpiry, MaxTopicSize: *t.MaxTopicSize}
	if t.PartitionsCount != nil {
		spec.PartitionsCount = *t.PartitionsCount
	}
	if t.ReplicationFactor != nil {
		if *t.ReplicationFactor == 0 {
			return broker.TopicSpec{}, fmt.Errorf("replication factor 0: %w", wire.ErrInvalidReplicationFactor)
		}
		spec.ReplicationFactor = *t.ReplicationFactor
	}
	return spec, nil
}

func (s *Server) createTopic(c *fiber.Ctx) error {
	var req rest.TopicRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	spec, err := topicSpec(&req, true)
	if err != nil {
		return err
	}
	t, err := s.b.CreateTopic(session(c), ident(c, "stream_id"), spec)
	if errors.Is(err, wire.ErrStreamIDNotFound) || errors.Is(err, wire.ErrStreamNameNotFound) {
		return genericNotFound(c)
	}
	if err != nil {
		return err
	}
	return ok(c, topicDetailsOf(t))
}

func (s *Server) updateTopic(c *fiber.Ctx) error {
	var req rest.TopicRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	spec, err := topicSpec(&req, false)
	if err != nil {
		return err
	}
	return noContent(c, s.b.UpdateTopic(session(c), ident(c, "stream_id"), ident(c, "topic_id"), spec))
}

func (s *Server) deleteTopic(c *fiber.Ctx) error {
	return noContent(c, s.b.DeleteTopic(session(c), ident(c, "stream_id"), ident(c, "topic_id")))
}

func (s *Server) purgeTopic(c *fiber.Ctx) error {
	return noContent(c, s.b.PurgeTopic(session(c), ident(c, "stream_id"), ident(c, "topic_id")))
}

func (s *Server) createPartitions(c *fiber.Ctx) error {
	var req rest.CreatePartitions
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.PartitionsCount == nil {
		return unprocessable("missing field `partitions_count`")
	}
	if err := s.b.CreatePartitions(session(c), ident(c, "stream_id"), ident(c, "topic_id"), *req.PartitionsCount); err != nil {
		return err
	}
	return empty(c, fiber.StatusCreated)
}

func (s *Server) deletePartitions(c *fiber.Ctx) error {
	n, err := queryU32(c, "partitions_count", 0, true)
	if err != nil {
		return err
	}
	if n == 0 || n > wire.MaxPartitionsPerRequest {
		return fmt.Errorf("%d partitions: %w", n, wire.ErrTooManyPartitions)
	}
	return noContent(c, s.b.DeletePartitions(session(c), ident(c, "stream_id"), ident(c, "topic_id"), n))
}

func (s *Server) deleteSegments(c *fiber.Ctx) error {
	pid, err := pathU32(c, "partition_id")
	if err != nil {
		return err
	}
	n, err := queryU32(c, "segments_count", 0, true)
	if err != nil {
		return err
	}
	return noContent(c, s.b.DeleteSegments(session(c), ident(c, "stream_id"), ident(c, "topic_id"), pid, n))
}
