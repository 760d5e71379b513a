package http

import (
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"

	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/rest"
)

// authError is why the bearer token of a request was refused. Iggy answers
// these 401s with an empty body; shale keeps the status and adds Iggy's
// JSON error body with a reason a person with curl can act on
// (docs/compatibility.md). Clients branch on the status only.
type authError struct {
	code   *wire.Error // access_token_missing (77) or invalid_access_token (78)
	reason string
}

func (e *authError) Error() string { return e.reason }

var errNoToken = &authError{wire.ErrAccessTokenMissing,
	"no access token: send the header \"Authorization: Bearer <token>\" with the token POST /users/login returns"}

var errNotBearer = &authError{wire.ErrInvalidAccessToken,
	"malformed Authorization header: want \"Bearer <token>\""}

func tokenError(format string, args ...any) *authError {
	return &authError{wire.ErrInvalidAccessToken, fmt.Sprintf(format, args...)}
}

// parseError explains a failure of jwt.Parse.
func parseError(err error, algorithm string) *authError {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return tokenError("malformed access token: not a JWT (%v)", err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return tokenError("access token signature is invalid: it was signed with another secret (another server, or one whose secret changed)")
	case errors.Is(err, jwt.ErrTokenUnverifiable), errors.Is(err, jwt.ErrSignatureInvalid):
		return tokenError("access token cannot be verified: this server accepts %s tokens only", algorithm)
	}
	return tokenError("invalid access token: %v", err)
}

func expiredError(exp time.Time) *authError {
	return tokenError("access token expired at %s: log in again (POST /users/login) or refresh it before it expires",
		exp.UTC().Format(time.RFC3339))
}

var errRevoked = tokenError("access token was revoked (logged out, or exchanged by POST /users/refresh-token): log in again")

// authFailed answers a refused token: 401 with Iggy's error body.
func authFailed(c *fiber.Ctx, err error) error {
	var e *authError
	if !errors.As(err, &e) {
		e = tokenError("invalid access token: %v", err)
	}
	return c.Status(fiber.StatusUnauthorized).JSON(rest.Error{ID: e.code.Code, Code: e.code.Name, Reason: e.reason})
}
