package http

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/rest"
)

// badInput is one malformed request and the answer Iggy 0.8 gives it
// (docs/protocol/http.md §1.5): either a JSON error body with an Iggy
// code, or a framework answer with a plain-text body starting with text.
type badInput struct {
	name         string
	method, path string
	body         string
	contentType  string // "" = application/json when there is a body
	status       int
	code         *wire.Error // the JSON body's id; nil = a plain-text answer
	text         string      // the plain-text body's prefix
}

const (
	notJSON   = "Failed to parse the request body as JSON"
	wrongType = "Failed to deserialize the JSON body into the target type"
	badQuery  = "Failed to deserialize query string"
	badURL    = "Invalid URL"
)

// badInputs is the table (oversized bodies and headers need a real
// socket: integration's TestBadInputOverHTTP). The fixture has stream "s" (0) with topic "t"
// (0) of one partition.
func badInputs() []badInput {
	topics := "/streams/s/topics"
	topic := topics + "/t"
	msgs := topic + "/messages"
	long := strings.Repeat("n", 256)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	send := func(part, msg string) string {
		return `{"partitioning":` + part + `,"messages":[` + msg + `]}`
	}
	balanced := `{"kind":"balanced","value":""}`
	okMsg := `{"id":0,"payload":"` + b64("hello") + `"}`
	newTopic := func(fields string) string {
		return `{"name":"t2","partitions_count":1,"compression_algorithm":"none","message_expiry":0,"max_topic_size":0` + fields + `}`
	}
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	text := func(name, method, path, body string, status int, prefix string) badInput {
		return badInput{name: name, method: method, path: path, body: body, status: status, text: prefix}
	}
	coded := func(name, method, path, body string, status int, code *wire.Error) badInput {
		return badInput{name: name, method: method, path: path, body: body, status: status, code: code}
	}
	return []badInput{
		// Bodies that are not JSON: 400 (415 for the wrong content type).
		text("unterminated object", "POST", "/streams", `{"name":`, 400, notJSON),
		text("trailing comma", "POST", "/streams", `{"name":"a",}`, 400, notJSON),
		text("not JSON at all", "POST", "/streams", `name=a`, 400, notJSON),
		text("two documents", "POST", "/streams", `{"name":"a"} {"name":"b"}`, 400, notJSON),
		text("invalid UTF-8 in a string", "POST", "/streams", "{\"name\":\"a\xff\"}", 400, notJSON),
		text("nested 20,000 deep", "POST", "/streams", deep, 400, notJSON),
		text("broken login body", "POST", "/users/login", `{"username":`, 400, notJSON),
		text("broken send body", "POST", msgs, `{"partitioning":{"kind":`, 400, notJSON),
		{name: "text/plain body", method: "POST", path: "/streams", body: `{"name":"a"}`, contentType: "text/plain",
			status: 415, text: "Expected request with `Content-Type: application/json`"},
		// JSON of the wrong shape or type: 422.
		text("array for an object", "POST", "/streams", `[]`, 422, wrongType),
		text("null for an object", "POST", "/streams", `null`, 422, wrongType),
		text("string for an object", "POST", "/streams", `"a"`, 422, wrongType),
		text("number for a name", "POST", "/streams", `{"name":1}`, 422, wrongType),
		text("missing name", "POST", "/streams", `{}`, 422, wrongType),
		text("null name", "POST", "/streams", `{"name":null}`, 422, wrongType),
		text("name under another case", "POST", "/streams", `{"NAME":"a"}`, 422, wrongType),
		text("missing password", "POST", "/users/login", `{"username":"iggy"}`, 422, wrongType),
		text("missing user status", "POST", "/users", `{"username":"someone","password":"secret"}`, 422, wrongType),
		text("partitions as a string", "POST", topics, `{"name":"t2","partitions_count":"1","compression_algorithm":"none","message_expiry":0,"max_topic_size":0}`, 422, wrongType),
		text("negative partitions", "POST", topics, `{"name":"t2","partitions_count":-1,"compression_algorithm":"none","message_expiry":0,"max_topic_size":0}`, 422, wrongType),
		text("fractional partitions", "POST", topics, `{"name":"t2","partitions_count":1.5,"compression_algorithm":"none","message_expiry":0,"max_topic_size":0}`, 422, wrongType),
		text("unknown compression", "POST", topics, `{"name":"t2","partitions_count":1,"compression_algorithm":"zip","message_expiry":0,"max_topic_size":0}`, 422, wrongType),
		text("permissions keyed by a name", "POST", "/users", `{"username":"someone","password":"secret","status":"active","permissions":{"global":{"manage_servers":false,"read_servers":false,"manage_users":false,"read_users":false,"manage_streams":false,"read_streams":false,"manage_topics":false,"read_topics":false,"poll_messages":false,"send_messages":false},"streams":{"abc":{"manage_stream":false,"read_stream":true,"manage_topics":false,"read_topics":false,"poll_messages":false,"send_messages":false}}}}`, 422, wrongType),
		text("offset as a string", "PUT", topic+"/consumer-offsets", `{"consumer_id":1,"partition_id":0,"offset":"1"}`, 422, wrongType),
		text("negative token expiry", "POST", "/personal-access-tokens", `{"name":"tok","expiry":-5}`, 422, wrongType),
		text("unknown snapshot compression", "POST", "/snapshot", `{"compression":"Zip","snapshot_types":["All"]}`, 422, wrongType),
		// Numbers too big for their field: 422.
		text("partitions over u32", "POST", topics, newTopic(`,"partitions_count":4294967296`), 422, wrongType),
		text("expiry over u64", "POST", topics, newTopic(`,"message_expiry":18446744073709551616`), 422, wrongType),
		text("size of 400 digits", "POST", topics, newTopic(`,"max_topic_size":1`+strings.Repeat("0", 400)), 422, wrongType),
		text("size as 1e400", "POST", topics, newTopic(`,"max_topic_size":1e400`), 422, wrongType),
		text("replication factor over u8", "POST", topics, newTopic(`,"replication_factor":256`), 422, wrongType),
		text("partition over u32 in an offset", "PUT", topic+"/consumer-offsets", `{"consumer_id":1,"partition_id":4294967296,"offset":1}`, 422, wrongType),
		text("message id over u128", "POST", msgs, send(balanced, `{"id":"340282366920938463463374607431768211456","payload":"`+b64("x")+`"}`), 422, wrongType),
		text("negative message id", "POST", msgs, send(balanced, `{"id":-1,"payload":"`+b64("x")+`"}`), 422, wrongType),
		// Base64 that is not: 422.
		text("payload not base64", "POST", msgs, send(balanced, `{"id":0,"payload":"!!!!"}`), 422, wrongType),
		text("payload without padding", "POST", msgs, send(balanced, `{"id":0,"payload":"aGk"}`), 422, wrongType),
		text("partition id not base64", "POST", msgs, send(`{"kind":"partition_id","value":"%%%%"}`, okMsg), 422, wrongType),
		text("header value not base64", "POST", msgs, send(balanced, `{"id":0,"payload":"`+b64("x")+`","user_headers":[{"key":{"kind":"string","value":"`+b64("k")+`"},"value":{"kind":"string","value":"***"}}]}`), 422, wrongType),
		text("pre-encoded headers not base64", "POST", msgs, send(balanced, `{"id":0,"payload":"`+b64("x")+`","user_headers":"@@@@"}`), 422, wrongType),
		// Rules the broker checks on well-formed input: Iggy's codes.
		coded("replication factor 0", "POST", topics, newTopic(`,"replication_factor":0`), 400, wire.ErrInvalidReplicationFactor),
		coded("partition id of 2 bytes", "POST", msgs, send(`{"kind":"partition_id","value":"`+b64("ab")+`"}`, okMsg), 400, wire.ErrInvalidCommand),
		coded("empty partition id", "POST", msgs, send(`{"kind":"partition_id","value":""}`, okMsg), 400, wire.ErrInvalidKeyValueLength),
		coded("delete 0 partitions", "DELETE", topic+"/partitions?partitions_count=0", "", 400, wire.ErrTooManyPartitions),
		coded("delete 1001 partitions", "DELETE", topic+"/partitions?partitions_count=1001", "", 400, wire.ErrTooManyPartitions),
		coded("create 0 partitions", "POST", topic+"/partitions", `{"partitions_count":0}`, 400, wire.ErrTooManyPartitions),
		coded("empty stream name", "POST", "/streams", `{"name":""}`, 400, wire.ErrInvalidStreamName),
		coded("stream name of 256 bytes", "POST", "/streams", `{"name":"`+long+`"}`, 400, wire.ErrInvalidStreamName),
		coded("no messages", "POST", msgs, send(balanced, ""), 400, wire.ErrInvalidMessagesCount),
		coded("messages key of 256 bytes", "POST", msgs, send(`{"kind":"messages_key","value":"`+b64(strings.Repeat("k", 256))+`"}`, okMsg), 400, wire.ErrInvalidKeyValueLength),
		text("user headers over 100,000 bytes", "POST", msgs, send(balanced, `{"id":0,"payload":"`+b64("x")+`","user_headers":"`+b64(strings.Repeat("h", 100_001))+`"}`), 422, wrongType),
		// Identifiers in the path.
		coded("stream name of 256 bytes in the path", "GET", "/streams/"+long, "", 400, wire.ErrInvalidIdentifier),
		coded("topic name of 256 bytes in the path", "DELETE", topics+"/"+long, "", 400, wire.ErrInvalidIdentifier),
		coded("user name of 256 bytes in the path", "GET", "/users/"+long, "", 400, wire.ErrInvalidIdentifier),
		coded("group name of 256 bytes in the path", "GET", topic+"/consumer-groups/"+long, "", 400, wire.ErrInvalidIdentifier),
		coded("consumer of 256 bytes in the path", "DELETE", topic+"/consumer-offsets/"+long, "", 400, wire.ErrInvalidIdentifier),
		coded("stream id over u32 is a name", "DELETE", "/streams/4294967296", "", 404, wire.ErrStreamIDNotFound),
		coded("negative stream id is a name", "DELETE", "/streams/-1", "", 404, wire.ErrStreamIDNotFound),
		coded("missing stream id", "DELETE", "/streams/7", "", 404, wire.ErrStreamIDNotFound),
		coded("missing partition", "GET", topic+"/messages/flush/9/true", "", 404, wire.ErrPartitionNotFound),
		text("partition id not a number", "DELETE", topic+"/partitions/abc?segments_count=1", "", 400, badURL),
		text("negative partition id", "DELETE", topic+"/partitions/-1?segments_count=1", "", 400, badURL),
		text("partition id over u32", "GET", topic+"/messages/flush/4294967296/true", "", 400, badURL),
		text("fsync not a bool", "GET", topic+"/messages/flush/0/maybe", "", 400, badURL),
		text("client id not a number", "GET", "/clients/x", "", 400, badURL),
		text("client id over u32", "GET", "/clients/4294967296", "", 400, badURL),
		// Paths match exactly, as Iggy's router does: 404 with no body.
		text("path in capitals", "GET", "/STREAMS", "", 404, ""),
		text("path with a trailing slash", "GET", "/streams/", "", 404, ""),
		// Query values.
		text("partitions count not a number", "DELETE", topic+"/partitions?partitions_count=many", "", 400, badQuery),
		text("partitions count over u32", "DELETE", topic+"/partitions?partitions_count=4294967296", "", 400, badQuery),
		text("segments count missing", "DELETE", topic+"/partitions/0", "", 400, badQuery),
		text("poll count negative", "GET", msgs+"?kind=first&count=-1", "", 400, badQuery),
		text("poll value over u64", "GET", msgs+"?kind=offset&value=18446744073709551616", "", 400, badQuery),
		text("poll partition not a number", "GET", msgs+"?kind=first&partition_id=zero", "", 400, badQuery),
		text("poll kind unknown", "GET", msgs+"?kind=sideways", "", 400, badQuery),
	}
}

// TestBadInputTable sends every malformed request of the table as root
// and checks the status and the body: Iggy's JSON error shape with its
// code for the broker's rules, a plain-text reason for the framework's,
// never a 5xx, never an internal path or Go type name in the reason.
func TestBadInputTable(t *testing.T) {
	a := newAPI(t)
	a.login(brokertest.RootUser, brokertest.RootPassword)
	a.expect("POST", "/streams", `{"name":"s"}`, 200, `"name":"s"`)
	a.expect("POST", "/streams/s/topics", `{"name":"t","partitions_count":1,"compression_algorithm":"none","message_expiry":0,"max_topic_size":0}`, 200, `"name":"t"`)
	for _, tc := range badInputs() {
		status, ctype, body := a.send(tc)
		checkBadAnswer(t, tc, status, ctype, body)
	}
	// Nothing of the table was created.
	a.expect("GET", "/streams", "", 200, `"topics_count":1`)
	if _, b := a.call("GET", "/streams", ""); strings.Count(b, `"id":`) != 1 {
		t.Errorf("the table created streams: %s", b)
	}
}

// send sends one table row and returns the status, content type and body.
func (a *api) send(tc badInput) (int, string, string) {
	a.t.Helper()
	var r io.Reader
	if tc.body != "" {
		r = strings.NewReader(tc.body)
	}
	req := httptest.NewRequest(tc.method, tc.path, r)
	if tc.body != "" {
		ct := tc.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := a.srv.App().Test(req, -1)
	if err != nil {
		a.t.Fatalf("%s: %v", tc.name, err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// checkBadAnswer checks one answer against its row.
func checkBadAnswer(t testing.TB, tc badInput, status int, ctype, body string) {
	t.Helper()
	if status != tc.status {
		t.Errorf("%s: %d %.200s, want %d", tc.name, status, body, tc.status)
		return
	}
	if tc.code == nil {
		if tc.text == "" && body != "" {
			t.Errorf("%s: body %.200q, want none", tc.name, body)
		}
		if !strings.HasPrefix(body, tc.text) || (tc.text != "" && !strings.HasPrefix(ctype, "text/plain")) {
			t.Errorf("%s: %s %.200q, want text starting %q", tc.name, ctype, body, tc.text)
		}
		return
	}
	var e rest.Error
	if err := json.Unmarshal([]byte(body), &e); err != nil || !strings.HasPrefix(ctype, "application/json") {
		t.Errorf("%s: %s %.200q is not Iggy's JSON error: %v", tc.name, ctype, body, err)
		return
	}
	if e.ID != tc.code.Code || e.Code != tc.code.Name || e.Reason == "" {
		t.Errorf("%s: %s, want id %d code %s", tc.name, body, tc.code.Code, tc.code.Name)
	}
	for _, leak := range []string{"/", ".go", "runtime", "goroutine", "*"} {
		if strings.Contains(e.Reason, leak) {
			t.Errorf("%s: the reason %q holds %q", tc.name, e.Reason, leak)
		}
	}
}
