package http

import (
	nethttp "net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
)

// TestDashboardActions drives every state-changing form the way a browser
// posts it and checks the broker's state after each.
func TestDashboardActions(t *testing.T) {
	srv := newDashboard(t)
	resp, _ := dashCall(t, srv, "POST", "/ui/login", "", url.Values{"username": {brokertest.RootUser}, "password": {brokertest.RootPassword}}, nil)
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == "shale_ui" {
			cookie = c.Value
		}
	}
	_, page := dashCall(t, srv, "GET", "/ui/streams", cookie, nil, nil)
	csrf := regexp.MustCompile(`name="_csrf" value="([0-9a-f]+)"`).FindStringSubmatch(page)[1]
	root := mustRoot(t, srv)
	post := func(path string, form url.Values, wantOK bool) string {
		t.Helper()
		form.Set("_csrf", csrf)
		resp, _ := dashCall(t, srv, "POST", path, cookie, form, nil)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != nethttp.StatusSeeOther || strings.Contains(loc, "err=") == wantOK {
			t.Fatalf("POST %s %v: %d to %q", path, form, resp.StatusCode, loc)
		}
		return loc
	}
	post("/ui/streams", url.Values{"name": {"orders"}}, true)
	post("/ui/streams", url.Values{"name": {"orders"}}, false) // taken
	post("/ui/streams/0/topics", url.Values{"name": {"placed"}, "partitions": {"2"}, "expiry": {"7d"}, "max_size": {"1 GiB"}}, true)
	post("/ui/streams/0/topics", url.Values{"name": {"bad"}, "expiry": {"soon"}}, false)
	ti, ok, _ := srv.b.Topic(root, broker.ByID(0), broker.ByID(0))
	if !ok || ti.PartitionsCount != 2 || ti.MessageExpiry != uint64(7*24*time.Hour/time.Microsecond) || ti.MaxTopicSize != 1<<30 {
		t.Fatalf("created topic: %+v", ti)
	}
	post("/ui/streams/0/topics/0/update", url.Values{"name": {"placed"}, "expiry": {"never"}, "max_size": {"unlimited"}}, true)
	post("/ui/streams/0/topics/0/partitions", url.Values{"count": {"1"}, "op": {"add"}}, true)
	ti, _, _ = srv.b.Topic(root, broker.ByID(0), broker.ByID(0))
	if ti.PartitionsCount != 3 || ti.MessageExpiry != broker.Unlimited || ti.MaxTopicSize != broker.Unlimited {
		t.Fatalf("updated topic: %+v", ti)
	}
	post("/ui/streams/0/topics/0/send", url.Values{"payload": {`{"hello":"world"}`}, "headers": {"source: dashboard"}, "partition": {"1"}}, true)
	post("/ui/streams/0/topics/0/send", url.Values{"payload": {"x"}, "headers": {"no colon"}}, false)
	_, page = dashCall(t, srv, "GET", "/ui/streams/0/topics/0/messages?partition=1&strategy=first&format=json", cookie, nil, nil)
	if !strings.Contains(page, "&#34;hello&#34;: &#34;world&#34;") || !strings.Contains(page, "dashboard") {
		t.Fatalf("sent message not shown:\n%s", page)
	}
	post("/ui/streams/0/topics/0/purge", url.Values{}, true)
	if ti, _, _ = srv.b.Topic(root, broker.ByID(0), broker.ByID(0)); ti.MessagesCount != 0 {
		t.Fatalf("after purge: %d messages", ti.MessagesCount)
	}
	post("/ui/streams/0/topics/0/delete", url.Values{}, true)
	if _, ok, _ := srv.b.Topic(root, broker.ByID(0), broker.ByID(0)); ok {
		t.Fatal("topic not deleted")
	}
	post("/ui/streams/0/update", url.Values{"name": {"orders-v2"}}, true)
	post("/ui/streams/0/purge", url.Values{}, true)
	post("/ui/streams/0/delete", url.Values{}, true)
	if list, _ := srv.b.Streams(root); len(list) != 0 {
		t.Fatalf("streams left: %+v", list)
	}
	// Every page still draws for a signed-in user.
	for _, p := range []string{"/ui/", "/ui/streams", "/ui/groups", "/ui/users", "/ui/backups", "/ui/health"} {
		if resp, body := dashCall(t, srv, "GET", p, cookie, nil, nil); resp.StatusCode != 200 || !strings.Contains(body, "</html>") {
			t.Fatalf("GET %s: %d", p, resp.StatusCode)
		}
	}
}
