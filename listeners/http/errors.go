package http

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/rest"
)

// notFound is the generic 404 some read routes answer instead of the
// domain error.
var notFound = rest.Error{ID: 404, Code: "not_found", Reason: "Resource not found"}

// plainError is a framework-level failure: a status and a text body.
type plainError struct {
	status int
	text   string
}

func (e *plainError) Error() string { return e.text }

func badRequest(prefix string, err error) error {
	return &plainError{status: fiber.StatusBadRequest, text: prefix + err.Error()}
}

func unprocessable(msg string) error {
	return &plainError{status: fiber.StatusUnprocessableEntity,
		text: "Failed to deserialize the JSON body into the target type: " + msg}
}

// statusOf maps a domain error to its HTTP status (docs/protocol/http.md §1.5).
func statusOf(code uint32) int {
	switch code {
	case wire.ErrStreamIDNotFound.Code, wire.ErrTopicIDNotFound.Code, wire.ErrPartitionNotFound.Code,
		wire.ErrSegmentNotFound.Code, wire.ErrClientNotFound.Code, wire.ErrConsumerGroupIDNotFound.Code,
		wire.ErrConsumerGroupNameNotFound.Code, wire.ErrConsumerGroupMemberNotFound.Code,
		wire.ErrConsumerOffsetNotFound.Code, wire.ErrResourceNotFound.Code,
		wire.ErrStreamNameNotFound.Code, wire.ErrTopicNameNotFound.Code:
		return fiber.StatusNotFound
	case wire.ErrUnauthenticated.Code, wire.ErrAccessTokenMissing.Code, wire.ErrInvalidAccessToken.Code,
		wire.ErrInvalidPersonalAccessToken.Code:
		return fiber.StatusUnauthorized
	case wire.ErrUnauthorized.Code:
		return fiber.StatusForbidden
	}
	return fiber.StatusBadRequest
}

// fieldOf names the request field an error refers to, as Iggy does.
func fieldOf(code uint32) *string {
	var f string
	switch code {
	case wire.ErrStreamIDNotFound.Code, wire.ErrInvalidStreamID.Code, wire.ErrStreamNameNotFound.Code:
		f = "stream_id"
	case wire.ErrTopicIDNotFound.Code, wire.ErrInvalidTopicID.Code, wire.ErrTopicNameNotFound.Code:
		f = "topic_id"
	case wire.ErrPartitionNotFound.Code:
		f = "partition_id"
	case wire.ErrSegmentNotFound.Code:
		f = "segment_id"
	case wire.ErrClientNotFound.Code:
		f = "client_id"
	case wire.ErrInvalidStreamName.Code, wire.ErrStreamNameAlreadyExists.Code, wire.ErrInvalidTopicName.Code,
		wire.ErrTopicNameAlreadyExists.Code, wire.ErrConsumerGroupNameAlreadyExists.Code,
		wire.ErrPersonalAccessTokenAlreadyExists.Code:
		f = "name"
	case wire.ErrInvalidOffset.Code:
		f = "offset"
	case wire.ErrInvalidConsumerGroupID.Code:
		f = "consumer_group_id"
	case wire.ErrUserAlreadyExists.Code:
		f = "username"
	default:
		return nil
	}
	return &f
}

// errorHandler answers every error a handler returns.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	var pe *plainError
	if errors.As(err, &pe) {
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Status(pe.status).SendString(pe.text)
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		// Fiber's own: 413 body limit, 404/405 routing.
		if fe.Code == fiber.StatusNotFound || fe.Code == fiber.StatusMethodNotAllowed {
			return empty(c, fe.Code)
		}
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Status(fe.Code).SendString(fe.Message)
	}
	code := wire.CodeOf(err)
	we := wire.ErrorForCode(code)
	if code == wire.ErrDisconnected.Code {
		// The server is shutting down, or, in a cluster, this node cannot
		// serve the request (a follower's write, an offset read it cannot
		// confirm, docs/cluster.md): not the request's fault either.
		reason := "the server is shutting down"
		if err != wire.ErrDisconnected {
			reason = "this node cannot serve the request now: it is shutting down, or it is not the cluster leader (see GET /cluster/metadata)"
		}
		return c.Status(fiber.StatusServiceUnavailable).JSON(rest.Error{ID: code, Code: we.Name, Reason: reason})
	}
	if reason, ok := storageReasons[code]; ok {
		// The storage refused the write (routes_health.go).
		return c.Status(fiber.StatusInsufficientStorage).JSON(rest.Error{ID: code, Code: we.Name, Reason: reason})
	}
	if code == wire.ErrError.Code || code == wire.ErrSnapshotFileCompletionFailed.Code {
		// A failure of ours, not of the request: log the cause, answer
		// 500 without it (docs/compatibility.md).
		s.opts.Logger.Error("http request failed", "method", c.Method(), "path", c.Path(), "err", err)
		return c.Status(fiber.StatusInternalServerError).JSON(rest.Error{ID: code, Code: we.Name, Reason: "internal error"})
	}
	reason := err.Error()
	if reason == we.Name {
		reason = strings.ReplaceAll(we.Name, "_", " ")
	}
	if code == wire.ErrUnauthorized.Code {
		// "create stream: unauthorized" says less than it should to a
		// person reading a 403.
		what := strings.TrimSuffix(reason, ": "+we.Name)
		if strings.Contains(what, "no longer exists") {
			reason = "permission denied: " + what
		} else {
			reason = "permission denied: the user's permissions do not allow " + what
		}
	}
	return c.Status(statusOf(code)).JSON(rest.Error{ID: code, Code: we.Name, Reason: reason, Field: fieldOf(code)})
}

// genericNotFound answers the fixed not_found body.
func genericNotFound(c *fiber.Ctx) error {
	return c.Status(fiber.StatusNotFound).JSON(notFound)
}

// empty answers a status with no body (Fiber's SendStatus would write the
// status text).
func empty(c *fiber.Ctx, status int) error {
	c.Status(status)
	c.Response().ResetBody()
	return nil
}
