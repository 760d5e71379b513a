package binproto

import (
	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/wire"
)

var userCommands = []command{
	handle(wire.CmdLoginUser, public, func(s *Server, sess *broker.Session, r *wire.LoginUser, out []byte) ([]byte, error) {
		id, err := s.broker.Login(sess, r.Username, r.Password)
		if err != nil {
			return out, err
		}
		return (&wire.IdentityInfo{UserID: id}).AppendTo(out), nil
	}),
	handle(wire.CmdLogoutUser, needsLogin, func(s *Server, sess *broker.Session, _ *wire.LogoutUser, out []byte) ([]byte, error) {
		return out, s.broker.Logout(sess)
	}),
	handle(wire.CmdGetUser, needsLogin, func(s *Server, sess *broker.Session, r *wire.GetUser, out []byte) ([]byte, error) {
		u, ok, err := s.broker.User(sess, ident(r.User))
		if err != nil || !ok {
			return out, err
		}
		return userDetails(u).AppendTo(out), nil
	}),
	handle(wire.CmdGetUsers, needsLogin, func(s *Server, sess *broker.Session, _ *wire.GetUsers, out []byte) ([]byte, error) {
		list, err := s.broker.ListUsers(sess)
		for _, u := range list {
			d := userDetails(u)
			out = d.UserInfo.AppendTo(out)
		}
		return out, err
	}),
	handle(wire.CmdCreateUser, needsLogin, func(s *Server, sess *broker.Session, r *wire.CreateUser, out []byte) ([]byte, error) {
		u, err := s.broker.CreateUser(sess, r.Username, r.Password, r.Status, r.Permissions)
		if err != nil {
			return out, err
		}
		return userDetails(u).AppendTo(out), nil
	}),
	handle(wire.CmdDeleteUser, needsLogin, func(s *Server, sess *broker.Session, r *wire.DeleteUser, out []byte) ([]byte, error) {
		return out, s.broker.DeleteUser(sess, ident(r.User))
	}),
	handle(wire.CmdUpdateUser, needsLogin, func(s *Server, sess *broker.Session, r *wire.UpdateUser, out []byte) ([]byte, error) {
		return out, s.broker.UpdateUser(sess, ident(r.User), r.Username, r.Status)
	}),
	handle(wire.CmdUpdatePermissions, needsLogin, func(s *Server, sess *broker.Session, r *wire.UpdatePermissions, out []byte) ([]byte, error) {
		return out, s.broker.UpdatePermissions(sess, ident(r.User), r.Permissions)
	}),
	handle(wire.CmdChangePassword, needsLogin, func(s *Server, sess *broker.Session, r *wire.ChangePassword, out []byte) ([]byte, error) {
		return out, s.broker.ChangePassword(sess, ident(r.User), r.CurrentPassword, r.NewPassword)
	}),
}

var tokenCommands = []command{
	handle(wire.CmdLoginWithPersonalAccessToken, public, func(s *Server, sess *broker.Session, r *wire.LoginWithPersonalAccessToken, out []byte) ([]byte, error) {
		id, err := s.broker.LoginWithToken(sess, r.Name)
		if err != nil {
			return out, err
		}
		return (&wire.IdentityInfo{UserID: id}).AppendTo(out), nil
	}),
	handle(wire.CmdGetPersonalAccessTokens, needsLogin, func(s *Server, sess *broker.Session, _ *wire.GetPersonalAccessTokens, out []byte) ([]byte, error) {
		list, err := s.broker.Tokens(sess)
		for _, t := range list {
			out = (&wire.PersonalAccessTokenInfo{Name: t.Name, ExpiresAt: t.ExpiresAt}).AppendTo(out)
		}
		return out, err
	}),
	handle(wire.CmdCreatePersonalAccessToken, needsLogin, func(s *Server, sess *broker.Session, r *wire.CreatePersonalAccessToken, out []byte) ([]byte, error) {
		tok, err := s.broker.CreateToken(sess, r.Name, r.Expiry)
		if err != nil {
			return out, err
		}
		return (&wire.RawPersonalAccessToken{Token: tok}).AppendTo(out), nil
	}),
	handle(wire.CmdDeletePersonalAccessToken, needsLogin, func(s *Server, sess *broker.Session, r *wire.DeletePersonalAccessToken, out []byte) ([]byte, error) {
		return out, s.broker.DeleteToken(sess, r.Name)
	}),
}
