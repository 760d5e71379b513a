package http

import (
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/wire"
)

// TestInternalErrorsAre500: a failure of the server's own (no Iggy code,
// code 1, a failed snapshot) is answered 500 with a generic reason and
// none of the cause's text; shutting down is 503; a request's own error
// stays 4xx with its reason.
func TestInternalErrorsAre500(t *testing.T) {
	srv := newAPI(t).srv
	cases := []struct {
		err        error
		status     int
		leaks      bool // the cause's text may appear (request errors)
		wantReason string
	}{
		{errors.New("pebble: disk on fire /var/lib/secret"), 500, false, "internal error"},
		{fmt.Errorf("kv: disk on fire /var/lib/secret: %w", wire.ErrError), 500, false, "internal error"},
		{fmt.Errorf("snapshot: disk on fire /var/lib/secret: %w", wire.ErrSnapshotFileCompletionFailed), 500, false, "internal error"},
		{wire.ErrDisconnected, 503, false, "the server is shutting down"},
		{fmt.Errorf("cluster: disk on fire: %w", wire.ErrDisconnected), 503, false, "not the cluster leader"},
		{fmt.Errorf("create stream: disk on fire: %w", wire.ErrStreamNameAlreadyExists), 400, true, "disk on fire"},
	}
	for _, tc := range cases {
		app := fiber.New(fiber.Config{ErrorHandler: srv.errorHandler})
		app.Get("/x", func(*fiber.Ctx) error { return tc.err })
		resp, err := app.Test(httptest.NewRequest("GET", "/x", nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		body := string(b)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.wantReason) {
			t.Errorf("%v: %d %s, want %d with %q", tc.err, resp.StatusCode, body, tc.status, tc.wantReason)
		}
		if !tc.leaks && strings.Contains(body, "disk on fire") {
			t.Errorf("%v: the body shows the cause: %s", tc.err, body)
		}
	}
}
