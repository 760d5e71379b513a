package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/rest"
)

// TestBadInputOverHTTP is the short form, against the built binary over a
// real socket, of listeners/http's TestBadInputTable, plus what only a
// real socket shows: a body over http.max_request_size is 413 and a
// 64 KiB header 431 (or a reset). Each answer has Iggy's status, and Iggy's JSON error
// body where a code applies; the server keeps serving and nothing of the
// table was created.
func TestBadInputOverHTTP(t *testing.T) {
	s := Start(t, "")
	base := "http://" + s.Ports.HTTP
	do := func(method, path, body string, hdr map[string]string) (int, string) {
		t.Helper()
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, base+path, r)
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	st, b := do("POST", "/users/login", `{"username":"`+RootUser+`","password":"`+RootPassword+`"}`, nil)
	var id rest.Identity
	if err := json.Unmarshal([]byte(b), &id); st != 200 || err != nil {
		t.Fatalf("login: %d %s", st, b)
	}
	auth := map[string]string{"Authorization": "Bearer " + id.AccessToken.Token}
	bearer := "Authorization: " + auth["Authorization"]
	if st, b := do("POST", "/streams", `{"name":"s"}`, auth); st != 200 {
		t.Fatalf("create stream: %d %s", st, b)
	}
	if st, b := do("POST", "/streams/s/topics", `{"name":"t","partitions_count":1,"compression_algorithm":"none","message_expiry":0,"max_topic_size":0}`, auth); st != 200 {
		t.Fatalf("create topic: %d %s", st, b)
	}
	topic := `{"name":"t2","partitions_count":1,"compression_algorithm":"none","message_expiry":0,"max_topic_size":0`
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     *wire.Error
	}{
		{"not JSON", "POST", "/streams", `{"name":`, 400, nil},
		{"invalid UTF-8", "POST", "/streams", "{\"name\":\"\xff\"}", 400, nil},
		{"wrong type", "POST", "/streams", `{"name":7}`, 422, nil},
		{"missing field", "POST", "/streams", `{}`, 422, nil},
		{"number over u32", "POST", "/streams/s/topics", topic + `,"partitions_count":4294967296}`, 422, nil},
		{"payload not base64", "POST", "/streams/s/topics/t/messages", `{"partitioning":{"kind":"balanced","value":""},"messages":[{"id":0,"payload":"!!!!"}]}`, 422, nil},
		{"replication factor 0", "POST", "/streams/s/topics", topic + `,"replication_factor":0}`, 400, wire.ErrInvalidReplicationFactor},
		{"delete 0 partitions", "DELETE", "/streams/s/topics/t/partitions?partitions_count=0", "", 400, wire.ErrTooManyPartitions},
		{"name of 256 bytes in the path", "GET", "/streams/" + strings.Repeat("n", 256), "", 400, wire.ErrInvalidIdentifier},
		{"partition id not a number", "GET", "/streams/s/topics/t/messages/flush/x/true", "", 400, nil},
	}
	for _, tc := range cases {
		st, b := do(tc.method, tc.path, tc.body, auth)
		if st != tc.status {
			t.Errorf("%s: %d %.200s, want %d", tc.name, st, b, tc.status)
			continue
		}
		if tc.code != nil {
			var e rest.Error
			if err := json.Unmarshal([]byte(b), &e); err != nil || e.ID != tc.code.Code || e.Code != tc.code.Name {
				t.Errorf("%s: %.200s, want Iggy's body with id %d", tc.name, b, tc.code.Code)
			}
		}
	}
	// Sizes, over a raw connection: the server answers before reading
	// what it refuses and closes, which can reset a client still writing.
	// A body over http.max_request_size is refused from its
	// Content-Length, before any of it is sent.
	if st := rawStatus(t, s.Ports.HTTP, "POST /streams HTTP/1.1\r\nHost: x\r\n"+bearer+
		"\r\nContent-Type: application/json\r\nContent-Length: 2100000\r\n\r\n"); st != 413 {
		t.Errorf("body over 2 MB: %d, want 413", st)
	}
	// Headers over the read buffer: 431, or a reset if the refusal
	// closes the connection before the answer reaches us (0).
	if st := rawStatus(t, s.Ports.HTTP, "GET /streams HTTP/1.1\r\nHost: x\r\nX-Padding: "+strings.Repeat("h", 64<<10)+"\r\n\r\n"); st != 431 && st != 0 {
		t.Errorf("64 KiB header: %d, want 431", st)
	}
	if st, b := do("GET", "/streams", "", auth); st != 200 || strings.Count(b, `"id":`) != 1 || !strings.Contains(b, `"topics_count":1`) {
		t.Fatalf("after the table: %d %s", st, b)
	}
}

// rawStatus writes req on a fresh connection and returns the answer's
// status, or 0 when the connection ends (or is reset) before one.
func rawStatus(t *testing.T, addr, req string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = c.Write([]byte(req)) // a reset while writing still leaves the answer to read
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return 0
	}
	var proto string
	var status int
	if _, err := fmt.Sscanf(line, "%s %d", &proto, &status); err != nil {
		t.Fatalf("status line %q: %v", line, err)
	}
	return status
}
