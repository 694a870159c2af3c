package hash

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Algorithm names accepted in Options.Algorithm.
const (
	AlgorithmBcrypt = "bcrypt"
	AlgorithmArgon2 = "argon2"
)

// Defaults used for zero Options fields (Kratos's defaults).
const (
	DefaultBcryptCost       = 12
	DefaultArgon2Memory     = 128 * 1024 // KiB
	DefaultArgon2Iterations = 1
	DefaultArgon2SaltLength = 16
	DefaultArgon2KeyLength  = 32
)

// bcryptMaxPassword is the number of password bytes bcrypt reads; more would be silently ignored.
const bcryptMaxPassword = 72

var (
	// ErrMismatch means the password does not match the stored hash.
	ErrMismatch = errors.New("hash: password does not match")
	// ErrPasswordTooLong means the password is longer than the 72 bytes bcrypt can hash.
	ErrPasswordTooLong = errors.New("hash: password is longer than 72 bytes")
	// ErrMalformed means a stored hash could not be parsed.
	ErrMalformed = errors.New("hash: malformed hash")
	// ErrUnsupported means a stored hash uses an algorithm this package cannot verify.
	ErrUnsupported = errors.New("hash: unsupported hash algorithm")
)

// Argon2Options are argon2id parameters. Memory is in KiB.
type Argon2Options struct {
	Memory      uint32
	Iterations  uint32
	Parallelism uint8
	SaltLength  uint32
	KeyLength   uint32
}

// Options selects the algorithm and cost of new hashes and bounds concurrent hashing. Zero
// fields take the defaults.
type Options struct {
	Algorithm  string // "bcrypt" (default) or "argon2"
	BcryptCost int
	Argon2     Argon2Options
	// MemoryBudget is the memory, in bytes, that all concurrent hashes together may use
	// (DefaultMemoryBudget). Hashes beyond it wait their turn.
	MemoryBudget uint64
	// MaxWait is how long a hash waits for its turn before ErrBusy (DefaultMaxWait).
	MaxWait time.Duration
	// QueuePerSlot is how many hashes may wait per hash that may run before further ones get
	// ErrBusy at once (DefaultQueuePerSlot).
	QueuePerSlot int
}

// Hasher hashes new passwords with the configured algorithm and verifies any supported format.
// It is safe for concurrent use.
type Hasher struct {
	opts  Options
	dummy string // a hash of a random value, compared against for unknown identifiers
	// limit bounds concurrent hashing by memory, so that anonymous logins cannot make the
	// process hold a hash's memory (128 MiB for argon2's default) once per request.
	limit *limiter
}

// New returns a Hasher for opts, filling zero fields with defaults. It hashes one random value
// up front so that DummyCompare costs what a real Compare costs.
func New(opts Options) *Hasher {
	if opts.Algorithm == "" {
		opts.Algorithm = AlgorithmBcrypt
	}
	if opts.BcryptCost == 0 {
		opts.BcryptCost = DefaultBcryptCost
	}
	a := &opts.Argon2
	if a.Memory == 0 {
		a.Memory = DefaultArgon2Memory
	}
	if a.Iterations == 0 {
		a.Iterations = DefaultArgon2Iterations
	}
	if a.Parallelism == 0 {
		a.Parallelism = uint8(min(runtime.NumCPU(), 255))
	}
	if a.SaltLength == 0 {
		a.SaltLength = DefaultArgon2SaltLength
	}
	if a.KeyLength == 0 {
		a.KeyLength = DefaultArgon2KeyLength
	}
	h := &Hasher{opts: opts, limit: newLimiter(opts.MemoryBudget, opts.MaxWait, opts.QueuePerSlot)}
	random := make([]byte, 32)
	_, _ = rand.Read(random)
	// Keep the value within bcrypt's limit; it is never revealed, so its alphabet does not matter.
	dummy, err := h.Hash(context.Background(), []byte(base64.RawStdEncoding.EncodeToString(random)[:32]))
	if err == nil {
		h.dummy = dummy
	}
	return h
}

// Options returns the effective options, defaults included.
func (h *Hasher) Options() Options { return h.opts }

// Hash returns a new hash of password in the configured algorithm: a bcrypt `$2a$` string or
// an argon2id PHC string.
// It waits its turn under the hashing limit (ErrBusy when the queue is full).
func (h *Hasher) Hash(ctx context.Context, password []byte) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	if h.opts.Algorithm == AlgorithmBcrypt && len(password) > bcryptMaxPassword {
		return "", ErrPasswordTooLong
	}
	var out string
	var herr error
	if err := h.limit.do(ctx, h.memory(), func() { out, herr = h.hash(password) }); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return out, herr
}

func (h *Hasher) hash(password []byte) (string, error) {
	switch h.opts.Algorithm {
	case AlgorithmBcrypt:
		if len(password) > bcryptMaxPassword {
			return "", ErrPasswordTooLong
		}
		out, err := bcrypt.GenerateFromPassword(password, h.opts.BcryptCost)
		if err != nil {
			return "", fmt.Errorf("hash password with bcrypt: %w", err)
		}
		return string(out), nil
	case AlgorithmArgon2:
		a := h.opts.Argon2
		salt := make([]byte, a.SaltLength)
		if _, err := rand.Read(salt); err != nil {
			return "", fmt.Errorf("hash password: read salt: %w", err)
		}
		key := argon2.IDKey(password, salt, a.Iterations, a.Memory, a.Parallelism, a.KeyLength)
		return phc{
			id:      "argon2id",
			version: argon2.Version,
			params:  map[string]uint64{"m": uint64(a.Memory), "t": uint64(a.Iterations), "p": uint64(a.Parallelism)},
			order:   []string{"m", "t", "p"},
			salt:    salt,
			hash:    key,
		}.String(), nil
	default:
		return "", fmt.Errorf("hash password: %w: %q", ErrUnsupported, h.opts.Algorithm)
	}
}

// Compare checks password against a stored hash of any supported format. It returns nil on a
// match, ErrMismatch on a wrong password, and an error wrapping ErrMalformed or ErrUnsupported
// when the hash cannot be used.
func (h *Hasher) Compare(ctx context.Context, password []byte, hashed string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("compare password: %w", err)
	}
	v, err := parse(hashed)
	if err != nil {
		return err
	}
	var got, want []byte
	if lerr := h.limit.do(ctx, memoryOf(v), func() { got, want, err = v.derive(password) }); lerr != nil {
		return fmt.Errorf("compare password: %w", lerr)
	}
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}

// Validate reports whether a stored hash is in a format Compare can verify (nil), or wraps
// ErrMalformed or ErrUnsupported. It parses only; nothing is computed.
func Validate(hashed string) error {
	_, err := parse(hashed)
	return err
}

// ValidateHash is Validate, for the identity manager's check of imported hashes.
func (h *Hasher) ValidateHash(hashed string) error { return Validate(hashed) }

// DummyCompare does the work of a Compare against a hash of a random value and discards the
// result, so that a login for an unknown identifier takes as long as one for a known identifier.
// Its error is only ErrBusy or ctx's: the work could not be done.
func (h *Hasher) DummyCompare(ctx context.Context, password []byte) error {
	if h.dummy == "" {
		return nil
	}
	if err := h.Compare(ctx, password, h.dummy); err != nil && !errors.Is(err, ErrMismatch) {
		if errors.Is(err, ErrBusy) || ctx.Err() != nil {
			return err
		}
	}
	return nil
}

// NeedsRehash reports whether a stored hash should be replaced by a new one: it uses another
// algorithm than the configured one, weaker parameters, or cannot be parsed.
func (h *Hasher) NeedsRehash(hashed string) bool {
	v, err := parse(hashed)
	if err != nil {
		return true
	}
	switch h.opts.Algorithm {
	case AlgorithmBcrypt:
		b, ok := v.(bcryptHash)
		if !ok {
			return true
		}
		cost, err := bcrypt.Cost([]byte(b))
		return err != nil || cost < h.opts.BcryptCost
	case AlgorithmArgon2:
		p, ok := v.(argon2Hash)
		if !ok || p.id != "argon2id" || p.version != argon2.Version {
			return true
		}
		a := h.opts.Argon2
		return p.params["m"] < uint64(a.Memory) || p.params["t"] < uint64(a.Iterations) ||
			p.params["p"] < uint64(a.Parallelism) ||
			len(p.salt) < int(a.SaltLength) || len(p.hash) < int(a.KeyLength)
	}
	return false
}
