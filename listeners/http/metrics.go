package http

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/broker"
)

// routeCommands names each REST route by the Iggy command it carries
// (wire's names), so shale_request_duration_seconds{command} reads the same
// for HTTP as for TCP and QUIC. Routes with no binary twin keep a name of
// their own; anything unmatched (404s) is "unknown". The set is fixed, so
// the label's cardinality is bounded.
var routeCommands = map[string]string{
	"GET /":                                                      "http.root",
	"GET /ping":                                                  "ping",
	"GET /metrics":                                               "http.metrics",
	"GET /stats":                                                 "stats",
	"GET /cluster/metadata":                                      "cluster.metadata",
	"GET /clients":                                               "client.list",
	"GET /clients/:client_id":                                    "client.get",
	"POST /snapshot":                                             "snapshot",
	"GET " + BackupPath:                                          "http.backup",
	"GET " + RetentionPreviewPath:                                "http.retention_preview",
	"POST /users/login":                                          "user.login",
	"DELETE /users/logout":                                       "user.logout",
	"POST /users/refresh-token":                                  "http.refresh_token",
	"GET /users":                                                 "user.list",
	"POST /users":                                                "user.create",
	"GET /users/:user_id":                                        "user.get",
	"PUT /users/:user_id":                                        "user.update",
	"DELETE /users/:user_id":                                     "user.delete",
	"PUT /users/:user_id/permissions":                            "user.permissions",
	"PUT /users/:user_id/password":                               "user.password",
	"GET /personal-access-tokens":                                "personal_access_token.list",
	"POST /personal-access-tokens":                               "personal_access_token.create",
	"POST /personal-access-tokens/login":                         "personal_access_token.login",
	"DELETE /personal-access-tokens/:name":                       "personal_access_token.delete",
	"GET /streams":                                               "stream.list",
	"POST /streams":                                              "stream.create",
	"GET /streams/:stream_id":                                    "stream.get",
	"PUT /streams/:stream_id":                                    "stream.update",
	"DELETE /streams/:stream_id":                                 "stream.delete",
	"DELETE /streams/:stream_id/purge":                           "stream.purge",
	"GET /streams/:stream_id/topics":                             "topic.list",
	"POST /streams/:stream_id/topics":                            "topic.create",
	"GET " + topicRoute:                                          "topic.get",
	"PUT " + topicRoute:                                          "topic.update",
	"DELETE " + topicRoute:                                       "topic.delete",
	"DELETE " + topicRoute + "/purge":                            "topic.purge",
	"POST " + topicRoute + "/partitions":                         "partition.create",
	"DELETE " + topicRoute + "/partitions":                       "partition.delete",
	"DELETE " + topicRoute + "/partitions/:partition_id":         "segment.delete",
	"GET " + topicRoute + "/consumer-groups":                     "consumer_group.list",
	"POST " + topicRoute + "/consumer-groups":                    "consumer_group.create",
	"GET " + topicRoute + "/consumer-groups/:group_id":           "consumer_group.get",
	"DELETE " + topicRoute + "/consumer-groups/:group_id":        "consumer_group.delete",
	"GET " + topicRoute + "/consumer-offsets":                    "consumer_offset.get",
	"PUT " + topicRoute + "/consumer-offsets":                    "consumer_offset.store",
	"DELETE " + topicRoute + "/consumer-offsets/:consumer_id":    "consumer_offset.delete",
	"GET " + topicRoute + "/messages":                            "message.poll",
	"POST " + topicRoute + "/messages":                           "message.send",
	"GET " + topicRoute + "/messages/flush/:partition_id/:fsync": "message.flush_unsaved_buffer",
}

const topicRoute = "/streams/:stream_id/topics/:topic_id"

// observe times every request and names it by its route once routing is
// done; 4xx and 5xx answers count as errors with the HTTP status as code.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		// Let the error handler write the status before it is read.
		if herr := s.app.ErrorHandler(c, err); herr != nil {
			return herr
		}
		err = nil
	}
	cmd := s.commandOf(c) // recover.go
	s.b.RequestServed("http", cmd, time.Since(start))
	if st := c.Response().StatusCode(); st >= 400 {
		s.b.RequestFailed("http", cmd, strconv.Itoa(st))
	}
	return err
}

// trackConnections reports the listener's open connections to the broker.
func (s *Server) trackConnections() {
	srv := s.app.Server()
	s.b.TrackConnections(broker.TransportHTTP, func() int { return int(srv.GetOpenConnectionsCount()) })
}
