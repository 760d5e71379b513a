package http

import (
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shalemq/shale/broker/brokertest"
)

// TestMetricsToken: without admin.metrics.token /metrics is public (as in
// Iggy); with it, only "Bearer <token>" is served, and no token, a wrong
// token or a user's access token get 401 with nothing of the metrics.
func TestMetricsToken(t *testing.T) {
	metrics := nethttp.HandlerFunc(func(w nethttp.ResponseWriter, _ *nethttp.Request) {
		_, _ = io.WriteString(w, "shale_clients 1\n")
	})
	serve := func(token string) *Server {
		srv, err := New(brokertest.New(t).Broker, Options{Metrics: metrics, MetricsToken: token,
			JWT: JWT{Issuer: "i", Audience: "a", ValidIssuers: []string{"i"}, ValidAudiences: []string{"a"},
				Expiry: time.Hour, Secret: []byte("0123456789abcdef0123456789abcdef")}})
		if err != nil {
			t.Fatal(err)
		}
		return srv
	}
	get := func(srv *Server, auth string) (int, string) {
		t.Helper()
		req := httptest.NewRequest("GET", "/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := srv.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, body := get(serve(""), ""); st != 200 || !strings.Contains(body, "shale_clients") {
		t.Errorf("public /metrics: %d %q", st, body)
	}
	srv := serve("scrape-secret")
	userToken, _, err := srv.issue(0)
	if err != nil {
		t.Fatal(err)
	}
	for _, auth := range []string{"", "Bearer wrong", "scrape-secret", "Bearer " + userToken} {
		if st, body := get(srv, auth); st != 401 || strings.Contains(body, "shale_clients") {
			t.Errorf("/metrics with %q: %d %q, want 401", auth, st, body)
		}
	}
	if st, body := get(srv, "Bearer scrape-secret"); st != 200 || !strings.Contains(body, "shale_clients") {
		t.Errorf("/metrics with the token: %d %q", st, body)
	}
}
