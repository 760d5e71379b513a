package http

import (
	"regexp"
	"slices"
	"testing"
)

// TestEveryRouteRefusedWithoutToken walks every route the app registered
// (not a hand-kept list) without a token: the public ones (root, ping and
// the three logins) are not refused as unauthenticated, every other one
// answers 401. Each route must also be named (routeName), so a new
// route cannot slip past this walk unnamed. The dashboard's routes are
// walked by TestDashboardRefusesStrangers.
func TestEveryRouteRefusedWithoutToken(t *testing.T) {
	a := newAPI(t)
	public := []string{"/", "/ping", "/health", "/users/login", "/users/refresh-token", "/personal-access-tokens/login"}
	param := regexp.MustCompile(`:[a-z_]+`)
	walked := 0
	for _, r := range a.srv.App().GetRoutes(true) {
		if r.Method != "HEAD" {
			if _, ok := routeName(r.Method + " " + r.Path); !ok {
				t.Errorf("%s %s is in neither routeCommands nor httpOnlyRoutes", r.Method, r.Path)
			}
		}
		path := param.ReplaceAllString(r.Path, "1")
		status, body := a.call(r.Method, path, "")
		walked++
		if slices.Contains(public, r.Path) {
			if status == 401 {
				t.Errorf("public %s %s answered 401: %s", r.Method, path, body)
			}
			continue
		}
		if status != 401 {
			t.Errorf("%s %s without a token answered %d, want 401: %s", r.Method, path, status, body)
		}
	}
	if named := len(routeCommands) + len(httpOnlyRoutes); walked < named-1 { // GET /metrics is not mounted here
		t.Errorf("walked %d routes, the route tables name %d", walked, named)
	}
}
