package onetime

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/throttle"
)

// Purposes: the flow kind a code serves.
const (
	PurposeVerification = "verification"
	PurposeRecovery     = "recovery"
	PurposeLogin        = "login"
	PurposeRegistration = "registration"
)

// Methods as stored and as Kratos names them.
const (
	MethodCode = "code"
	MethodLink = "link"
)

// Digits is the length of a code (Kratos's).
const Digits = 6

// DefaultLifespan is selfservice.methods.code.config.lifespan's default (Kratos's).
const DefaultLifespan = 15 * time.Minute

// DefaultMaxTries is how many wrong codes a code and a flow take (Kratos refuses the sixth
// submission of a flow).
const DefaultMaxTries = 5

// DefaultAddressBudget bounds the guesses charged to one address of one purpose across all its
// flows: an attacker who opens flow after flow for someone else's address gets 10 guesses per
// 6 hours (40 a day, one chance in 25,000 a day for a 6-digit code), not 5 per flow.
var DefaultAddressBudget = throttle.Budget{Scope: "code-address", Max: 10, Window: 6 * time.Hour}

// DefaultSendBudget bounds the codes and messages sent to one address of one purpose, so a
// form cannot be used to flood a mailbox.
var DefaultSendBudget = throttle.Budget{Scope: "code-send", Max: 10, Window: time.Hour}

var (
	// ErrInvalid: the code is wrong, used, expired, replaced, or of another flow.
	ErrInvalid = errors.New("code: the code is invalid or has already been used")
	// ErrTooManyTries: the code, the flow or the address has no tries left; the flow must be
	// started again.
	ErrTooManyTries = errors.New("code: the request was submitted too often")
	// ErrSendLimited: too many codes were sent to the address lately; nothing was sent.
	ErrSendLimited = errors.New("code: too many codes sent to this address")
)

// Options configure Codes; zero fields take the defaults above.
type Options struct {
	// Lifespan is a code's (selfservice.methods.code.config.lifespan), LinkLifespan a link
	// token's (selfservice.methods.link.config.lifespan; Lifespan when zero).
	Lifespan      time.Duration
	LinkLifespan  time.Duration
	MaxTries      int
	AddressBudget throttle.Budget
	SendBudget    throttle.Budget
	// Now is the clock (required).
	Now func() time.Time
}

// Codes issues and checks codes of every purpose.
type Codes struct {
	store    store.Codes
	throttle *throttle.Throttle
	keys     [][]byte
	opts     Options
}

// New returns Codes hashing under keys derived from secrets (secrets.cookie: the first hashes,
// all verify). Without a secret it cannot issue codes (Issue fails).
func New(secrets []string, st store.Codes, th *throttle.Throttle, opts Options) *Codes {
	if opts.Lifespan <= 0 {
		opts.Lifespan = DefaultLifespan
	}
	if opts.LinkLifespan <= 0 {
		opts.LinkLifespan = opts.Lifespan
	}
	if opts.MaxTries <= 0 {
		opts.MaxTries = DefaultMaxTries
	}
	if opts.AddressBudget.Scope == "" {
		opts.AddressBudget = DefaultAddressBudget
	}
	if opts.SendBudget.Scope == "" {
		opts.SendBudget = DefaultSendBudget
	}
	c := &Codes{store: st, throttle: th, opts: opts}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		m := hmac.New(sha256.New, []byte(s))
		m.Write([]byte("portico one-time code key v1"))
		c.keys = append(c.keys, m.Sum(nil))
	}
	return c
}

// Lifespan is how long a code issued now stays valid.
func (c *Codes) Lifespan() time.Duration { return c.opts.Lifespan }

// flowBudget bounds the guesses on one flow across the codes sent to it; it outlives any flow.
func (c *Codes) flowBudget() throttle.Budget {
	return throttle.Budget{Scope: "code-flow", Max: c.opts.MaxTries, Window: 24 * time.Hour}
}

// Target says what a code is for and where it goes.
type Target struct {
	FlowID  uuid.UUID
	Purpose string
	// IdentityID is the identity the code proves control for; nil when the address belongs to
	// none (a code that will never be sent, or a registration code).
	IdentityID *uuid.UUID
	Via        string
	Address    string
	// Lifespan overrides the configured lifespan (an admin recovery code's expires_in).
	Lifespan time.Duration
}

// Issued is a code or link token just stored: Secret is what is sent (never stored).
type Issued struct {
	Secret    string
	ExpiresAt time.Time
	Record    *store.Code
}

// ReserveSend counts one message sent to the address for purpose; ErrSendLimited when its
// budget is used up (then send nothing, and answer as if it was sent).
func (c *Codes) ReserveSend(ctx context.Context, purpose, via, address string) error {
	_, err := c.throttle.Reserve(ctx, c.opts.Now(), throttle.Charge{Budget: c.opts.SendBudget, Subject: subject(purpose, via, address), Shared: true})
	if _, limited := throttle.IsLimited(err); limited {
		return ErrSendLimited
	}
	return err
}

// Issue makes a new code for t and stores its hash, replacing the flow's unused code.
func (c *Codes) Issue(ctx context.Context, t Target) (*Issued, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return nil, fmt.Errorf("generate code: %w", err)
	}
	secret := fmt.Sprintf("%0*d", Digits, n.Int64())
	return c.issue(ctx, t, MethodCode, secret)
}

// IssueLink makes a new link token for t (the link method).
func (c *Codes) IssueLink(ctx context.Context, t Target) (*Issued, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("generate link token: %w", err)
	}
	return c.issue(ctx, t, MethodLink, base64.RawURLEncoding.EncodeToString(b))
}

func (c *Codes) issue(ctx context.Context, t Target, method, secret string) (*Issued, error) {
	if len(c.keys) == 0 {
		return nil, apierr.ErrInternal.WithReason("no secret is configured to protect one-time codes with (secrets.cookie)")
	}
	life := t.Lifespan
	switch {
	case life > 0:
	case method == MethodLink:
		life = c.opts.LinkLifespan
	default:
		life = c.opts.Lifespan
	}
	now := c.opts.Now()
	rec := &store.Code{
		FlowID: t.FlowID, Purpose: t.Purpose, Method: method, IdentityID: t.IdentityID,
		Via: t.Via, Address: t.Address, Hash: c.hash(c.keys[0], method, t.Purpose, t.FlowID, secret),
		ExpiresAt: now.Add(life), CreatedAt: now,
	}
	if err := c.store.CreateCode(ctx, rec); err != nil {
		return nil, err
	}
	return &Issued{Secret: secret, ExpiresAt: rec.ExpiresAt, Record: rec}, nil
}

// hash is the stored form of a secret. A code's covers its flow (six digits are only
// meaningful with it); a link token is looked up by its hash alone, so its flow is checked
// on the record instead.
func (c *Codes) hash(key []byte, method, purpose string, flowID uuid.UUID, secret string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(method + "\x00" + purpose + "\x00"))
	if method == MethodCode {
		m.Write(flowID[:])
	}
	m.Write([]byte("\x00" + secret))
	return m.Sum(nil)
}

// Normalize returns a submitted code without surrounding spaces, and whether it has the form
// of a code at all (one that does not can never match, so it costs no try).
func Normalize(submitted string) (string, bool) {
	s := strings.TrimSpace(submitted)
	if len(s) != Digits {
		return s, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return s, false
		}
	}
	return s, true
}

// Check checks a code submitted to flowID for purpose and, when it is right, uses it up and
// returns its record (the identity and address it was sent for). Every try is reserved on the
// code, the flow and the address before it is compared. Errors: ErrInvalid, ErrTooManyTries,
// or the store's (a database outage).
func (c *Codes) Check(ctx context.Context, flowID uuid.UUID, purpose, submitted string) (*store.Code, error) {
	secret, ok := Normalize(submitted)
	if !ok {
		return nil, ErrInvalid
	}
	now := c.opts.Now()
	rec, admitted, err := c.store.ReserveCodeAttempt(ctx, flowID, purpose, now, c.opts.MaxTries)
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, ErrInvalid
	}
	if err != nil {
		return nil, err
	}
	if !admitted {
		return nil, ErrTooManyTries
	}
	res, err := c.throttle.Reserve(ctx, now,
		throttle.Charge{Budget: c.flowBudget(), Subject: flowID.String()},
		throttle.Charge{Budget: c.opts.AddressBudget, Subject: subject(purpose, rec.Via, rec.Address)},
	)
	if _, limited := throttle.IsLimited(err); limited {
		return nil, ErrTooManyTries
	}
	if err != nil {
		return nil, err
	}
	if !c.matches(rec, secret) {
		return nil, ErrInvalid // the try stays counted
	}
	if err := c.store.UseCode(ctx, rec.ID, now); err != nil {
		if errors.Is(err, apierr.ErrNotFound) {
			// Used by a concurrent request first (or it expired meanwhile): a right code, so
			// this try is not held against anyone.
			_ = res.Cancel(ctx)
			return nil, ErrInvalid
		}
		_ = res.Cancel(ctx)
		return nil, err
	}
	return rec, res.Succeeded(ctx)
}

func (c *Codes) matches(rec *store.Code, secret string) bool {
	found := false
	for _, k := range c.keys {
		// Every key is tried, so the time taken does not depend on which one matched.
		if hmac.Equal(c.hash(k, rec.Method, rec.Purpose, rec.FlowID, secret), rec.Hash) {
			found = true
		}
	}
	return found
}

// CheckLink finds the live link token of purpose sent for flowID and uses it up. A token is
// 256 random bits, so it is looked up by its hash; no try budget is needed. A token of another
// flow is refused and left unused, as a wrong code is: whoever gets a link opened in the wrong
// flow cannot destroy it.
func (c *Codes) CheckLink(ctx context.Context, flowID uuid.UUID, purpose, token string) (*store.Code, error) {
	token = strings.TrimSpace(token)
	if token == "" || len(token) > 128 {
		return nil, ErrInvalid
	}
	now := c.opts.Now()
	for _, k := range c.keys {
		rec, err := c.store.FindCodeByHash(ctx, purpose, c.hash(k, MethodLink, purpose, uuid.Nil, token), now)
		if errors.Is(err, apierr.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if rec.FlowID != flowID {
			return nil, ErrInvalid
		}
		if err := c.store.UseCode(ctx, rec.ID, now); err != nil {
			if errors.Is(err, apierr.ErrNotFound) {
				return nil, ErrInvalid
			}
			return nil, err
		}
		return rec, nil
	}
	return nil, ErrInvalid
}

// subject is what the address budgets count: the purpose, channel and address, lower-cased.
func subject(purpose, via, address string) string {
	return purpose + ":" + via + ":" + strings.ToLower(strings.TrimSpace(address))
}
