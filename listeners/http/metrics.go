package http

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/wire"
)

// routeCommands names each REST route that carries an Iggy command by that
// command. Its metrics label (shale_request_duration_seconds{command}) is
// the command's name in wire (wire/codes.go), the one list the binary
// command table (listeners/binproto/table.go) names its entries from too,
// so a command reads the same on TCP, QUIC and HTTP.
var routeCommands = map[string]wire.Command{
	"GET /ping":                                                  wire.CmdPing,
	"GET /stats":                                                 wire.CmdGetStats,
	"GET /cluster/metadata":                                      wire.CmdGetClusterMetadata,
	"GET /clients":                                               wire.CmdGetClients,
	"GET /clients/:client_id":                                    wire.CmdGetClient,
	"POST /snapshot":                                             wire.CmdGetSnapshot,
	"POST /users/login":                                          wire.CmdLoginUser,
	"DELETE /users/logout":                                       wire.CmdLogoutUser,
	"GET /users":                                                 wire.CmdGetUsers,
	"POST /users":                                                wire.CmdCreateUser,
	"GET /users/:user_id":                                        wire.CmdGetUser,
	"PUT /users/:user_id":                                        wire.CmdUpdateUser,
	"DELETE /users/:user_id":                                     wire.CmdDeleteUser,
	"PUT /users/:user_id/permissions":                            wire.CmdUpdatePermissions,
	"PUT /users/:user_id/password":                               wire.CmdChangePassword,
	"GET /personal-access-tokens":                                wire.CmdGetPersonalAccessTokens,
	"POST /personal-access-tokens":                               wire.CmdCreatePersonalAccessToken,
	"POST /personal-access-tokens/login":                         wire.CmdLoginWithPersonalAccessToken,
	"DELETE /personal-access-tokens/:name":                       wire.CmdDeletePersonalAccessToken,
	"GET /streams":                                               wire.CmdGetStreams,
	"POST /streams":                                              wire.CmdCreateStream,
	"GET /streams/:stream_id":                                    wire.CmdGetStream,
	"PUT /streams/:stream_id":                                    wire.CmdUpdateStream,
	"DELETE /streams/:stream_id":                                 wire.CmdDeleteStream,
	"DELETE /streams/:stream_id/purge":                           wire.CmdPurgeStream,
	"GET /streams/:stream_id/topics":                             wire.CmdGetTopics,
	"POST /streams/:stream_id/topics":                            wire.CmdCreateTopic,
	"GET " + topicRoute:                                          wire.CmdGetTopic,
	"PUT " + topicRoute:                                          wire.CmdUpdateTopic,
	"DELETE " + topicRoute:                                       wire.CmdDeleteTopic,
	"DELETE " + topicRoute + "/purge":                            wire.CmdPurgeTopic,
	"POST " + topicRoute + "/partitions":                         wire.CmdCreatePartitions,
	"DELETE " + topicRoute + "/partitions":                       wire.CmdDeletePartitions,
	"DELETE " + topicRoute + "/partitions/:partition_id":         wire.CmdDeleteSegments,
	"GET " + topicRoute + "/consumer-groups":                     wire.CmdGetConsumerGroups,
	"POST " + topicRoute + "/consumer-groups":                    wire.CmdCreateConsumerGroup,
	"GET " + topicRoute + "/consumer-groups/:group_id":           wire.CmdGetConsumerGroup,
	"DELETE " + topicRoute + "/consumer-groups/:group_id":        wire.CmdDeleteConsumerGroup,
	"GET " + topicRoute + "/consumer-offsets":                    wire.CmdGetConsumerOffset,
	"PUT " + topicRoute + "/consumer-offsets":                    wire.CmdStoreConsumerOffset,
	"DELETE " + topicRoute + "/consumer-offsets/:consumer_id":    wire.CmdDeleteConsumerOffset,
	"GET " + topicRoute + "/messages":                            wire.CmdPollMessages,
	"POST " + topicRoute + "/messages":                           wire.CmdSendMessages,
	"GET " + topicRoute + "/messages/flush/:partition_id/:fsync": wire.CmdFlushUnsavedBuffer,
}

// httpOnlyRoutes names the routes that have no binary twin, in a namespace
// of their own ("http."), so they can never be taken for a command.
var httpOnlyRoutes = map[string]string{
	"GET /":                       "http.root",
	"GET /health":                 "http.health",
	"GET /metrics":                "http.metrics",
	"GET " + BackupPath:           "http.backup",
	"GET " + RetentionPreviewPath: "http.retention_preview",
	"POST /users/refresh-token":   "http.refresh_token",
}

// routeName is the label of a route (method and path pattern); ok is false
// for a route in neither table. The sets are fixed, so the label's
// cardinality is bounded.
func routeName(route string) (name string, ok bool) {
	if c, ok := routeCommands[route]; ok {
		return c.String(), true
	}
	name, ok = httpOnlyRoutes[route]
	return name, ok
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
