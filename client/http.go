package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/rest"
)

// DialHTTP returns a client that carries binary requests over Iggy's REST
// API (base URL such as http://127.0.0.1:3000): each request is turned into
// its route and each JSON answer back into the binary payload, so code and
// tests written against the binary client run over HTTP too. Commands HTTP
// lacks (GetMe, joining and leaving groups, consumer-group offsets and
// polls) fail with wire.ErrFeatureUnavailable, as Iggy's SDKs do locally.
func DialHTTP(ctx context.Context, baseURL string, opts Options) (*Client, error) {
	tr := &http.Transport{TLSClientConfig: opts.TLS, MaxIdleConnsPerHost: 16}
	t := &httpTransport{base: strings.TrimSuffix(baseURL, "/"), hc: &http.Client{Transport: tr, Timeout: opts.Timeout}}
	c := newClient(t, opts)
	if err := c.Ping(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

type httpTransport struct {
	base string
	hc   *http.Client
	mu   sync.Mutex
	jwt  string
}

func (t *httpTransport) close() error {
	t.hc.CloseIdleConnections()
	return nil
}

func (t *httpTransport) token() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.jwt
}

func (t *httpTransport) setToken(s string) {
	t.mu.Lock()
	t.jwt = s
	t.mu.Unlock()
}

// httpError is a non-2xx answer turned into Iggy's code.
func httpError(status int, body []byte) error {
	var e rest.Error
	if json.Unmarshal(body, &e) == nil && e.Code != "" && e.ID != 404 {
		if status == http.StatusUnauthorized && e.ID == wire.ErrAccessTokenMissing.Code {
			// shale explains a request without a token (Iggy's body is
			// empty); to a client that is "not logged in", as over TCP.
			return wire.ErrUnauthenticated
		}
		return wire.ErrorForCode(e.ID)
	}
	switch status {
	case http.StatusUnauthorized:
		return wire.ErrUnauthenticated
	case http.StatusForbidden:
		return wire.ErrUnauthorized
	case http.StatusNotFound:
		return wire.ErrResourceNotFound
	}
	return fmt.Errorf("http %d %s: %w", status, bytes.TrimSpace(body), wire.ErrInvalidCommand)
}

// jsonBody is a request body already encoded.
type jsonBody []byte

// call sends one request; body nil means none.
func (t *httpTransport) call(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var r io.Reader
	if b, ok := body.(jsonBody); ok {
		r = bytes.NewReader(b)
	} else if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok := t.token(); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := t.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// do runs a call and fails on any non-2xx; emptyOn404 turns the generic
// 404 into an empty OK, as the binary protocol answers missing reads.
func (t *httpTransport) do(ctx context.Context, method, path string, body any, emptyOn404 bool) ([]byte, error) {
	st, b, err := t.call(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	if st >= 200 && st < 300 {
		return b, nil
	}
	if emptyOn404 && st == http.StatusNotFound {
		return nil, errEmpty
	}
	return nil, httpError(st, b)
}

var errEmpty = errors.New("empty")

// Responses are rebuilt from JSON; a poll's is appended to dst.
func (t *httpTransport) roundTrip(ctx context.Context, frame, tail, dst []byte) (uint32, []byte, error) {
	if tail != nil {
		// Decoded below and sent as JSON: one copy is the least of it.
		frame = append(frame[:len(frame):len(frame)], tail...)
	}
	n, code, err := wire.ParseRequestHeader(frame)
	if err != nil || int(n) != len(frame)-wire.RequestHeaderSize {
		return wire.ErrInvalidCommand.Code, nil, nil
	}
	req, ok := wire.NewRequest(code)
	if !ok {
		return wire.ErrInvalidCommand.Code, nil, nil
	}
	if err := req.Decode(frame[wire.RequestHeaderSize:]); err != nil {
		return wire.CodeOf(err), nil, nil
	}
	out, err := t.run(ctx, req, dst)
	if errors.Is(err, errEmpty) {
		return 0, nil, nil
	}
	if err != nil {
		var we *wire.Error
		if errors.As(err, &we) {
			return we.Code, nil, nil
		}
		return 0, nil, err
	}
	return 0, out, nil
}

func seg(i wire.Identifier) string {
	if i.Kind == wire.IdentNumeric {
		return strconv.FormatUint(uint64(i.ID), 10)
	}
	return url.PathEscape(i.Name)
}

func topicPath(s, t wire.Identifier) string { return "/streams/" + seg(s) + "/topics/" + seg(t) }

func consumerParam(c wire.Consumer) (string, error) {
	if c.Kind == wire.ConsumerGroup {
		return "", wire.ErrFeatureUnavailable
	}
	if c.ID.Kind == wire.IdentNumeric {
		return strconv.FormatUint(uint64(c.ID.ID), 10), nil
	}
	return c.ID.Name, nil
}

// statusName and compressionName pass invalid codes on as invalid names,
// so the server, not the client, rejects them.
func statusName(st uint8) string {
	if name, ok := wire.UserStatusName(st); ok {
		return name
	}
	return "status-" + strconv.Itoa(int(st))
}

func compressionName(c uint8) *string {
	name, ok := wire.CompressionName(c)
	if !ok {
		name = "compression-" + strconv.Itoa(int(c))
	}
	return &name
}

// run maps one request onto its route and its answer onto the binary
// payload.
func (t *httpTransport) run(ctx context.Context, req wire.Request, dst []byte) ([]byte, error) {
	switch r := req.(type) {
	case *wire.Ping:
		_, err := t.do(ctx, "GET", "/ping", nil, false)
		return nil, err
	case *wire.LoginUser:
		return t.login(ctx, "/users/login", rest.Login{Username: r.Username, Password: r.Password})
	case *wire.LoginWithPersonalAccessToken:
		return t.login(ctx, "/personal-access-tokens/login", rest.RawToken{Token: r.Name})
	case *wire.LogoutUser:
		_, err := t.do(ctx, "DELETE", "/users/logout", nil, false)
		if err == nil {
			t.setToken("")
		}
		return nil, err
	case *wire.GetMe, *wire.JoinConsumerGroup, *wire.LeaveConsumerGroup:
		return nil, wire.ErrFeatureUnavailable
	case *wire.GetStats:
		return convert(t.do(ctx, "GET", "/stats", nil, false))(statsFromJSON)
	case *wire.GetClusterMetadata:
		return convert(t.do(ctx, "GET", "/cluster/metadata", nil, false))(clusterFromJSON)
	case *wire.GetClients:
		return convert(t.do(ctx, "GET", "/clients", nil, false))(clientsFromJSON)
	case *wire.GetClient:
		if r.ClientID == 0 {
			return nil, wire.ErrInvalidClientID
		}
		return convert(t.do(ctx, "GET", "/clients/"+strconv.FormatUint(uint64(r.ClientID), 10), nil, true))(clientFromJSON)
	case *wire.GetSnapshot:
		req := rest.Snapshot{Compression: wire.SnapshotCompressionName(r.Compression)}
		for _, c := range r.Types {
			req.SnapshotTypes = append(req.SnapshotTypes, wire.SnapshotTypeName(c))
		}
		return t.do(ctx, "POST", "/snapshot", req, false)

	case *wire.GetUser:
		return convert(t.do(ctx, "GET", "/users/"+seg(r.User), nil, true))(userFromJSON)
	case *wire.GetUsers:
		return convert(t.do(ctx, "GET", "/users", nil, false))(usersFromJSON)
	case *wire.CreateUser:
		return convert(t.do(ctx, "POST", "/users", rest.CreateUser{Username: r.Username, Password: r.Password,
			Status: statusName(r.Status), Permissions: rest.PermissionsOf(r.Permissions)}, false))(userFromJSON)
	case *wire.DeleteUser:
		_, err := t.do(ctx, "DELETE", "/users/"+seg(r.User), nil, false)
		return nil, err
	case *wire.UpdateUser:
		body := rest.UpdateUser{Username: r.Username}
		if r.Status != nil {
			st := statusName(*r.Status)
			body.Status = &st
		}
		_, err := t.do(ctx, "PUT", "/users/"+seg(r.User), body, false)
		return nil, err
	case *wire.UpdatePermissions:
		_, err := t.do(ctx, "PUT", "/users/"+seg(r.User)+"/permissions", rest.UpdatePermissions{Permissions: rest.PermissionsOf(r.Permissions)}, false)
		return nil, err
	case *wire.ChangePassword:
		_, err := t.do(ctx, "PUT", "/users/"+seg(r.User)+"/password", rest.ChangePassword{CurrentPassword: r.CurrentPassword, NewPassword: r.NewPassword}, false)
		return nil, err

	case *wire.GetPersonalAccessTokens:
		return convert(t.do(ctx, "GET", "/personal-access-tokens", nil, false))(tokensFromJSON)
	case *wire.CreatePersonalAccessToken:
		return convert(t.do(ctx, "POST", "/personal-access-tokens", rest.CreateToken{Name: r.Name, Expiry: &r.Expiry}, false))(rawTokenFromJSON)
	case *wire.DeletePersonalAccessToken:
		_, err := t.do(ctx, "DELETE", "/personal-access-tokens/"+url.PathEscape(r.Name), nil, false)
		return nil, err

	case *wire.GetStream:
		return convert(t.do(ctx, "GET", "/streams/"+seg(r.Stream), nil, true))(streamDetailsFromJSON)
	case *wire.GetStreams:
		return convert(t.do(ctx, "GET", "/streams", nil, false))(streamsFromJSON)
	case *wire.CreateStream:
		return convert(t.do(ctx, "POST", "/streams", rest.Name{Name: r.Name}, false))(streamFromJSON)
	case *wire.UpdateStream:
		_, err := t.do(ctx, "PUT", "/streams/"+seg(r.Stream), rest.Name{Name: r.Name}, false)
		return nil, err
	case *wire.DeleteStream:
		_, err := t.do(ctx, "DELETE", "/streams/"+seg(r.Stream), nil, false)
		return nil, err
	case *wire.PurgeStream:
		_, err := t.do(ctx, "DELETE", "/streams/"+seg(r.Stream)+"/purge", nil, false)
		return nil, err

	case *wire.GetTopic:
		return convert(t.do(ctx, "GET", topicPath(r.Stream, r.Topic), nil, true))(topicDetailsFromJSON(false))
	case *wire.GetTopics:
		return convert(t.do(ctx, "GET", "/streams/"+seg(r.Stream)+"/topics", nil, true))(topicsFromJSON)
	case *wire.CreateTopic:
		body := rest.TopicRequest{Name: r.Name, PartitionsCount: &r.PartitionsCount, CompressionAlgorithm: compressionName(r.Compression),
			MessageExpiry: &r.MessageExpiry, MaxTopicSize: &r.MaxTopicSize}
		if r.ReplicationFactor != 0 {
			body.ReplicationFactor = &r.ReplicationFactor
		}
		return convert(t.do(ctx, "POST", "/streams/"+seg(r.Stream)+"/topics", body, false))(topicDetailsFromJSON(true))
	case *wire.UpdateTopic:
		body := rest.TopicRequest{Name: r.Name, CompressionAlgorithm: compressionName(r.Compression),
			MessageExpiry: &r.MessageExpiry, MaxTopicSize: &r.MaxTopicSize}
		if r.ReplicationFactor != 0 {
			body.ReplicationFactor = &r.ReplicationFactor
		}
		_, err := t.do(ctx, "PUT", topicPath(r.Stream, r.Topic), body, false)
		return nil, err
	case *wire.DeleteTopic:
		_, err := t.do(ctx, "DELETE", topicPath(r.Stream, r.Topic), nil, false)
		return nil, err
	case *wire.PurgeTopic:
		_, err := t.do(ctx, "DELETE", topicPath(r.Stream, r.Topic)+"/purge", nil, false)
		return nil, err
	case *wire.CreatePartitions:
		_, err := t.do(ctx, "POST", topicPath(r.Stream, r.Topic)+"/partitions", rest.CreatePartitions{PartitionsCount: &r.Count}, false)
		return nil, err
	case *wire.DeletePartitions:
		_, err := t.do(ctx, "DELETE", topicPath(r.Stream, r.Topic)+"/partitions?partitions_count="+strconv.FormatUint(uint64(r.Count), 10), nil, false)
		return nil, err
	case *wire.DeleteSegments:
		_, err := t.do(ctx, "DELETE", fmt.Sprintf("%s/partitions/%d?segments_count=%d", topicPath(r.Stream, r.Topic), r.PartitionID, r.SegmentsCount), nil, false)
		return nil, err

	case *wire.GetConsumerGroup:
		b, err := t.do(ctx, "GET", topicPath(r.Stream, r.Topic)+"/consumer-groups/"+seg(r.Group), nil, false)
		if errors.Is(err, wire.ErrConsumerGroupIDNotFound) || errors.Is(err, wire.ErrStreamIDNotFound) || errors.Is(err, wire.ErrTopicIDNotFound) {
			return nil, errEmpty // the binary protocol answers missing reads with an empty OK
		}
		return convert(b, err)(groupDetailsFromJSON)
	case *wire.GetConsumerGroups:
		b, err := t.do(ctx, "GET", topicPath(r.Stream, r.Topic)+"/consumer-groups", nil, false)
		if errors.Is(err, wire.ErrStreamIDNotFound) || errors.Is(err, wire.ErrTopicIDNotFound) {
			return nil, errEmpty
		}
		return convert(b, err)(groupsFromJSON)
	case *wire.CreateConsumerGroup:
		return convert(t.do(ctx, "POST", topicPath(r.Stream, r.Topic)+"/consumer-groups", rest.Name{Name: r.Name}, false))(groupFromJSON)
	case *wire.DeleteConsumerGroup:
		_, err := t.do(ctx, "DELETE", topicPath(r.Stream, r.Topic)+"/consumer-groups/"+seg(r.Group), nil, false)
		return nil, err

	case *wire.GetConsumerOffset:
		cid, err := consumerParam(r.Consumer)
		if err != nil {
			return nil, err
		}
		q := url.Values{"consumer_id": {cid}, "partition_id": {strconv.FormatUint(uint64(r.Partition.ID), 10)}}
		b, err := t.do(ctx, "GET", topicPath(r.Stream, r.Topic)+"/consumer-offsets?"+q.Encode(), nil, true)
		if errors.Is(err, wire.ErrStreamIDNotFound) || errors.Is(err, wire.ErrTopicIDNotFound) {
			return nil, errEmpty
		}
		return convert(b, err)(offsetFromJSON)
	case *wire.StoreConsumerOffset:
		cid, err := consumerParam(r.Consumer)
		if err != nil {
			return nil, err
		}
		body := rest.StoreOffset{ConsumerID: rest.FlexID(cid), Offset: &r.Offset}
		if r.Partition.Set {
			body.PartitionID = &r.Partition.ID
		}
		_, err = t.do(ctx, "PUT", topicPath(r.Stream, r.Topic)+"/consumer-offsets", body, false)
		return nil, err
	case *wire.DeleteConsumerOffset:
		cid, err := consumerParam(r.Consumer)
		if err != nil {
			return nil, err
		}
		_, err = t.do(ctx, "DELETE", fmt.Sprintf("%s/consumer-offsets/%s?partition_id=%d", topicPath(r.Stream, r.Topic), url.PathEscape(cid), r.Partition.ID), nil, false)
		return nil, err

	case *wire.FlushUnsavedBuffer:
		_, err := t.do(ctx, "GET", fmt.Sprintf("%s/messages/flush/%d/%t", topicPath(r.Stream, r.Topic), r.PartitionID, r.Fsync), nil, false)
		return nil, err
	case *wire.SendMessages:
		return nil, t.send(ctx, r)
	case *wire.PollMessages:
		return t.poll(ctx, r, dst)
	}
	return nil, fmt.Errorf("%v over http: %w", req.Code(), wire.ErrFeatureUnavailable)
}

func (t *httpTransport) login(ctx context.Context, path string, body any) ([]byte, error) {
	b, err := t.do(ctx, "POST", path, body, false)
	if err != nil {
		return nil, err
	}
	var id rest.Identity
	if err := json.Unmarshal(b, &id); err != nil {
		return nil, err
	}
	t.setToken(id.AccessToken.Token)
	return (&wire.IdentityInfo{UserID: id.UserID}).AppendTo(nil), nil
}

// convert decodes a JSON answer with fn and returns its binary payload.
func convert(b []byte, err error) func(fn func([]byte) ([]byte, error)) ([]byte, error) {
	return func(fn func([]byte) ([]byte, error)) ([]byte, error) {
		if err != nil {
			return nil, err
		}
		return fn(b)
	}
}

func (t *httpTransport) send(ctx context.Context, r *wire.SendMessages) error {
	// About 4/3 of the messages in base64 plus the JSON around each.
	body := appendSendBody(make([]byte, 0, len(r.Messages)*4/3+int(r.Count)*64+64), r) // http_send.go
	_, err := t.do(ctx, "POST", topicPath(r.Stream, r.Topic)+"/messages", jsonBody(body), false)
	return err
}

func (t *httpTransport) poll(ctx context.Context, r *wire.PollMessages, dst []byte) ([]byte, error) {
	cid, err := consumerParam(r.Consumer)
	if err != nil {
		return nil, err
	}
	q := url.Values{"consumer_id": {cid}, "partition_id": {strconv.FormatUint(uint64(r.Partition.ID), 10)},
		"kind": {r.Strategy.Kind.Name()}, "value": {strconv.FormatUint(r.Strategy.Value, 10)},
		"count": {strconv.FormatUint(uint64(r.Count), 10)}, "auto_commit": {strconv.FormatBool(r.AutoCommit)}}
	b, err := t.do(ctx, "GET", topicPath(r.Stream, r.Topic)+"/messages?"+q.Encode(), nil, false)
	if err != nil {
		return nil, err
	}
	return polledFromJSON(dst[:0], b)
}

func u128String(id []byte) string {
	be := slices.Clone(id)
	slices.Reverse(be)
	return new(big.Int).SetBytes(be).String()
}

func headersFromJSON(raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "[]" {
		return nil, nil
	}
	var pre string
	if json.Unmarshal(raw, &pre) == nil {
		return base64.StdEncoding.DecodeString(pre)
	}
	var entries []rest.Header
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, err
	}
	var hs []wire.UserHeader
	for _, e := range entries {
		if e.Key == nil || e.Value == nil {
			return nil, errors.New("user header entry without key or value")
		}
		k, err1 := base64.StdEncoding.DecodeString(e.Key.Value)
		v, err2 := base64.StdEncoding.DecodeString(e.Value.Value)
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		kk, _ := wire.ParseHeaderKind(e.Key.Kind)
		vk, _ := wire.ParseHeaderKind(e.Value.Kind)
		hs = append(hs, wire.UserHeader{Key: wire.HeaderValue{Kind: kk, Bytes: k}, Value: wire.HeaderValue{Kind: vk, Bytes: v}})
	}
	return wire.AppendUserHeaders(nil, hs...), nil
}

// ParseByteSize reads Iggy's byte-size text ("1.5 KiB", "0 B"); see
// rest.ParseSize.
func ParseByteSize(s string) (uint64, error) { return rest.ParseSize(s) }
