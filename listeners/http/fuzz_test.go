package http

import (
	"bytes"
	"encoding/json"
	"io"
	nethttp "net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/rest"
)

var fuzzMethods = []string{"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"}

// FuzzHTTPApp sends an arbitrary method, path and body through the Fiber
// app, in process, as root (so that every route is reached) against a
// broker holding one stream and topic. Whatever it sends, the app must
// not panic, must not answer 5xx (garbage is the client's fault), and
// every JSON error must be Iggy's body with a code that names itself.
// Routes that are slow by design (snapshot, backup) and logout, which
// would end the session, are left out.
func FuzzHTTPApp(f *testing.F) {
	for _, tc := range badInputs() {
		f.Add(methodIndex(tc.method), strings.TrimPrefix(tc.path, "/"), []byte(tc.body))
	}
	for _, path := range []string{"streams", "streams/s/topics/t", "users/0", "stats", "clients/1", "cluster/metadata",
		"streams/s/topics/t/messages?kind=first&count=5", "streams/s/topics/t/consumer-groups", "personal-access-tokens"} {
		f.Add(uint8(0), path, []byte(nil))
	}
	f.Add(uint8(1), "streams/s/topics/t/messages", []byte(`{"partitioning":{"kind":"balanced","value":""},"messages":[{"id":0,"payload":"aGk="}]}`))
	f.Add(uint8(1), "streams/s/topics/t/consumer-groups", []byte(`{"name":"g"}`))
	f.Add(uint8(2), "streams/s/topics/t/consumer-offsets", []byte(`{"consumer_id":1,"partition_id":0,"offset":0}`))

	a := newAPI(f)
	a.login(brokertest.RootUser, brokertest.RootPassword)
	a.expect("POST", "/streams", `{"name":"s"}`, 200, "")
	a.expect("POST", "/streams/s/topics", `{"name":"t","partitions_count":2,"compression_algorithm":"none","message_expiry":0,"max_topic_size":0}`, 200, "")
	f.Fuzz(func(t *testing.T, method uint8, path string, body []byte) {
		u, err := url.Parse("http://shale/" + path)
		if err != nil || strings.HasPrefix(u.Path, "/snapshot") || strings.HasPrefix(u.Path, BackupPath) || u.Path == "/users/logout" {
			return
		}
		req, err := nethttp.NewRequest(fuzzMethods[int(method)%len(fuzzMethods)], u.String(), bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+a.token)
		resp, err := a.srv.App().Test(req, -1)
		if err != nil {
			return // the request did not make it through fasthttp's parser
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s %q: %d %s", req.Method, u, body, resp.StatusCode, b)
		}
		if resp.StatusCode >= 400 && req.Method != "HEAD" && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			var e rest.Error
			if err := json.Unmarshal(b, &e); err != nil || e.Reason == "" {
				t.Fatalf("%s %s %q: %d %s is not Iggy's error body", req.Method, u, body, resp.StatusCode, b)
			}
			if e != notFound && wire.ErrorForCode(e.ID).Name != e.Code {
				t.Fatalf("%s %s %q: id %d named %q", req.Method, u, body, e.ID, e.Code)
			}
		}
	})
}

func methodIndex(m string) uint8 {
	for i, v := range fuzzMethods {
		if v == m {
			return uint8(i)
		}
	}
	return 0
}
