package broker

import (
	"time"

	"github.com/shalemq/shale/broker/auth"
)

// TokenInfo describes a personal access token without its secret.
type TokenInfo = auth.TokenInfo

// CreateToken creates a PAT for the session's user and returns its secret,
// shown only here. expiry is in µs: 0 and u64 max mean never.
func (b *Broker) CreateToken(s *Session, name string, expiry uint64) (string, error) {
	if _, err := b.permissions(s); err != nil {
		return "", err
	}
	var d time.Duration
	if expiry != 0 && expiry != Unlimited {
		// Clamp: a duration beyond ~292 years is "never" in practice.
		if expiry > uint64(1<<63-1)/uint64(time.Microsecond) {
			d = 0
		} else {
			d = time.Duration(expiry) * time.Microsecond
		}
	}
	token, _, err := b.users.CreateToken(s.UserID(), name, d)
	return token, err
}

// Tokens lists the session user's tokens.
func (b *Broker) Tokens(s *Session) ([]TokenInfo, error) {
	if _, err := b.permissions(s); err != nil {
		return nil, err
	}
	return b.users.Tokens(s.UserID()), nil
}

// DeleteToken deletes one of the session user's tokens (20 when unknown).
func (b *Broker) DeleteToken(s *Session, name string) error {
	if _, err := b.permissions(s); err != nil {
		return err
	}
	return b.users.DeleteToken(s.UserID(), name)
}
