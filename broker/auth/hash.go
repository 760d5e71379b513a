package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// HashParams are argon2id's cost parameters. They are stored in every hash
// (PHC string format), so changing them later keeps old hashes verifiable.
type HashParams struct {
	Time    uint32
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultHashParams follow OWASP's argon2id recommendation (19 MiB, two
// passes, one lane): a login costs a few tens of milliseconds.
var DefaultHashParams = HashParams{Time: 2, Memory: 19 * 1024, Threads: 1}

// TestHashParams are cheap parameters for tests, where hashing cost only
// slows the suite.
var TestHashParams = HashParams{Time: 1, Memory: 64, Threads: 1}

// hashSlots bounds the argon2id computations running at once to the
// processors the runtime may use. Each holds Memory KiB (19 MiB by default)
// for its duration and keeps one processor busy, so more at once finish no
// sooner, but a burst of logins (a thousand clients connecting, or anyone
// repeating a wrong password in parallel) would otherwise hold 19 MiB per
// login in flight (docs/performance.md, "Scaling").
var hashSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))

func idKey(pw string, salt []byte, p HashParams, n uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, n)
}

const (
	saltLen = 16
	keyLen  = 32
)

// HashPassword returns the argon2id PHC string of pw:
// $argon2id$v=19$m=…,t=…,p=…$salt$hash (unpadded standard base64).
func HashPassword(pw string, p HashParams) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := idKey(pw, salt, p, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("auth: unrecognised password hash")

// VerifyPassword reports whether pw matches hash, in constant time for a
// given hash. It accepts argon2id PHC strings and bcrypt hashes ($2a$,
// $2b$, $2y$), so users imported from other systems can log in.
func VerifyPassword(hash, pw string) bool {
	if strings.HasPrefix(hash, "$2") {
		return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
	}
	p, salt, key, err := parseArgon2(hash)
	if err != nil {
		return false
	}
	got := idKey(pw, salt, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

func parseArgon2(hash string) (HashParams, []byte, []byte, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return HashParams{}, nil, nil, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return HashParams{}, nil, nil, errBadHash
	}
	var p HashParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return HashParams{}, nil, nil, errBadHash
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 || p.Time == 0 || p.Threads == 0 {
		return HashParams{}, nil, nil, errBadHash
	}
	return p, salt, key, nil
}
