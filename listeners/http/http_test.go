package http

import (
	"encoding/base64"
	"encoding/json"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/wire/rest"
)

type api struct {
	t     testing.TB
	srv   *Server
	token string
}

func newAPI(t testing.TB) *api {
	t.Helper()
	return newAPIEnv(t, brokertest.New(t))
}

// newAPIEnv is newAPI over env's broker.
func newAPIEnv(t testing.TB, env *brokertest.Env) *api {
	t.Helper()
	srv, err := New(env.Broker, Options{
		CORS: CORS{Enabled: true, AllowedMethods: []string{"GET", "POST", "PUT", "DELETE"}, AllowedOrigins: []string{"*"},
			AllowedHeaders: []string{"content-type", "authorization"}},
		JWT: JWT{Issuer: "iggy.apache.org", Audience: "iggy.apache.org", ValidIssuers: []string{"iggy.apache.org"},
			ValidAudiences: []string{"iggy.apache.org"}, Expiry: time.Hour, ClockSkew: 5 * time.Second,
			Secret: []byte("0123456789abcdef0123456789abcdef")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &api{t: t, srv: srv}
}

// call sends a request and returns the status and body.
func (a *api) call(method, path, body string) (int, string) {
	a.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := a.srv.App().Test(req, -1)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// expect checks status and, when want is not empty, that the body contains
// it.
func (a *api) expect(method, path, body string, status int, want string) string {
	a.t.Helper()
	got, b := a.call(method, path, body)
	if got != status || !strings.Contains(b, want) {
		a.t.Fatalf("%s %s: %d %s\nwant %d containing %s", method, path, got, b, status, want)
	}
	return b
}

func (a *api) login(user, pw string) {
	a.t.Helper()
	b := a.expect("POST", "/users/login", `{"username":"`+user+`","password":"`+pw+`"}`, 200, `"access_token"`)
	var id rest.Identity
	if err := json.Unmarshal([]byte(b), &id); err != nil || id.AccessToken.Token == "" {
		a.t.Fatalf("login body %s: %v", b, err)
	}
	a.token = id.AccessToken.Token
}

func TestPublicAndAuth(t *testing.T) {
	a := newAPI(t)
	a.expect("GET", "/", "", 200, "Iggy API")
	a.expect("GET", "/ping", "", 200, "pong")
	// The bodies of 401s are autherr_test.go's.
	if st, _ := a.call("GET", "/streams", ""); st != 401 {
		t.Fatalf("no token: %d, want 401", st)
	}
	if st, _ := a.call("GET", "/nowhere", ""); st != 401 {
		t.Fatalf("unknown path without token: %d, want 401", st)
	}
	a.expect("POST", "/users/login", `{"username":"iggy","password":"wrong-pass"}`, 400, `"code":"invalid_credentials"`)
	a.login(brokertest.RootUser, brokertest.RootPassword)
	if st, body := a.call("GET", "/nowhere", ""); st != 404 || body != "" {
		t.Fatalf("unknown path with token: %d %q", st, body)
	}
	st, _ := a.call("OPTIONS", "/streams", "")
	if st != 200 {
		t.Fatalf("preflight: %d", st)
	}
	old := a.token
	b := a.expect("POST", "/users/refresh-token", `{"token":"`+old+`"}`, 200, `"access_token"`)
	var id rest.Identity
	_ = json.Unmarshal([]byte(b), &id)
	a.expect("POST", "/users/refresh-token", `{"token":"`+old+`"}`, 401, `"invalid_access_token"`)
	a.token = id.AccessToken.Token
	a.expect("DELETE", "/users/logout", "", 204, "")
	if st, _ := a.call("GET", "/streams", ""); st != 401 {
		t.Fatalf("revoked token: %d, want 401", st)
	}
}

func TestStreamsTopicsMessages(t *testing.T) {
	a := newAPI(t)
	a.login(brokertest.RootUser, brokertest.RootPassword)
	a.expect("POST", "/streams", `{"name":"orders"}`, 200, `{"id":0,`)
	a.expect("POST", "/streams", `{"name":"orders"}`, 400, `"field":"name"`)
	a.expect("GET", "/streams/7", "", 404, `"code":"not_found"`)
	a.expect("DELETE", "/streams/7", "", 404, `"id":1009`)
	a.expect("POST", "/streams/orders/topics", `{"name":"events","partitions_count":2,"compression_algorithm":"none","message_expiry":0,"max_topic_size":0}`,
		200, `"message_expiry":18446744073709551615,"compression_algorithm":"none","max_topic_size":18446744073709551615,"replication_factor":1`)
	a.expect("POST", "/streams/0/topics", `{"name":"x","partitions_count":1}`, 422, "")
	a.expect("POST", "/streams/0/topics", `{"name":"x"`, 400, "")
	if st, _ := a.call("POST", "/streams/9/topics", `{"name":"x","partitions_count":1,"compression_algorithm":"none","message_expiry":0,"max_topic_size":0}`); st != 404 {
		t.Fatalf("topic on a missing stream: %d", st)
	}
	a.expect("POST", "/streams/0/topics/0/partitions", `{"partitions_count":1}`, 201, "")
	a.expect("DELETE", "/streams/0/topics/0/partitions", "", 400, "partitions_count")
	a.expect("DELETE", "/streams/0/topics/0/partitions?partitions_count=1", "", 204, "")

	payload := base64.StdEncoding.EncodeToString([]byte("hello"))
	key := base64.StdEncoding.EncodeToString([]byte("content-type"))
	val := base64.StdEncoding.EncodeToString([]byte("text/plain"))
	send := `{"partitioning":{"kind":"partition_id","value":"AAAAAA=="},"messages":[` +
		`{"id":0,"payload":"` + payload + `"},` +
		`{"id":"42","payload":"` + payload + `","user_headers":[{"key":{"kind":"string","value":"` + key + `"},"value":{"kind":"string","value":"` + val + `"}}]},` +
		`{"id":"0193520c-3f5e-7d21-9a4b-5f3c2d1e0a99","payload":"` + payload + `"}]}`
	a.expect("POST", "/streams/0/topics/0/messages", send, 201, "")
	a.expect("POST", "/streams/0/topics/0/messages", `{"partitioning":{"kind":"balanced","value":""},"messages":[],"extra":1}`, 422, "")
	a.expect("POST", "/streams/0/topics/0/messages", `{"partitioning":{"kind":"balanced","value":""},"messages":[]}`, 400, `"id":4009`)
	a.expect("POST", "/streams/0/topics/0/messages", `{"partitioning":{"kind":"balanced","value":""},"messages":[{"payload":""}]}`, 422, "")

	body := a.expect("GET", "/streams/0/topics/0/messages?kind=first&count=10&partition_id=0", "", 200, `"count":3`)
	var polled rest.PolledMessages
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	dec.DisallowUnknownFields() // the hand-written layout is exactly the shape
	if err := dec.Decode(&polled); err != nil {
		t.Fatal(err)
	}
	m := polled.Messages
	if polled.CurrentOffset != 2 || len(m) != 3 || m[1].Header.ID != "42" || m[0].Payload != payload {
		t.Fatalf("poll: %s", body)
	}
	// A UUID id is its 128-bit big-endian value, as Iggy's Uuid::as_u128.
	if m[2].Header.ID != "2094159761926770703904117245112879769" {
		t.Fatalf("uuid id: %s", m[2].Header.ID)
	}
	if !strings.Contains(string(m[1].UserHeaders), `"value":{"kind":"string","value":"`+val+`"}`) {
		t.Fatalf("headers: %s", m[1].UserHeaders)
	}
	a.expect("GET", "/streams/0/topics/0/messages?kind=offset&value=99", "", 200, `{"partition_id":0,"current_offset":0,"count":0,"messages":[]}`)
	a.expect("GET", "/streams/0/topics/0/messages?kind=bogus", "", 400, "")
	a.expect("GET", "/streams/0/topics/0/messages/flush/0/true", "", 200, "")
	a.expect("GET", "/streams/0/topics/0/messages/flush/0/fsync=false", "", 200, "")

	a.expect("PUT", "/streams/0/topics/0/consumer-offsets", `{"consumer_id":"worker","partition_id":0,"offset":1}`, 204, "")
	a.expect("GET", "/streams/0/topics/0/consumer-offsets?consumer_id=worker", "", 200, `{"partition_id":0,"current_offset":2,"stored_offset":1}`)
	a.expect("PUT", "/streams/0/topics/0/consumer-offsets", `{"consumer_id":1,"offset":99}`, 400, `"field":"offset"`)
	a.expect("DELETE", "/streams/0/topics/0/consumer-offsets/worker", "", 204, "")
	a.expect("DELETE", "/streams/0/topics/0/consumer-offsets/worker", "", 404, `"id":3021`)
	a.expect("GET", "/streams/0/topics/0/consumer-offsets?consumer_id=worker", "", 404, `"not_found"`)

	a.expect("POST", "/streams/0/topics/0/consumer-groups", `{"name":"billing"}`, 201, `"members":[]`)
	a.expect("GET", "/streams/0/topics/0/consumer-groups", "", 200, `[{"id":0,"name":"billing","partitions_count":2,"members_count":0}]`)
	a.expect("GET", "/streams/0/topics/0/consumer-groups/5", "", 404, `"id":5000`)
	a.expect("DELETE", "/streams/0/topics/0/consumer-groups/billing", "", 204, "")

	a.expect("GET", "/streams/0", "", 200, `"size":"`)
	a.expect("GET", "/streams/0/topics/0", "", 200, `"partitions":[{"id":0,`)
	a.expect("DELETE", "/streams/0/topics/0/purge", "", 204, "")
	a.expect("PUT", "/streams/0/topics/0", `{"name":"events2","compression_algorithm":"gzip","message_expiry":0,"max_topic_size":0}`, 204, "")
	a.expect("GET", "/streams/0/topics", "", 200, `"name":"events2","size":"0 B","message_expiry":0,"compression_algorithm":"gzip","max_topic_size":0`)
	a.expect("DELETE", "/streams/0/topics/0/partitions/0?segments_count=1", "", 204, "")
	a.expect("DELETE", "/streams/0/topics/0", "", 204, "")
	a.expect("PUT", "/streams/0", `{"name":"renamed"}`, 204, "")
	a.expect("DELETE", "/streams/renamed/purge", "", 204, "")
	a.expect("GET", "/streams", "", 200, `"name":"renamed"`)
	a.expect("DELETE", "/streams/0", "", 204, "")
}

func TestUsersTokensSystem(t *testing.T) {
	a := newAPI(t)
	a.login(brokertest.RootUser, brokertest.RootPassword)
	a.expect("GET", "/users/0", "", 200, `"permissions":{"global":{"manage_servers":true`)
	a.expect("POST", "/users", `{"username":"reader","password":"reader-pass","status":"active","permissions":{"global":{"manage_servers":false,"read_servers":false,"manage_users":false,"read_users":false,"manage_streams":false,"read_streams":true,"manage_topics":false,"read_topics":false,"poll_messages":false,"send_messages":false},"streams":{"10":{"manage_stream":false,"read_stream":true,"manage_topics":false,"read_topics":false,"poll_messages":false,"send_messages":false,"topics":null},"2":{"manage_stream":true,"read_stream":true,"manage_topics":false,"read_topics":false,"poll_messages":false,"send_messages":false}}}}`,
		200, `"streams":{"2":{"manage_stream":true`)
	a.expect("POST", "/users", `{"username":"half","password":"half-pass","status":"active","permissions":{"global":{"read_streams":true}}}`, 422, "")
	a.expect("POST", "/users", `{"username":"reader","password":"reader-pass","status":"active"}`, 400, `"field":"username"`)
	a.expect("GET", "/users", "", 200, `{"id":1,`)
	a.expect("GET", "/users/nobody", "", 404, `"not_found"`)
	a.expect("PUT", "/users/reader/permissions", `{"permissions":null}`, 204, "")
	a.expect("PUT", "/users/0/permissions", `{"permissions":null}`, 400, `"id":49`)
	a.expect("PUT", "/users/reader", `{"username":"reader2"}`, 204, "")
	a.expect("PUT", "/users/reader2/password", `{"current_password":"reader-pass","new_password":"reader-new"}`, 204, "")

	b := a.expect("POST", "/personal-access-tokens", `{"name":"ci-token","expiry":0}`, 200, `"token":"`)
	var tok struct{ Token string }
	_ = json.Unmarshal([]byte(b), &tok)
	a.expect("GET", "/personal-access-tokens", "", 200, `[{"name":"ci-token","expiry_at":null}]`)
	a.expect("POST", "/personal-access-tokens/login", `{"token":"bogus"}`, 404, `"id":20`)
	a.expect("POST", "/personal-access-tokens/login", `{"token":"`+tok.Token+`"}`, 200, `"user_id":0`)
	a.expect("DELETE", "/personal-access-tokens/ci-token", "", 204, "")

	a.expect("GET", "/stats", "", 200, `"iggy_server_version":"0.8.0","iggy_server_semver":8000,"cache_metrics":{}`)
	a.expect("GET", "/stats", "", 200, `"shale_version":"`+broker.ShaleVersion()+`","shale_commit":"`+broker.ShaleCommit()+`"}`)
	a.expect("GET", "/cluster/metadata", "", 200, `"role":"leader","status":"healthy"`)
	a.expect("GET", "/clients", "", 200, `"transport":"tcp"`)
	a.expect("GET", "/clients/abc", "", 400, "Invalid URL")
	a.expect("GET", "/clients/12345", "", 404, `"not_found"`)
	req := httptest.NewRequest("POST", "/snapshot", strings.NewReader(`{"compression":"Deflated","snapshot_types":["All"]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.srv.App().Test(req, -1)
	if err != nil || resp.StatusCode != nethttp.StatusOK || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("snapshot: %v %v", resp, err)
	}

	// The reader has no rights now: 403 with Iggy's body.
	a.login("reader2", "reader-new")
	a.expect("GET", "/streams", "", 403, `"code":"unauthorized"`)
	a.expect("GET", "/users/reader2", "", 200, `"permissions":null`)
	a.login(brokertest.RootUser, brokertest.RootPassword)
	a.expect("DELETE", "/users/reader2", "", 204, "")
	a.expect("DELETE", "/users/0", "", 400, `"id":48`)
}

// testJWT is the token configuration of the test servers: Iggy's issuer
// and audience, one hour, a fixed 32-byte secret.
func testJWT() JWT {
	return JWT{Issuer: "iggy.apache.org", Audience: "iggy.apache.org", ValidIssuers: []string{"iggy.apache.org"},
		ValidAudiences: []string{"iggy.apache.org"}, Expiry: time.Hour, Secret: []byte("0123456789abcdef0123456789abcdef")}
}
