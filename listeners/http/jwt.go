package http

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/shalemq/shale/wire"
)

const claimsKey = "shale.claims"

// issued are the claims of a token shale issues, in Iggy's order: jti,
// iss, aud (one string), sub (the user id as a string), iat, exp, nbf.
type issued struct {
	ID        string `json:"jti"`
	Issuer    string `json:"iss"`
	Audience  string `json:"aud"`
	Subject   string `json:"sub"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp"`
	NotBefore int64  `json:"nbf"`
}

func (c issued) GetExpirationTime() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.ExpiresAt, 0)), nil
}
func (c issued) GetIssuedAt() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.IssuedAt, 0)), nil
}
func (c issued) GetNotBefore() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.NotBefore, 0)), nil
}
func (c issued) GetIssuer() (string, error)             { return c.Issuer, nil }
func (c issued) GetSubject() (string, error)            { return c.Subject, nil }
func (c issued) GetAudience() (jwt.ClaimStrings, error) { return jwt.ClaimStrings{c.Audience}, nil }

// verified is what a presented token proved.
type verified struct {
	userID uint32
	jti    string
	exp    time.Time
}

func signingMethod(alg string) (jwt.SigningMethod, error) {
	switch alg {
	case "HS256":
		return jwt.SigningMethodHS256, nil
	case "HS384":
		return jwt.SigningMethodHS384, nil
	case "HS512":
		return jwt.SigningMethodHS512, nil
	}
	return nil, fmt.Errorf("http: unsupported JWT algorithm %q", alg)
}

// issue makes a token for userID and returns it with its exp (Unix s).
func (s *Server) issue(userID uint32) (string, int64, error) {
	j := s.opts.JWT
	now := time.Now()
	exp := now.Add(j.Expiry)
	if j.Expiry <= 0 {
		exp = now.Add(1e9 * time.Second) // Iggy's "never"
	}
	id, err := uuid.NewV7()
	if err != nil {
		return "", 0, err
	}
	key := s.jwtKey()
	if key == nil {
		return "", 0, errNoKey
	}
	m, _ := signingMethod(j.Algorithm)
	cl := issued{ID: id.String(), Issuer: j.Issuer, Audience: j.Audience, Subject: strconv.FormatUint(uint64(userID), 10),
		IssuedAt: now.Unix(), ExpiresAt: exp.Unix(), NotBefore: now.Add(j.NotBefore).Unix()}
	tok, err := jwt.NewWithClaims(m, cl).SignedString(key)
	return tok, cl.ExpiresAt, err
}

// verify checks a token as Iggy does (docs/protocol/http.md §3.3): algorithm, signature,
// exp with leeway, iss and aud in the accepted lists, not revoked, sub a
// u32. nbf is not checked.
func (s *Server) verify(token string) (verified, error) {
	j := s.opts.JWT
	key := s.jwtKey()
	if key == nil {
		return verified{}, tokenError("no JWT signing key yet: the cluster's first leader has not written it")
	}
	var cl jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(token, &cl, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{j.Algorithm}), jwt.WithoutClaimsValidation())
	if err != nil {
		return verified{}, parseError(err, j.Algorithm)
	}
	if cl.ExpiresAt == nil {
		return verified{}, tokenError("access token has no expiry (exp)")
	}
	if time.Now().After(cl.ExpiresAt.Add(j.ClockSkew)) {
		return verified{}, expiredError(cl.ExpiresAt.Time)
	}
	if !slices.Contains(j.ValidIssuers, cl.Issuer) {
		return verified{}, tokenError("access token issuer %q is not accepted by this server (http.jwt.valid_issuers)", cl.Issuer)
	}
	audOK := false
	for _, a := range cl.Audience {
		audOK = audOK || slices.Contains(j.ValidAudiences, a)
	}
	if !audOK {
		return verified{}, tokenError("access token audience %q is not accepted by this server (http.jwt.valid_audiences)", []string(cl.Audience))
	}
	if cl.ID == "" {
		return verified{}, tokenError("access token has no id (jti)")
	}
	if s.b.JWTRevoked(cl.ID) {
		return verified{}, errRevoked
	}
	uid, err := strconv.ParseUint(cl.Subject, 10, 32)
	if err != nil {
		return verified{}, tokenError("access token subject %q is not a user id", cl.Subject)
	}
	return verified{userID: uint32(uid), jti: cl.ID, exp: cl.ExpiresAt.Time}, nil
}

// errNoKey: a cluster node whose cluster has not yet agreed on a generated
// signing key (its first leader writes it once elected).
var errNoKey = fmt.Errorf("no JWT signing key yet: the cluster's first leader has not written it; try again once a leader is elected: %w", wire.ErrFeatureUnavailable)

// jwtKey is the configured key or, without one, the current one SecretFunc
// gives; nil when there is none yet.
func (s *Server) jwtKey() []byte {
	if k := s.opts.JWT.Secret; len(k) > 0 {
		return k
	}
	if k := s.opts.JWT.SecretFunc(); len(k) > 0 {
		return k
	}
	return nil
}
