package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/rest"
)

// TestBadInputOverHTTP is the short form, against the built binary over a
// real socket, of listeners/http's TestBadInputTable, plus what only a
// real socket shows: a body over http.max_request_size is 413 and a
// 64 KiB header 431. Each answer has Iggy's status, and Iggy's JSON error
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
	if st, b := do("POST", "/streams", `{"name":"s"}`, auth); st != 200 {
		t.Fatalf("create stream: %d %s", st, b)
	}
	if st, b := do("POST", "/streams/s/topics", `{"name":"t","partitions_count":1,"compression_algorithm":"none","message_expiry":0,"max_topic_size":0}`, auth); st != 200 {
		t.Fatalf("create topic: %d %s", st, b)
	}
	topic := `{"name":"t2","partitions_count":1,"compression_algorithm":"none","message_expiry":0,"max_topic_size":0`
	cases := []struct {
		name, method, path, body string
		header                   string
		status                   int
		code                     *wire.Error
	}{
		{"not JSON", "POST", "/streams", `{"name":`, "", 400, nil},
		{"invalid UTF-8", "POST", "/streams", "{\"name\":\"\xff\"}", "", 400, nil},
		{"wrong type", "POST", "/streams", `{"name":7}`, "", 422, nil},
		{"missing field", "POST", "/streams", `{}`, "", 422, nil},
		{"number over u32", "POST", "/streams/s/topics", topic + `,"partitions_count":4294967296}`, "", 422, nil},
		{"payload not base64", "POST", "/streams/s/topics/t/messages", `{"partitioning":{"kind":"balanced","value":""},"messages":[{"id":0,"payload":"!!!!"}]}`, "", 422, nil},
		{"replication factor 0", "POST", "/streams/s/topics", topic + `,"replication_factor":0}`, "", 400, wire.ErrInvalidReplicationFactor},
		{"delete 0 partitions", "DELETE", "/streams/s/topics/t/partitions?partitions_count=0", "", "", 400, wire.ErrTooManyPartitions},
		{"name of 256 bytes in the path", "GET", "/streams/" + strings.Repeat("n", 256), "", "", 400, wire.ErrInvalidIdentifier},
		{"partition id not a number", "GET", "/streams/s/topics/t/messages/flush/x/true", "", "", 400, nil},
		{"body over 2 MB", "POST", "/streams", `{"name":"` + strings.Repeat("x", 2_100_000) + `"}`, "", 413, nil},
		{"64 KiB header", "GET", "/streams", "", strings.Repeat("h", 64<<10), 431, nil},
	}
	for _, tc := range cases {
		hdr := map[string]string{"Authorization": auth["Authorization"]}
		if tc.header != "" {
			hdr["X-Padding"] = tc.header
		}
		st, b := do(tc.method, tc.path, tc.body, hdr)
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
	if st, b := do("GET", "/streams", "", auth); st != 200 || strings.Count(b, `"id":`) != 1 || !strings.Contains(b, `"topics_count":1`) {
		t.Fatalf("after the table: %d %s", st, b)
	}
}
