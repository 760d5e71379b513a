package http

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/wire/rest"
)

// callAuth sends GET /streams with the given Authorization header (none
// when empty) and returns the status and the decoded error body.
func (a *api) callAuth(header string) (int, rest.Error, string) {
	a.t.Helper()
	req := httptest.NewRequest("GET", "/streams", nil)
	if header != "" {
		req.Header.Set("Authorization", header)
	}
	resp, err := a.srv.App().Test(req, -1)
	if err != nil {
		a.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	var eb rest.Error
	if resp.StatusCode != 200 {
		if err := json.Unmarshal(b, &eb); err != nil {
			a.t.Fatalf("%d body %q is not Iggy's error JSON: %v", resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode, eb, string(b)
}

func (a *api) sign(cl jwt.RegisteredClaims, secret string) string {
	a.t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, cl).SignedString([]byte(secret))
	if err != nil {
		a.t.Fatal(err)
	}
	return tok
}

// TestUnauthorizedBodies: every refused token is a 401 (Iggy's status)
// with Iggy's error body, whose reason says what is wrong.
func TestUnauthorizedBodies(t *testing.T) {
	a := newAPI(t)
	const secret = "0123456789abcdef0123456789abcdef"
	claims := func(exp time.Time, jti string) jwt.RegisteredClaims {
		return jwt.RegisteredClaims{ID: jti, Subject: "0", Issuer: "iggy.apache.org", Audience: jwt.ClaimStrings{"iggy.apache.org"},
			IssuedAt: jwt.NewNumericDate(time.Now()), ExpiresAt: jwt.NewNumericDate(exp)}
	}
	a.login(brokertest.RootUser, brokertest.RootPassword)
	live := a.token
	a.expect("DELETE", "/users/logout", "", 204, "")
	foreignIssuer := claims(time.Now().Add(time.Hour), "j2")
	foreignIssuer.Issuer = "someone.else"

	for _, tc := range []struct {
		name, header string
		id           uint32
		code, reason string
	}{
		{"no header", "", 77, "access_token_missing", "no access token"},
		{"not bearer", "Basic aWdneTppZ2d5", 78, "invalid_access_token", "malformed Authorization header"},
		{"not a JWT", "Bearer abc.def", 78, "invalid_access_token", "malformed access token"},
		{"another secret", "Bearer " + a.sign(claims(time.Now().Add(time.Hour), "j1"), "another-secret-another-secret-xx"), 78, "invalid_access_token", "signature is invalid"},
		{"expired", "Bearer " + a.sign(claims(time.Now().Add(-time.Hour), "j3"), secret), 78, "invalid_access_token", "expired at"},
		{"foreign issuer", "Bearer " + a.sign(foreignIssuer, secret), 78, "invalid_access_token", "issuer \"someone.else\" is not accepted"},
		{"revoked", "Bearer " + live, 78, "invalid_access_token", "revoked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, eb, raw := a.callAuth(tc.header)
			if st != 401 || eb.ID != tc.id || eb.Code != tc.code || !strings.Contains(eb.Reason, tc.reason) || eb.Field != nil {
				t.Errorf("%d %s, want 401 {id %d, code %s, reason containing %q}", st, raw, tc.id, tc.code, tc.reason)
			}
			if !strings.Contains(raw, `"field":null`) {
				t.Errorf("body lacks Iggy's field key: %s", raw)
			}
		})
	}
}

// TestForbiddenBody: a logged-in user without the permission gets 403 with
// Iggy's error body saying what was refused.
func TestForbiddenBody(t *testing.T) {
	a := newAPI(t)
	a.login(brokertest.RootUser, brokertest.RootPassword)
	a.expect("POST", "/users", `{"username":"reader","password":"reader-pass","status":"active"}`, 200, "")
	a.login("reader", "reader-pass")
	b := a.expect("POST", "/streams", `{"name":"orders"}`, 403, `"code":"unauthorized"`)
	var eb rest.Error
	if err := json.Unmarshal([]byte(b), &eb); err != nil || eb.ID != 41 || !strings.Contains(eb.Reason, "permission") {
		t.Errorf("403 body %s (%v)", b, err)
	}
}
