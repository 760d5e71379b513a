package wire

// User statuses (docs/protocol/binary.md §2.7).
const (
	UserActive   = 1
	UserInactive = 2
)

// GetUser asks for one user's details.
type GetUser struct{ UserRef }

func (*GetUser) Code() Command { return CmdGetUser }

// GetUsers asks for every user.
type GetUsers struct{ noPayload }

func (*GetUsers) Code() Command { return CmdGetUsers }

// DeleteUser deletes a user.
type DeleteUser struct{ UserRef }

func (*DeleteUser) Code() Command { return CmdDeleteUser }

// LogoutUser returns the session to unauthenticated.
type LogoutUser struct{ noPayload }

func (*LogoutUser) Code() Command { return CmdLogoutUser }

// CreateUser creates a user. Permissions nil means none.
type CreateUser struct {
	Username    string
	Password    string
	Status      uint8
	Permissions *Permissions
}

func (*CreateUser) Code() Command { return CmdCreateUser }
func (c *CreateUser) AppendTo(dst []byte) []byte {
	dst = appendStr8(dst, c.Username)
	dst = appendStr8(dst, c.Password)
	dst = append(dst, c.Status)
	return appendOptPermissions(dst, c.Permissions)
}

// Decode reads the request. A bad status is left for the broker to reject
// after the login and permission checks, in Iggy's order.
func (c *CreateUser) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) {
		c.Username = r.name8()
		c.Password = r.str8()
		c.Status = r.u8()
		c.Permissions = r.optPermissions()
	})
}

// UpdateUser renames a user or changes its status; nil fields stay.
type UpdateUser struct {
	User     Identifier
	Username *string
	Status   *uint8
	// Pad reproduces the Go SDK 0.8.0, which appends one zero byte when
	// both fields are present. Servers ignore it; it lets frames round-trip.
	Pad bool
}

func (*UpdateUser) Code() Command { return CmdUpdateUser }
func (u *UpdateUser) AppendTo(dst []byte) []byte {
	dst = u.User.AppendTo(dst)
	if u.Username != nil {
		dst = appendStr8(append(dst, 1), *u.Username)
	} else {
		dst = append(dst, 0)
	}
	if u.Status != nil {
		dst = append(dst, 1, *u.Status)
	} else {
		dst = append(dst, 0)
	}
	if u.Pad {
		dst = append(dst, 0)
	}
	return dst
}
func (u *UpdateUser) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) {
		*u = UpdateUser{User: r.ident()}
		if r.u8() == 1 {
			name := r.name8()
			u.Username = &name
		}
		if r.u8() == 1 {
			st := r.u8()
			u.Status = &st
		}
		u.Pad = r.err == nil && len(r.b) > 0
	})
}

// UpdatePermissions replaces a user's permissions; nil means none.
type UpdatePermissions struct {
	User        Identifier
	Permissions *Permissions
}

func (*UpdatePermissions) Code() Command { return CmdUpdatePermissions }
func (u *UpdatePermissions) AppendTo(dst []byte) []byte {
	return appendOptPermissions(u.User.AppendTo(dst), u.Permissions)
}
func (u *UpdatePermissions) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) {
		u.User = r.ident()
		u.Permissions = r.optPermissions()
	})
}

// ChangePassword changes a user's password.
type ChangePassword struct {
	User                         Identifier
	CurrentPassword, NewPassword string
}

func (*ChangePassword) Code() Command { return CmdChangePassword }
func (c *ChangePassword) AppendTo(dst []byte) []byte {
	return appendStr8(appendStr8(c.User.AppendTo(dst), c.CurrentPassword), c.NewPassword)
}
func (c *ChangePassword) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) {
		c.User = r.ident()
		c.CurrentPassword, c.NewPassword = r.str8(), r.str8()
	})
}

// LoginUser logs the session in. Version and Context are informational.
type LoginUser struct {
	Username, Password string
	Version, Context   string
}

func (*LoginUser) Code() Command { return CmdLoginUser }
func (l *LoginUser) AppendTo(dst []byte) []byte {
	dst = appendStr8(dst, l.Username)
	dst = appendStr8(dst, l.Password)
	return appendStr32(appendStr32(dst, l.Version), l.Context)
}

// Decode reads the request. Version and context may be missing entirely
// (older clients), so they are read only when present.
func (l *LoginUser) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) {
		l.Username, l.Password = r.name8(), r.str8()
		l.Version, l.Context = "", ""
		if r.err == nil && len(r.b) >= 4 {
			l.Version = r.str32()
		}
		if r.err == nil && len(r.b) >= 4 {
			l.Context = r.str32()
		}
	})
}

// IdentityInfo is the login response: the user id.
type IdentityInfo struct{ UserID uint32 }

func (i *IdentityInfo) AppendTo(dst []byte) []byte { return appendU32(dst, i.UserID) }
func (i *IdentityInfo) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) { i.UserID = r.u32() })
}

// UserInfo is one user of GetUsers and the head of UserDetails.
type UserInfo struct {
	ID        uint32
	CreatedAt uint64
	Status    uint8
	Username  string
}

func (u *UserInfo) AppendTo(dst []byte) []byte {
	dst = appendU32(dst, u.ID)
	dst = appendU64(dst, u.CreatedAt)
	dst = append(dst, u.Status)
	return appendStr8(dst, u.Username)
}

func (u *UserInfo) read(r *reader) {
	u.ID, u.CreatedAt, u.Status = r.u32(), r.u64(), r.u8()
	u.Username = r.name8()
}

// DecodeUsers reads a GetUsers payload.
func DecodeUsers(b []byte) ([]UserInfo, error) {
	return decodeList(b, func(r *reader) UserInfo {
		var u UserInfo
		u.read(r)
		return u
	})
}

// UserDetails is a user with permissions (GetUser, CreateUser).
type UserDetails struct {
	UserInfo
	Permissions *Permissions
}

// AppendTo appends the payload. No permissions are four zero bytes, not
// one (docs/protocol/binary.md §12 trap 6).
func (u *UserDetails) AppendTo(dst []byte) []byte {
	dst = u.UserInfo.AppendTo(dst)
	if u.Permissions == nil {
		return appendU32(dst, 0)
	}
	return appendOptPermissions(dst, u.Permissions)
}

func (u *UserDetails) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) {
		u.UserInfo.read(r)
		u.Permissions = nil
		if r.err == nil && len(r.b) > 0 && r.b[0] == 0 {
			r.take(min(4, len(r.b)))
			return
		}
		u.Permissions = r.optPermissions()
	})
}
