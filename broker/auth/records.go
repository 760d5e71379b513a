package auth

import (
	"encoding/json"
	"fmt"

	"github.com/shalemq/shale/kv"
)

// Users, tokens and the user-id allocator are stored in kv's one metadata
// record encoding (kv/record.go), as the catalog is. shale before this
// encoding stored them as JSON objects; decode still reads those (a JSON
// record starts with '{', never the version byte), and Open rewrites them
// in the binary encoding once (migrateLegacy).

type userRecord struct {
	Name        string
	Hash        string // argon2id PHC string, never the password
	Active      bool
	CreatedAt   uint64
	Permissions []byte // wire block; nil = none
}

func (u userRecord) encode() []byte {
	return kv.NewRecord(nil).Str(u.Name).Str(u.Hash).Bool(u.Active).U64(u.CreatedAt).Bytes(u.Permissions)
}

func decodeUser(b []byte) (u userRecord, legacy bool, err error) {
	if isJSON(b) {
		j, err := fromJSON[legacyUser](b)
		return userRecord(j), true, err
	}
	r := kv.ReadRecord(b)
	u = userRecord{Name: r.Str(), Hash: r.Str(), Active: r.Bool(), CreatedAt: r.U64()}
	if p := r.Bytes(); p != nil {
		u.Permissions = append([]byte(nil), p...)
	}
	return u, false, r.Err()
}

type tokenRecord struct {
	UserID    uint32
	Name      string
	ExpiresAt uint64 // µs since the epoch; 0 = never
}

func (t *tokenRecord) encode() []byte {
	return kv.NewRecord(nil).U32(t.UserID).Str(t.Name).U64(t.ExpiresAt)
}

func decodeToken(b []byte) (t tokenRecord, legacy bool, err error) {
	if isJSON(b) {
		j, err := fromJSON[legacyToken](b)
		return tokenRecord(j), true, err
	}
	r := kv.ReadRecord(b)
	t = tokenRecord{UserID: r.U32(), Name: r.Str(), ExpiresAt: r.U64()}
	return t, false, r.Err()
}

// allocRecord hands out user ids as Iggy does: the most recently freed id
// first, else the next never-used one.
type allocRecord struct {
	Next  uint32
	Freed []uint32
}

func (a allocRecord) encode() []byte { return kv.NewRecord(nil).U32(a.Next).U32s(a.Freed) }

func decodeAlloc(b []byte) (a allocRecord, legacy bool, err error) {
	if isJSON(b) {
		j, err := fromJSON[legacyAlloc](b)
		return allocRecord(j), true, err
	}
	r := kv.ReadRecord(b)
	a = allocRecord{Next: r.U32(), Freed: r.U32s()}
	return a, false, r.Err()
}

// isJSON tells a record written by an earlier shale (a JSON object) from one
// in the record encoding (version byte kv.RecordVersion first).
func isJSON(b []byte) bool { return len(b) > 0 && b[0] == '{' }

func fromJSON[T any](b []byte) (T, error) {
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("JSON record: %w", err)
	}
	return v, nil
}

// The JSON shapes earlier shale versions stored, read only to migrate them.
type (
	legacyUser struct {
		Name        string `json:"name"`
		Hash        string `json:"hash"`
		Active      bool   `json:"active"`
		CreatedAt   uint64 `json:"created_at"`
		Permissions []byte `json:"permissions,omitempty"`
	}
	legacyToken struct {
		UserID    uint32 `json:"user_id"`
		Name      string `json:"name"`
		ExpiresAt uint64 `json:"expires_at"`
	}
	legacyAlloc struct {
		Next  uint32   `json:"next"`
		Freed []uint32 `json:"freed,omitempty"`
	}
)

// migrateLegacy rewrites the JSON records load found (key → record in the
// binary encoding) in one durable batch, and logs it. A read-only database
// (a backup's checkpoint being described) is left as it is: its records
// were read all the same.
func (s *Store) migrateLegacy(legacy map[string][]byte) error {
	if len(legacy) == 0 {
		return nil
	}
	if s.db.ReadOnly() {
		s.opts.Logger.Debug("auth: JSON user records left as they are in a read-only database", "records", len(legacy))
		return nil
	}
	err := s.commit(func(b *kv.Batch) error {
		for k, v := range legacy {
			if err := b.Set([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rewrite %d JSON user and token records: %w", len(legacy), err)
	}
	s.opts.Logger.Info("auth: rewrote user and token records from JSON (written by an earlier shale) in the binary record encoding",
		"records", len(legacy))
	return nil
}
