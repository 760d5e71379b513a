package http

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/broker"
)

func (s *Server) routes() {
	a := identRouter{s.app} // jsonshape.go
	s.app.Use(s.noTrailingSlash)
	// The public routes, the only ones that need no token (the binary
	// protocol's public commands are marked in its command table).
	s.public(fiber.MethodGet, "/", func(c *fiber.Ctx) error { return c.SendString("Iggy API") })
	s.public(fiber.MethodGet, "/ping", func(c *fiber.Ctx) error { return c.SendString("pong") })
	s.public(fiber.MethodGet, "/health", s.health) // a shale addition (routes_health.go)
	s.public(fiber.MethodPost, "/users/login", s.login)
	s.public(fiber.MethodPost, "/users/refresh-token", s.refresh)
	s.public(fiber.MethodPost, "/personal-access-tokens/login", s.loginWithToken)

	if s.opts.Metrics != nil {
		a.Get(s.opts.MetricsPath, s.metrics())
	}
	a.Get("/stats", s.stats)
	a.Get("/cluster/metadata", s.clusterMetadata)
	a.Get("/clients", s.clients)
	a.Get("/clients/:client_id", s.client)
	a.Post("/snapshot", s.snapshot)
	a.Get(BackupPath, s.backup)
	a.Get(RetentionPreviewPath, s.retentionPreview)

	a.Delete("/users/logout", s.logout)
	a.Get("/users", s.users)
	a.Post("/users", s.createUser)
	a.Get("/users/:user_id", s.user)
	a.Put("/users/:user_id", s.updateUser)
	a.Delete("/users/:user_id", s.deleteUser)
	a.Put("/users/:user_id/permissions", s.updatePermissions)
	a.Put("/users/:user_id/password", s.changePassword)

	a.Get("/personal-access-tokens", s.tokens)
	a.Post("/personal-access-tokens", s.createToken)
	a.Delete("/personal-access-tokens/:name", s.deleteToken)

	a.Get("/streams", s.streams)
	a.Post("/streams", s.createStream)
	a.Get("/streams/:stream_id", s.stream)
	a.Put("/streams/:stream_id", s.updateStream)
	a.Delete("/streams/:stream_id", s.deleteStream)
	a.Delete("/streams/:stream_id/purge", s.purgeStream)

	const topic = "/streams/:stream_id/topics/:topic_id"
	a.Get("/streams/:stream_id/topics", s.topics)
	a.Post("/streams/:stream_id/topics", s.createTopic)
	a.Get(topic, s.topic)
	a.Put(topic, s.updateTopic)
	a.Delete(topic, s.deleteTopic)
	a.Delete(topic+"/purge", s.purgeTopic)
	a.Post(topic+"/partitions", s.createPartitions)
	a.Delete(topic+"/partitions", s.deletePartitions)
	a.Delete(topic+"/partitions/:partition_id", s.deleteSegments)
	a.Get(topic+"/consumer-groups", s.groups)
	a.Post(topic+"/consumer-groups", s.createGroup)
	a.Get(topic+"/consumer-groups/:group_id", s.group)
	a.Delete(topic+"/consumer-groups/:group_id", s.deleteGroup)
	a.Get(topic+"/consumer-offsets", s.offset)
	a.Put(topic+"/consumer-offsets", s.storeOffset)
	a.Delete(topic+"/consumer-offsets/:consumer_id", s.deleteOffset)
	a.Get(topic+"/messages", s.poll)
	a.Post(topic+"/messages", s.send)
	a.Get(topic+"/messages/flush/:partition_id/:fsync", s.flush)
}

// public registers a route that skips authentication; the path compares
// exactly, as Iggy's does.
func (s *Server) public(method, path string, h fiber.Handler) {
	s.publicPaths = append(s.publicPaths, path)
	s.app.Add(method, path, h)
}

// ident reads an identifier path segment: a u32 is an id, anything else a
// name (docs/protocol/http.md §1.2).
func ident(c *fiber.Ctx, name string) broker.Ident {
	v := c.Params(name)
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		return broker.ByID(uint32(n))
	}
	return broker.ByName(v)
}

func pathU32(c *fiber.Ctx, name string) (uint32, error) {
	n, err := strconv.ParseUint(c.Params(name), 10, 32)
	if err != nil {
		return 0, &plainError{status: fiber.StatusBadRequest, text: "Invalid URL: " + name + " must be a u32"}
	}
	return uint32(n), nil
}

func queryU32(c *fiber.Ctx, name string, def uint32, required bool) (uint32, error) {
	v := c.Query(name)
	if v == "" {
		if required {
			return 0, &plainError{status: fiber.StatusBadRequest, text: "Failed to deserialize query string: missing field `" + name + "`"}
		}
		return def, nil
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return 0, &plainError{status: fiber.StatusBadRequest, text: "Failed to deserialize query string: " + name + ": " + err.Error()}
	}
	return uint32(n), nil
}

// bindJSON decodes a JSON body: 415 without a JSON content type, 400 for
// bad syntax, 422 for the wrong shape (docs/protocol/http.md §1.5).
func bindJSON(c *fiber.Ctx, v any) error {
	if err := jsonContentType(c); err != nil {
		return err
	}
	body := c.Body()
	if !validJSON(body) {
		return errBodyNotJSON
	}
	if err := requireFields(body, v); err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return unprocessable(err.Error())
	}
	return nil
}

// errBodyNotJSON answers a body that is not JSON at all.
var errBodyNotJSON = &plainError{status: fiber.StatusBadRequest, text: "Failed to parse the request body as JSON"}

// jsonContentType refuses a request whose Content-Type is not JSON.
func jsonContentType(c *fiber.Ctx) error {
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	if !strings.HasPrefix(ct, "application/json") && !(strings.HasPrefix(ct, "application/") && strings.Contains(ct, "+json")) {
		return &plainError{status: fiber.StatusUnsupportedMediaType, text: "Expected request with `Content-Type: application/json`"}
	}
	return nil
}

// ok answers 200 with JSON.
func ok(c *fiber.Ctx, v any) error { return c.Status(fiber.StatusOK).JSON(v) }

func noContent(c *fiber.Ctx, err error) error {
	if err != nil {
		return err
	}
	return empty(c, fiber.StatusNoContent)
}
