package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/wire"
)

func (s *Server) routes() {
	a := s.app
	a.Get("/", func(c *fiber.Ctx) error { return c.SendString("Iggy API") })
	a.Get("/ping", func(c *fiber.Ctx) error { return c.SendString("pong") })
	if s.opts.Metrics != nil {
		a.Get(s.opts.MetricsPath, s.metrics())
	}
	a.Get("/stats", s.stats)
	a.Get("/cluster/metadata", s.clusterMetadata)
	a.Get("/clients", s.clients)
	a.Get("/clients/:client_id", s.client)
	a.Post("/snapshot", s.snapshot)

	a.Post("/users/login", s.login)
	a.Delete("/users/logout", s.logout)
	a.Post("/users/refresh-token", s.refresh)
	a.Get("/users", s.users)
	a.Post("/users", s.createUser)
	a.Get("/users/:user_id", s.user)
	a.Put("/users/:user_id", s.updateUser)
	a.Delete("/users/:user_id", s.deleteUser)
	a.Put("/users/:user_id/permissions", s.updatePermissions)
	a.Put("/users/:user_id/password", s.changePassword)

	a.Get("/personal-access-tokens", s.tokens)
	a.Post("/personal-access-tokens", s.createToken)
	a.Post("/personal-access-tokens/login", s.loginWithToken)
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

// ident reads an identifier path segment: a u32 is an id, anything else a
// name (HTTP.md §1.2).
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
// bad syntax, 422 for the wrong shape (HTTP.md §1.5).
func bindJSON(c *fiber.Ctx, v any) error {
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	if !strings.HasPrefix(ct, "application/json") && !(strings.HasPrefix(ct, "application/") && strings.Contains(ct, "+json")) {
		return &plainError{status: fiber.StatusUnsupportedMediaType, text: "Expected request with `Content-Type: application/json`"}
	}
	body := c.Body()
	if !json.Valid(body) {
		return &plainError{status: fiber.StatusBadRequest, text: "Failed to parse the request body as JSON"}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return unprocessable(err.Error())
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

// ---- system

func (s *Server) stats(c *fiber.Ctx) error {
	st, err := s.b.Stats(session(c))
	if err != nil {
		return err
	}
	semver := st.ServerSemver
	return ok(c, struct {
		ProcessID           uint32         `json:"process_id"`
		CPUUsage            float32        `json:"cpu_usage"`
		TotalCPUUsage       float32        `json:"total_cpu_usage"`
		MemoryUsage         string         `json:"memory_usage"`
		TotalMemory         string         `json:"total_memory"`
		AvailableMemory     string         `json:"available_memory"`
		RunTime             uint64         `json:"run_time"`
		StartTime           uint64         `json:"start_time"`
		ReadBytes           string         `json:"read_bytes"`
		WrittenBytes        string         `json:"written_bytes"`
		MessagesSizeBytes   string         `json:"messages_size_bytes"`
		StreamsCount        uint32         `json:"streams_count"`
		TopicsCount         uint32         `json:"topics_count"`
		PartitionsCount     uint32         `json:"partitions_count"`
		SegmentsCount       uint32         `json:"segments_count"`
		MessagesCount       uint64         `json:"messages_count"`
		ClientsCount        uint32         `json:"clients_count"`
		ConsumerGroupsCount uint32         `json:"consumer_groups_count"`
		Hostname            string         `json:"hostname"`
		OSName              string         `json:"os_name"`
		OSVersion           string         `json:"os_version"`
		KernelVersion       string         `json:"kernel_version"`
		ServerVersion       string         `json:"iggy_server_version"`
		ServerSemver        *uint32        `json:"iggy_server_semver"`
		CacheMetrics        map[string]any `json:"cache_metrics"`
		ThreadsCount        uint32         `json:"threads_count"`
		FreeDiskSpace       string         `json:"free_disk_space"`
		TotalDiskSpace      string         `json:"total_disk_space"`
	}{st.ProcessID, st.CPUUsage, st.TotalCPUUsage, ByteSize(st.MemoryUsage), ByteSize(st.TotalMemory),
		ByteSize(st.AvailableMemory), st.RunTime, st.StartTime, ByteSize(st.ReadBytes), ByteSize(st.WrittenBytes),
		ByteSize(st.MessagesSizeBytes), st.StreamsCount, st.TopicsCount, st.PartitionsCount, st.SegmentsCount,
		st.MessagesCount, st.ClientsCount, st.ConsumerGroupsCount, st.Hostname, st.OSName, st.OSVersion,
		st.KernelVersion, st.ServerVersion, &semver, map[string]any{}, st.ThreadsCount,
		ByteSize(st.FreeDiskSpace), ByteSize(st.TotalDiskSpace)})
}

func (s *Server) clusterMetadata(c *fiber.Ctx) error {
	n, err := s.b.ClusterMetadata(session(c))
	if err != nil {
		return err
	}
	type endpoints struct {
		TCP       uint16 `json:"tcp"`
		QUIC      uint16 `json:"quic"`
		HTTP      uint16 `json:"http"`
		WebSocket uint16 `json:"websocket"`
	}
	type node struct {
		Name      string    `json:"name"`
		IP        string    `json:"ip"`
		Endpoints endpoints `json:"endpoints"`
		Role      string    `json:"role"`
		Status    string    `json:"status"`
	}
	return ok(c, struct {
		Name  string `json:"name"`
		Nodes []node `json:"nodes"`
	}{n.ClusterName, []node{{n.Name, n.IP, endpoints{n.TCPPort, n.QUICPort, n.HTTPPort, n.WSPort}, "leader", "healthy"}}})
}

func (s *Server) clients(c *fiber.Ctx) error {
	list, err := s.b.Clients(session(c))
	if err != nil {
		return err
	}
	out := make([]clientView, 0, len(list))
	for _, cl := range list {
		out = append(out, clientOf(cl).clientView)
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

var (
	snapshotCompressions = map[string]uint8{"Stored": 1, "Deflated": 2, "Bzip2": 3, "Zstd": 4, "Lzma": 5, "Xz": 6}
	snapshotTypes        = map[string]uint8{"FilesystemOverview": 1, "ProcessList": 2, "ResourceUsage": 3, "Test": 4,
		"ServerLogs": 5, "ServerConfig": 6, "All": 100}
)

func (s *Server) snapshot(c *fiber.Ctx) error {
	var req struct {
		Compression   string   `json:"compression"`
		SnapshotTypes []string `json:"snapshot_types"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	comp, known := snapshotCompressions[req.Compression]
	if !known {
		return unprocessable("unknown compression " + strconv.Quote(req.Compression))
	}
	var types []uint8
	for _, t := range req.SnapshotTypes {
		code, known := snapshotTypes[t]
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

// ---- users and sessions

func (s *Server) identity(c *fiber.Ctx, userID uint32) error {
	tok, exp, err := s.issue(userID)
	if err != nil {
		return err
	}
	return ok(c, identityView{UserID: userID, AccessToken: tokenView{Token: tok, Expiry: exp}})
}

func (s *Server) login(c *fiber.Ctx) error {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	id, err := s.b.Login(session(c), req.Username, req.Password)
	if err != nil {
		if errors.Is(err, wire.ErrInvalidUsername) || errors.Is(err, wire.ErrInvalidPassword) {
			// HTTP login does not check lengths; a bad length is simply
			// bad credentials.
			return fmt.Errorf("%v: %w", err, wire.ErrInvalidCredentials)
		}
		return err
	}
	return s.identity(c, id)
}

func (s *Server) logout(c *fiber.Ctx) error {
	cl := c.Locals(claimsKey).(verified)
	return noContent(c, s.b.Users().RevokeJWT(cl.jti, cl.exp))
}

func (s *Server) refresh(c *fiber.Ctx) error {
	var req struct {
		Token string `json:"token"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	cl, err := s.verify(req.Token)
	if err != nil {
		return fmt.Errorf("refresh token: %w", wire.ErrInvalidAccessToken)
	}
	// A token refreshes once: the old one is revoked.
	if err := s.b.Users().RevokeJWT(cl.jti, cl.exp); err != nil {
		return err
	}
	return s.identity(c, cl.userID)
}

func (s *Server) users(c *fiber.Ctx) error {
	list, err := s.b.ListUsers(session(c))
	if err != nil {
		return err
	}
	out := make([]userView, 0, len(list))
	for _, u := range list {
		out = append(out, userOf(u).userView)
	}
	return ok(c, out)
}

func (s *Server) user(c *fiber.Ctx) error {
	u, found, err := s.b.User(session(c), ident(c, "user_id"))
	if err != nil {
		return err
	}
	if !found {
		return genericNotFound(c)
	}
	return ok(c, userOf(u))
}

func parseStatus(st string) (bool, error) {
	switch st {
	case "active":
		return true, nil
	case "inactive":
		return false, nil
	}
	return false, unprocessable("status must be \"active\" or \"inactive\"")
}

func (s *Server) createUser(c *fiber.Ctx) error {
	var req struct {
		Username    string           `json:"username"`
		Password    string           `json:"password"`
		Status      string           `json:"status"`
		Permissions *permissionsJSON `json:"permissions"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	active, err := parseStatus(req.Status)
	if err != nil {
		return err
	}
	perms, err := req.Permissions.toWire()
	if err != nil {
		return err
	}
	u, err := s.b.CreateUser(session(c), req.Username, req.Password, active, perms)
	if err != nil {
		return err
	}
	return ok(c, userOf(u))
}

func (s *Server) updateUser(c *fiber.Ctx) error {
	var req struct {
		Username *string `json:"username"`
		Status   *string `json:"status"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	var active *bool
	if req.Status != nil {
		a, err := parseStatus(*req.Status)
		if err != nil {
			return err
		}
		active = &a
	}
	return noContent(c, s.b.UpdateUser(session(c), ident(c, "user_id"), req.Username, active))
}

func (s *Server) deleteUser(c *fiber.Ctx) error {
	return noContent(c, s.b.DeleteUser(session(c), ident(c, "user_id")))
}

func (s *Server) updatePermissions(c *fiber.Ctx) error {
	var req struct {
		Permissions *permissionsJSON `json:"permissions"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	perms, err := req.Permissions.toWire()
	if err != nil {
		return err
	}
	return noContent(c, s.b.UpdatePermissions(session(c), ident(c, "user_id"), perms))
}

func (s *Server) changePassword(c *fiber.Ctx) error {
	var req struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	return noContent(c, s.b.ChangePassword(session(c), ident(c, "user_id"), req.CurrentPassword, req.NewPassword))
}

// ---- personal access tokens

func (s *Server) tokens(c *fiber.Ctx) error {
	list, err := s.b.Tokens(session(c))
	if err != nil {
		return err
	}
	out := make([]patView, 0, len(list))
	for _, t := range list {
		v := patView{Name: t.Name}
		if t.ExpiresAt != 0 {
			exp := t.ExpiresAt
			v.ExpiryAt = &exp
		}
		out = append(out, v)
	}
	return ok(c, out)
}

func (s *Server) createToken(c *fiber.Ctx) error {
	var req struct {
		Name   string  `json:"name"`
		Expiry *uint64 `json:"expiry"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.Expiry == nil {
		return unprocessable("missing field `expiry`")
	}
	tok, err := s.b.CreateToken(session(c), req.Name, *req.Expiry)
	if err != nil {
		return err
	}
	return ok(c, struct {
		Token string `json:"token"`
	}{tok})
}

func (s *Server) deleteToken(c *fiber.Ctx) error {
	return noContent(c, s.b.DeleteToken(session(c), c.Params("name")))
}

func (s *Server) loginWithToken(c *fiber.Ctx) error {
	var req struct {
		Token string `json:"token"`
	}
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	id, err := s.b.LoginWithToken(session(c), req.Token)
	if err != nil {
		return err
	}
	return s.identity(c, id)
}

// ---- streams

func (s *Server) streams(c *fiber.Ctx) error {
	list, err := s.b.Streams(session(c))
	if err != nil {
		return err
	}
	out := make([]streamView, 0, len(list))
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
	d := streamDetailsView{streamView: streamOf(st), Topics: []topicView{}}
	for _, t := range st.Topics {
		d.Topics = append(d.Topics, topicOf(t))
	}
	return ok(c, d)
}

type nameBody struct {
	Name string `json:"name"`
}

func checkName(name string) error {
	if len(name) == 0 || len(name) > 255 {
		return fmt.Errorf("name of %d bytes: %w", len(name), wire.ErrInvalidStreamName)
	}
	return nil
}

func (s *Server) createStream(c *fiber.Ctx) error {
	var req nameBody
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if err := checkName(req.Name); err != nil {
		return err
	}
	st, err := s.b.CreateStream(session(c), req.Name)
	if err != nil {
		return err
	}
	return ok(c, streamDetailsView{streamView: streamOf(st), Topics: []topicView{}})
}

func (s *Server) updateStream(c *fiber.Ctx) error {
	var req nameBody
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if err := checkName(req.Name); err != nil {
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

// ---- topics, partitions, segments

func (s *Server) topics(c *fiber.Ctx) error {
	list, found, err := s.b.Topics(session(c), ident(c, "stream_id"))
	if err != nil {
		return err
	}
	if !found {
		return genericNotFound(c)
	}
	out := make([]topicView, 0, len(list))
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

type topicBody struct {
	Name                 string  `json:"name"`
	PartitionsCount      *uint32 `json:"partitions_count"`
	CompressionAlgorithm *string `json:"compression_algorithm"`
	MessageExpiry        *uint64 `json:"message_expiry"`
	MaxTopicSize         *uint64 `json:"max_topic_size"`
	ReplicationFactor    *uint8  `json:"replication_factor"`
}

// spec validates a topic body; partitions_count is required on create only.
func (t *topicBody) spec(create bool) (broker.TopicSpec, error) {
	if t.CompressionAlgorithm == nil || t.MessageExpiry == nil || t.MaxTopicSize == nil || (create && t.PartitionsCount == nil) {
		return broker.TopicSpec{}, unprocessable("missing a required field")
	}
	var comp uint8
	switch strings.ToLower(*t.CompressionAlgorithm) {
	case "none":
		comp = wire.CompressionNone
	case "gzip":
		comp = wire.CompressionGzip
	default:
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
	if len(t.Name) == 0 || len(t.Name) > 255 {
		return broker.TopicSpec{}, fmt.Errorf("name of %d bytes: %w", len(t.Name), wire.ErrInvalidTopicName)
	}
	return spec, nil
}

func (s *Server) createTopic(c *fiber.Ctx) error {
	var req topicBody
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	spec, err := req.spec(true)
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
	var req topicBody
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	spec, err := req.spec(false)
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
	var req struct {
		PartitionsCount *uint32 `json:"partitions_count"`
	}
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

// ---- consumer groups

func (s *Server) groups(c *fiber.Ctx) error {
	sid, tid := ident(c, "stream_id"), ident(c, "topic_id")
	list, found, err := s.b.Groups(session(c), sid, tid)
	if err != nil {
		return err
	}
	if !found {
		// Coded 404s here (HTTP.md §4.8): say which of the two is missing.
		if _, sFound, _ := s.b.Stream(session(c), sid); !sFound {
			return fmt.Errorf("stream %v: %w", c.Params("stream_id"), wire.ErrStreamIDNotFound)
		}
		return fmt.Errorf("topic %v: %w", c.Params("topic_id"), wire.ErrTopicIDNotFound)
	}
	out := make([]groupView, 0, len(list))
	for _, g := range list {
		out = append(out, groupDetailsOf(g).groupView)
	}
	return ok(c, out)
}

func (s *Server) createGroup(c *fiber.Ctx) error {
	var req nameBody
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if len(req.Name) == 0 || len(req.Name) > 255 {
		return fmt.Errorf("name of %d bytes: %w", len(req.Name), wire.ErrInvalidConsumerGroupName)
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

// ---- consumer offsets: always a single consumer over HTTP (HTTP.md §4.9)

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
	return ok(c, offsetView{PartitionID: off.PartitionID, CurrentOffset: off.CurrentOffset, StoredOffset: off.StoredOffset})
}

// flexID is a consumer id sent as a JSON number or string.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*f = flexID(n.String())
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("consumer_id must be a number or a string")
	}
	*f = flexID(s)
	return nil
}

func (s *Server) storeOffset(c *fiber.Ctx) error {
	var req struct {
		ConsumerID  flexID  `json:"consumer_id"`
		PartitionID *uint32 `json:"partition_id"`
		Offset      *uint64 `json:"offset"`
	}
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

func (s *Server) flush(c *fiber.Ctx) error {
	pid, err := pathU32(c, "partition_id")
	if err != nil {
		return err
	}
	// Both "true" and the Rust SDK's "fsync=true" spellings.
	v := strings.TrimPrefix(c.Params("fsync"), "fsync=")
	fsync, err := strconv.ParseBool(v)
	if err != nil || (v != "true" && v != "false") {
		return &plainError{status: fiber.StatusBadRequest, text: "Invalid URL: fsync must be true or false"}
	}
	if err := s.b.FlushUnsavedBuffer(session(c), ident(c, "stream_id"), ident(c, "topic_id"), pid, fsync); err != nil {
		return err
	}
	return empty(c, fiber.StatusOK)
}
