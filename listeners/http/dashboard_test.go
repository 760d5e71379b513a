package http

import (
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/shalemq/shale/admin"
	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
)

func newDashboard(t *testing.T) *Server {
	t.Helper()
	env := brokertest.New(t)
	srv, err := New(env.Broker, Options{
		JWT:       testJWT(),
		Dashboard: &admin.Options{Durability: "sync", Version: "test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.dash.Close() })
	return srv
}

func dashCall(t *testing.T, srv *Server, method, path, cookie string, form url.Values, hdr map[string]string) (*nethttp.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != "" {
		req.Header.Set("Cookie", "shale_ui="+cookie)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := srv.App().Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestDashboardRefusesStrangers walks every dashboard route without a
// session, with a forged cookie and with a REST bearer token: each is
// refused (401, or a redirect to the sign-in page) and shows no data.
func TestDashboardRefusesStrangers(t *testing.T) {
	srv := newDashboard(t)
	if _, err := srv.b.CreateStream(mustRoot(t, srv), "secret-stream"); err != nil {
		t.Fatal(err)
	}
	tok, _, err := srv.issue(0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range admin.Routes() {
		for _, who := range []struct {
			name   string
			cookie string
			hdr    map[string]string
		}{
			{"no session", "", nil},
			{"forged cookie", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIwIn0.", nil},
			{"bearer token only", "", map[string]string{"Authorization": "Bearer " + tok}},
		} {
			resp, body := dashCall(t, srv, r[0], r[1], who.cookie, url.Values{"name": {"x"}}, who.hdr)
			switch resp.StatusCode {
			case nethttp.StatusUnauthorized:
			case nethttp.StatusSeeOther:
				if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/ui/login") {
					t.Errorf("%s %s (%s): redirect to %q, want the sign-in page", r[0], r[1], who.name, loc)
				}
			default:
				t.Errorf("%s %s (%s): status %d, want 401 or 303 to sign-in", r[0], r[1], who.name, resp.StatusCode)
			}
			if strings.Contains(body, "secret-stream") {
				t.Errorf("%s %s (%s): body shows data", r[0], r[1], who.name)
			}
		}
	}
	// Nothing was created by the refused posts.
	list, _ := srv.b.Streams(mustRoot(t, srv))
	if len(list) != 1 {
		t.Fatalf("streams after refused posts: %d, want 1", len(list))
	}
}

// TestDashboardSession: sign-in sets an HttpOnly SameSite=Strict cookie;
// posts need the CSRF token and a same-site origin; sign-out revokes the
// session.
func TestDashboardSession(t *testing.T) {
	srv := newDashboard(t)
	resp, _ := dashCall(t, srv, "POST", "/ui/login", "", url.Values{"username": {brokertest.RootUser}, "password": {"wrong"}}, nil)
	if resp.StatusCode != nethttp.StatusUnauthorized || len(resp.Cookies()) != 0 {
		t.Fatalf("wrong password: %d %v", resp.StatusCode, resp.Cookies())
	}
	resp, _ = dashCall(t, srv, "POST", "/ui/login", "", url.Values{"username": {brokertest.RootUser}, "password": {brokertest.RootPassword}},
		map[string]string{"Origin": "https://evil.example"})
	if resp.StatusCode != nethttp.StatusForbidden {
		t.Fatalf("cross-site sign-in: %d", resp.StatusCode)
	}
	resp, _ = dashCall(t, srv, "POST", "/ui/login", "", url.Values{"username": {brokertest.RootUser}, "password": {brokertest.RootPassword},
		"next": {"//evil.example/"}}, nil)
	if resp.StatusCode != nethttp.StatusSeeOther || resp.Header.Get("Location") != "/ui/" {
		t.Fatalf("sign-in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == "shale_ui" {
			cookie = c.Value
			if !c.HttpOnly || c.SameSite != nethttp.SameSiteStrictMode || c.Path != "/ui" {
				t.Fatalf("cookie attributes: %+v", c)
			}
		}
	}
	if cookie == "" {
		t.Fatal("no session cookie")
	}
	resp, page := dashCall(t, srv, "GET", "/ui/streams", cookie, nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("streams page: %d", resp.StatusCode)
	}
	m := regexp.MustCompile(`name="_csrf" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token in the page")
	}
	csrf := m[1]
	resp, _ = dashCall(t, srv, "POST", "/ui/streams", cookie, url.Values{"name": {"no-token"}}, nil)
	if resp.StatusCode != nethttp.StatusForbidden {
		t.Fatalf("post without CSRF token: %d", resp.StatusCode)
	}
	resp, _ = dashCall(t, srv, "POST", "/ui/streams", cookie, url.Values{"name": {"cross"}, "_csrf": {csrf}},
		map[string]string{"Origin": "https://evil.example"})
	if resp.StatusCode != nethttp.StatusForbidden {
		t.Fatalf("cross-origin post: %d", resp.StatusCode)
	}
	resp, _ = dashCall(t, srv, "POST", "/ui/streams", cookie, url.Values{"name": {"made-here"}, "_csrf": {csrf}}, nil)
	if resp.StatusCode != nethttp.StatusSeeOther {
		t.Fatalf("create stream: %d", resp.StatusCode)
	}
	if list, _ := srv.b.Streams(mustRoot(t, srv)); len(list) != 1 || list[0].Name != "made-here" {
		t.Fatalf("streams: %+v", list)
	}
	resp, _ = dashCall(t, srv, "POST", "/ui/logout", cookie, url.Values{"_csrf": {csrf}}, nil)
	if resp.StatusCode != nethttp.StatusSeeOther {
		t.Fatalf("sign-out: %d", resp.StatusCode)
	}
	resp, _ = dashCall(t, srv, "GET", "/ui/streams", cookie, nil, nil)
	if resp.StatusCode != nethttp.StatusSeeOther {
		t.Fatalf("old cookie after sign-out: %d, want a redirect to sign-in", resp.StatusCode)
	}
}

// mustRoot is a request session acting as the root user (id 0).
func mustRoot(t *testing.T, srv *Server) *broker.Session {
	t.Helper()
	s := srv.b.RequestSession(broker.TransportHTTP, "127.0.0.1:1")
	srv.b.AssumeUser(s, 0)
	return s
}
