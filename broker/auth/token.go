package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// tokenBytes is the entropy of a personal access token. Iggy makes its
// tokens from 50 random bytes as standard base64 with padding (68
// characters); SDKs and scripts see the same shape here.
const tokenBytes = 50

// NewToken returns a fresh random personal access token.
func NewToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// HashToken is how a token is stored and looked up: SHA-256. A token has
// 400 bits of entropy, so a slow password hash would add nothing but login
// latency, and a fast deterministic hash lets a login find its token by
// key. (Iggy uses BLAKE3 for the same reason.)
func HashToken(token string) [sha256.Size]byte { return sha256.Sum256([]byte(token)) }

// NewPassword returns a strong random password for a generated root user:
// 24 random bytes, URL-safe base64 (32 characters).
func NewPassword() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
