package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/wire"
)

// Iggy decodes bodies with serde, which is stricter than encoding/json in
// three ways a client can tell apart (docs/protocol/http.md §1.5); these
// checks close the gap before json.Unmarshal runs.

// validJSON is json.Valid plus serde's rule that strings are UTF-8
// (encoding/json would replace bad bytes with U+FFFD and go on).
func validJSON(body []byte) bool { return utf8.Valid(body) && json.Valid(body) }

var stringType = reflect.TypeOf("")

// requireFields refuses (422) a body that is not a JSON object, or that
// lacks a key, or has it null, for a string field of v without omitempty:
// such a field has no default in Iggy's request types, while
// encoding/json would leave it empty (and match its key in any case).
// REQUIRES: body is valid JSON; v points to a struct.
func requireFields(body []byte, v any) error {
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return unprocessable("expected a JSON object")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return unprocessable(err.Error())
	}
	rt := reflect.TypeOf(v).Elem()
	for i := range rt.NumField() {
		f := rt.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Type != stringType || name == "" || name == "-" || strings.Contains(opts, "omitempty") {
			continue
		}
		if raw, ok := top[name]; !ok || string(raw) == "null" {
			return unprocessable("missing field `" + name + "`")
		}
	}
	return nil
}

// Identifier path parameters: a u32 is an id, anything else a name of
// 1..255 bytes; a longer name is invalid_identifier (6), as Iggy's
// Identifier::from_str_value answers it, not "not found".
var identParams = []string{"stream_id", "topic_id", "user_id", "group_id", "consumer_id"}

// identRouter registers routes whose identifier parameters are checked
// before the handler runs.
type identRouter struct{ app *fiber.App }

func (r identRouter) Get(path string, h fiber.Handler)    { r.app.Get(path, checkIdents(path, h)) }
func (r identRouter) Post(path string, h fiber.Handler)   { r.app.Post(path, checkIdents(path, h)) }
func (r identRouter) Put(path string, h fiber.Handler)    { r.app.Put(path, checkIdents(path, h)) }
func (r identRouter) Delete(path string, h fiber.Handler) { r.app.Delete(path, checkIdents(path, h)) }

func checkIdents(path string, h fiber.Handler) fiber.Handler {
	var params []string
	for _, p := range identParams {
		if strings.Contains(path, ":"+p) {
			params = append(params, p)
		}
	}
	if len(params) == 0 {
		return h
	}
	return func(c *fiber.Ctx) error {
		for _, p := range params {
			if n := len(c.Params(p)); n == 0 || n > maxIdentLength {
				return identError(p, n)
			}
		}
		return h(c)
	}
}

const maxIdentLength = 255

func identError(param string, n int) error {
	return fmt.Errorf("%s of %d bytes, want 1..%d: %w", param, n, maxIdentLength, wire.ErrInvalidIdentifier)
}

// noTrailingSlash answers an API path ending in a slash as an unknown
// path (404, empty), as Iggy's router does; Fiber would match it to the
// path without the slash. The dashboard keeps its own rules.
func (s *Server) noTrailingSlash(c *fiber.Ctx) error {
	if p := c.Path(); len(p) > 1 && strings.HasSuffix(p, "/") && !s.dashboardPath(p) {
		return empty(c, fiber.StatusNotFound)
	}
	return c.Next()
}
