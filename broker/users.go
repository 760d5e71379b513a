package broker

import (
	"fmt"

	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/wire"
)

// User is a user record as the broker returns it (no password hash leaves
// auth).
type User = auth.User

// UserIdent names a user by id or username.
type UserIdent = Ident

// Login binds the session to a user (docs/protocol/binary.md §4.2 LoginUser): 8 while the
// server shuts down, 43/44 for bad lengths, 42 for a wrong name or password,
// 47 for an inactive user. Repeated failures slow later attempts from the
// same address or for the same user (loginguard.go).
func (b *Broker) Login(s *Session, username, password string) (uint32, error) {
	if b.stopping.Load() {
		return 0, wire.ErrDisconnected
	}
	b.guard.wait(s.addr, username)
	u, err := b.users.Authenticate(username, password)
	if err != nil {
		b.metrics.loginFailures.Inc()
		b.guard.failed(s.addr, username)
		return 0, err
	}
	b.guard.succeeded(s.addr, username)
	s.user.Store(u.ID)
	return u.ID, nil
}

// LoginWithToken binds the session to a PAT's owner: 20 for an unknown
// token, 54 when expired, 47 for an inactive owner.
func (b *Broker) LoginWithToken(s *Session, token string) (uint32, error) {
	if b.stopping.Load() {
		return 0, wire.ErrDisconnected
	}
	b.guard.wait(s.addr, "")
	u, err := b.users.AuthenticateToken(token)
	if err != nil {
		b.metrics.loginFailures.Inc()
		b.guard.failed(s.addr, "")
		return 0, err
	}
	b.guard.succeeded(s.addr, "")
	s.user.Store(u.ID)
	return u.ID, nil
}

// Logout returns the session to unauthenticated.
func (b *Broker) Logout(s *Session) error {
	if err := authenticated(s); err != nil {
		return err
	}
	s.user.Store(NoUser)
	return nil
}

// lookupUser resolves a user identifier.
func (b *Broker) lookupUser(id UserIdent) (User, bool) {
	if id.ByName {
		return b.users.UserByName(id.Name)
	}
	return b.users.User(id.ID)
}

// User returns a user's details; anyone may read themselves, others need
// users read. ok is false for an unknown user (an empty OK).
func (b *Broker) User(s *Session, id UserIdent) (User, bool, error) {
	p, err := b.permissions(s)
	if err != nil {
		return User{}, false, err
	}
	u, ok := b.lookupUser(id)
	if ok && u.ID == s.UserID() {
		return u, true, nil
	}
	if err := allow(auth.ReadUsers(p), "read users"); err != nil {
		return User{}, false, err
	}
	return u, ok, nil
}

// Users lists every user, ascending id.
func (b *Broker) ListUsers(s *Session) ([]User, error) {
	p, err := b.permissions(s)
	if err != nil {
		return nil, err
	}
	if err := allow(auth.ReadUsers(p), "read users"); err != nil {
		return nil, err
	}
	return b.users.Users(), nil
}

// CreateUser creates a user. Checks in Iggy's order: 40, 41 (manage
// users), username (45), password (44), status (3: wire.UserActive or
// wire.UserInactive), then 46 for a taken name.
func (b *Broker) CreateUser(s *Session, name, password string, status uint8, perms *wire.Permissions) (User, error) {
	if err := b.manageUsers(s); err != nil {
		return User{}, err
	}
	if err := auth.CheckUsername(name); err != nil {
		return User{}, err
	}
	if err := auth.CheckPassword(password); err != nil {
		return User{}, err
	}
	active, err := activeOf(status)
	if err != nil {
		return User{}, err
	}
	return b.users.CreateUser(name, password, active, perms)
}

// DeleteUser deletes a user (20 unknown, 48 root) and drops its sessions
// from the client table; the connections stay open and fail with 41 later,
// as Iggy's do.
func (b *Broker) DeleteUser(s *Session, id UserIdent) error {
	if err := b.manageUsers(s); err != nil {
		return err
	}
	u, ok := b.lookupUser(id)
	if !ok {
		return fmt.Errorf("user %v: %w", id, wire.ErrResourceNotFound)
	}
	if err := b.users.DeleteUser(u.ID); err != nil {
		return err
	}
	for _, other := range b.sessions.list() {
		if other.UserID() == u.ID {
			b.sessions.remove(other)
		}
	}
	return nil
}

// UpdateUser renames and/or (de)activates a user (nil: unchanged). Checks
// in Iggy's order: 40, 41, username (45), status (3), unknown user.
func (b *Broker) UpdateUser(s *Session, id UserIdent, name *string, status *uint8) error {
	if err := b.manageUsers(s); err != nil {
		return err
	}
	if name != nil {
		if err := auth.CheckUsername(*name); err != nil {
			return err
		}
	}
	var active *bool
	if status != nil {
		a, err := activeOf(*status)
		if err != nil {
			return err
		}
		active = &a
	}
	u, ok := b.lookupUser(id)
	if !ok {
		return fmt.Errorf("user %v: %w", id, wire.ErrResourceNotFound)
	}
	return b.users.UpdateUser(u.ID, name, active)
}

// UpdatePermissions replaces a user's permissions (nil = none).
func (b *Broker) UpdatePermissions(s *Session, id UserIdent, perms *wire.Permissions) error {
	if err := b.manageUsers(s); err != nil {
		return err
	}
	u, ok := b.lookupUser(id)
	if !ok {
		return fmt.Errorf("user %v: %w", id, wire.ErrResourceNotFound)
	}
	return b.users.UpdatePermissions(u.ID, perms)
}

// ChangePassword changes a password: 44 for bad lengths, 20 unknown user,
// 41 for someone else's without manage users, 42 wrong current password.
func (b *Broker) ChangePassword(s *Session, id UserIdent, current, next string) error {
	p, err := b.permissions(s)
	if err != nil {
		return err
	}
	for _, pw := range []string{current, next} {
		if len(pw) < 3 || len(pw) > 100 {
			return fmt.Errorf("password of %d bytes: %w", len(pw), wire.ErrInvalidPassword)
		}
	}
	u, ok := b.lookupUser(id)
	if !ok {
		return fmt.Errorf("user %v: %w", id, wire.ErrResourceNotFound)
	}
	if u.ID != s.UserID() {
		if err := allow(auth.ManageUsers(p), "change another user's password"); err != nil {
			return err
		}
	}
	return b.users.ChangePassword(u.ID, current, next)
}

func (b *Broker) manageUsers(s *Session) error {
	p, err := b.permissions(s)
	if err != nil {
		return err
	}
	return allow(auth.ManageUsers(p), "manage users")
}

// activeOf reads a user status code.
func activeOf(status uint8) (bool, error) {
	switch status {
	case wire.UserActive:
		return true, nil
	case wire.UserInactive:
		return false, nil
	}
	return false, fmt.Errorf("user status %d: %w", status, wire.ErrInvalidCommand)
}
