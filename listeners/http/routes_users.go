package http

import (
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/rest"
)

// User, session and personal-access-token routes.

func (s *Server) identity(c *fiber.Ctx, userID uint32) error {
	tok, exp, err := s.issue(userID)
	if err != nil {
		return err
	}
	return ok(c, rest.Identity{UserID: userID, AccessToken: rest.AccessToken{Token: tok, Expiry: exp}})
}

func (s *Server) login(c *fiber.Ctx) error {
	var req rest.Login
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	id, err := s.b.Login(session(c), req.Username, req.Password)
	if err != nil {
		if errors.Is(err, wire.ErrInvalidUsername) || errors.Is(err, wire.ErrInvalidPassword) {
			// HTTP login does not check lengths; a bad length is simply
			// bad credentials.
			return fmt.Errorf("%v: %w", err, wire.ErrInvalidCredentials)
		}
		return err
	}
	return s.identity(c, id)
}

func (s *Server) logout(c *fiber.Ctx) error {
	cl := c.Locals(claimsKey).(verified)
	return noContent(c, s.b.RevokeJWT(cl.jti, cl.exp))
}

func (s *Server) refresh(c *fiber.Ctx) error {
	var req rest.RawToken
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	cl, err := s.verify(req.Token)
	if err != nil {
		return fmt.Errorf("refresh token: %v: %w", err, wire.ErrInvalidAccessToken)
	}
	// A token refreshes once: the old one is revoked.
	if err := s.b.RevokeJWT(cl.jti, cl.exp); err != nil {
		return err
	}
	return s.identity(c, cl.userID)
}

func (s *Server) users(c *fiber.Ctx) error {
	list, err := s.b.ListUsers(session(c))
	if err != nil {
		return err
	}
	out := make([]rest.User, 0, len(list))
	for _, u := range list {
		out = append(out, userOf(u).User)
	}
	return ok(c, out)
}

func (s *Server) user(c *fiber.Ctx) error {
	u, found, err := s.b.User(session(c), ident(c, "user_id"))
	if err != nil {
		return err
	}
	if !found {
		return genericNotFound(c)
	}
	return ok(c, userOf(u))
}

// statusCode reads a user status name; an unknown one is 0, which the
// broker refuses (3) after its permission check, as over the binary
// protocol.
func statusCode(name string) uint8 {
	st, _ := wire.ParseUserStatus(name)
	return st
}

func (s *Server) createUser(c *fiber.Ctx) error {
	var req rest.CreateUser
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	perms, err := permissionsOf(req.Permissions)
	if err != nil {
		return err
	}
	u, err := s.b.CreateUser(session(c), req.Username, req.Password, statusCode(req.Status), perms)
	if err != nil {
		return err
	}
	return ok(c, userOf(u))
}

func (s *Server) updateUser(c *fiber.Ctx) error {
	var req rest.UpdateUser
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	var status *uint8
	if req.Status != nil {
		st := statusCode(*req.Status)
		status = &st
	}
	return noContent(c, s.b.UpdateUser(session(c), ident(c, "user_id"), req.Username, status))
}

func (s *Server) deleteUser(c *fiber.Ctx) error {
	return noContent(c, s.b.DeleteUser(session(c), ident(c, "user_id")))
}

func (s *Server) updatePermissions(c *fiber.Ctx) error {
	var req rest.UpdatePermissions
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	perms, err := permissionsOf(req.Permissions)
	if err != nil {
		return err
	}
	return noContent(c, s.b.UpdatePermissions(session(c), ident(c, "user_id"), perms))
}

func (s *Server) changePassword(c *fiber.Ctx) error {
	var req rest.ChangePassword
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	return noContent(c, s.b.ChangePassword(session(c), ident(c, "user_id"), req.CurrentPassword, req.NewPassword))
}

func (s *Server) tokens(c *fiber.Ctx) error {
	list, err := s.b.Tokens(session(c))
	if err != nil {
		return err
	}
	out := make([]rest.PersonalAccessToken, 0, len(list))
	for _, t := range list {
		v := rest.PersonalAccessToken{Name: t.Name}
		if t.ExpiresAt != 0 {
			exp := t.ExpiresAt
			v.ExpiryAt = &exp
		}
		out = append(out, v)
	}
	return ok(c, out)
}

func (s *Server) createToken(c *fiber.Ctx) error {
	var req rest.CreateToken
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.Expiry == nil {
		return unprocessable("missing field `expiry`")
	}
	tok, err := s.b.CreateToken(session(c), req.Name, *req.Expiry)
	if err != nil {
		return err
	}
	return ok(c, rest.RawToken{Token: tok})
}

func (s *Server) deleteToken(c *fiber.Ctx) error {
	return noContent(c, s.b.DeleteToken(session(c), c.Params("name")))
}

func (s *Server) loginWithToken(c *fiber.Ctx) error {
	var req rest.RawToken
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	id, err := s.b.LoginWithToken(session(c), req.Token)
	if err != nil {
		return err
	}
	return s.identity(c, id)
}

// permissionsOf converts a request's permissions, every flag required.
func permissionsOf(p *rest.Permissions) (*wire.Permissions, error) {
	perms, err := p.Wire()
	if err != nil {
		return nil, unprocessable(err.Error())
	}
	return perms, nil
}
