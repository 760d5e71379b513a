package wire

// GetPersonalAccessTokens asks for the caller's tokens.
type GetPersonalAccessTokens struct{ noPayload }

func (*GetPersonalAccessTokens) Code() Command { return CmdGetPersonalAccessTokens }

// DeletePersonalAccessToken deletes one of the caller's tokens by name.
type DeletePersonalAccessToken struct{ NameRef }

func (*DeletePersonalAccessToken) Code() Command { return CmdDeletePersonalAccessToken }

// LoginWithPersonalAccessToken logs in with a raw token (in Name).
type LoginWithPersonalAccessToken struct{ NameRef }

func (*LoginWithPersonalAccessToken) Code() Command { return CmdLoginWithPersonalAccessToken }

// CreatePersonalAccessToken creates a token. Expiry is in µs: 0 and u64 max
// mean never. The Go SDK 0.8.0 puts its u32 in the high half; the value is
// kept as it arrives.
type CreatePersonalAccessToken struct {
	Name   string
	Expiry uint64
}

func (*CreatePersonalAccessToken) Code() Command { return CmdCreatePersonalAccessToken }
func (c *CreatePersonalAccessToken) AppendTo(dst []byte) []byte {
	return appendU64(appendStr8(dst, c.Name), c.Expiry)
}
func (c *CreatePersonalAccessToken) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) { c.Name, c.Expiry = r.name8(), r.u64() })
}

// RawPersonalAccessToken is the CreatePersonalAccessToken response.
type RawPersonalAccessToken struct{ Token string }

func (t *RawPersonalAccessToken) AppendTo(dst []byte) []byte { return appendStr8(dst, t.Token) }
func (t *RawPersonalAccessToken) Decode(b []byte) error {
	return decodeAll(b, func(r *reader) { t.Token = r.name8() })
}

// PersonalAccessTokenInfo is one entry of GetPersonalAccessTokens;
// ExpiresAt is µs since the epoch, 0 for never.
type PersonalAccessTokenInfo struct {
	Name      string
	ExpiresAt uint64
}

func (t *PersonalAccessTokenInfo) AppendTo(dst []byte) []byte {
	return appendU64(appendStr8(dst, t.Name), t.ExpiresAt)
}

// DecodePersonalAccessTokens reads a GetPersonalAccessTokens payload.
func DecodePersonalAccessTokens(b []byte) ([]PersonalAccessTokenInfo, error) {
	return decodeList(b, func(r *reader) PersonalAccessTokenInfo {
		return PersonalAccessTokenInfo{Name: r.name8(), ExpiresAt: r.u64()}
	})
}
