package settings

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
)

// A parked change is a settings submission that needed a privileged session. It waits in a
// record of its own (a continuity container, as Kratos calls it) until the refresh login
// returns to GET /self-service/settings?flow=, and it belongs to whoever parked it: the
// session that submitted it and, for a browser flow, the browser, which received a random
// continuity cookie whose hash the record keeps. Without that tie, any later privileged
// session of the identity — the owner's, signing in through a link an attacker sent — would
// apply a change an attacker holding a stale session had submitted.
//
// The record is consumed by deleting it: of any number of concurrent resumes exactly one
// deletes it and applies the change, so a change is applied at most once. The flow refers to
// the record by its id (stored.Pending, sealed with the flow's private fields); ids are
// random and never reused, so a resume can never consume a record other than the one it
// checked.

// ContinuityKind is the store kind of parked settings changes.
const ContinuityKind = "settings_continuity"

// ContinuityCookieName is the cookie proving which browser parked a change (Kratos's name).
const ContinuityCookieName = "ory_kratos_continuity"

// parkedChange is a parked change's public part (the record's Data); the submission itself,
// which may hold a new password, is the record's Private, sealed and bound to the record id.
type parkedChange struct {
	FlowID    uuid.UUID `json:"flow_id"`
	SessionID uuid.UUID `json:"session_id"`
	// Browser is the SHA-256 of the continuity cookie (empty for API flows): the cookie
	// itself is a bearer secret and is never stored.
	Browser []byte `json:"browser,omitempty"`

	id     uuid.UUID
	sealed string
}

// parkChange stores body as st's parked change for session s and, for a browser flow, sets
// the continuity cookie on w. The flow is not saved here.
func (h *Handler) parkChange(ctx context.Context, w http.ResponseWriter, s *session.Session, st *stored, body form.Values) error {
	plain, err := json.Marshal(body)
	if err != nil {
		return apierr.ErrInternal.WithCause(fmt.Errorf("encode parked settings change: %w", err))
	}
	if !h.sealer.canSeal() {
		return apierr.ErrInternal.WithCause(errors.New("no secret to encrypt a parked settings change with"))
	}
	p := parkedChange{FlowID: st.ID, SessionID: s.ID, id: uuid.New()}
	var cookie string
	if st.Type == flow.TypeBrowser {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return apierr.ErrInternal.WithCause(fmt.Errorf("continuity cookie: %w", err))
		}
		cookie = base64.RawURLEncoding.EncodeToString(raw)
		sum := sha256.Sum256([]byte(cookie))
		p.Browser = sum[:]
	}
	sealed, err := h.sealer.seal(plain, p.id[:])
	if err != nil {
		return apierr.ErrInternal.WithCause(err)
	}
	data, err := json.Marshal(&p)
	if err != nil {
		return apierr.ErrInternal.WithCause(fmt.Errorf("encode parked settings change: %w", err))
	}
	owner := s.IdentityID
	rec := &store.FlowRecord{ID: p.id, Kind: ContinuityKind, IdentityID: &owner, ExpiresAt: st.ExpiresAt,
		Data: data, Private: []byte(sealed)}
	if err := h.deps.Store.CreateFlow(ctx, rec); err != nil {
		return fmt.Errorf("store parked settings change: %w", err)
	}
	st.Pending = p.id.String()
	if cookie != "" {
		http.SetCookie(w, h.continuityCookie(cookie, st.ExpiresAt))
	}
	return nil
}

// parked loads st's parked change; nil when there is none any more (another resume consumed
// it, or it expired and was cleaned up) or the reference is not one (a flow parked before
// changes were bound to their session: never applied).
func (h *Handler) parked(ctx context.Context, st *stored) (*parkedChange, error) {
	id, err := uuid.Parse(st.Pending)
	if err != nil {
		return nil, nil
	}
	rec, err := h.deps.Store.GetFlow(ctx, ContinuityKind, id)
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load parked settings change: %w", err)
	}
	var p parkedChange
	if err := json.Unmarshal(rec.Data, &p); err != nil {
		// Only this package writes these records: a damaged one proves nothing, like none.
		return &parkedChange{id: id}, nil
	}
	p.id, p.sealed = id, string(rec.Private)
	return &p, nil
}

// provenBy reports whether request r, made with session s, may resume p on flow st: it must
// be the session that parked it, and the request must prove it comes from the parker — the
// continuity cookie for a browser flow; for an API flow a request without cookies or Origin,
// so the session came from the app's token and not from a browser's ambient cookie.
func (p *parkedChange) provenBy(r *http.Request, s *session.Session, st *stored) bool {
	if p.FlowID != st.ID || p.SessionID != s.ID {
		return false
	}
	if st.Type == flow.TypeAPI {
		return flow.CheckAPIRequest(r) == nil
	}
	if len(p.Browser) != sha256.Size {
		return false
	}
	ok := 0
	for _, c := range r.Cookies() {
		if c.Name == ContinuityCookieName {
			sum := sha256.Sum256([]byte(c.Value))
			ok |= subtle.ConstantTimeCompare(sum[:], p.Browser)
		}
	}
	return ok == 1
}

// consume deletes the parked change id and reports whether this call deleted it: of
// concurrent calls exactly one does, and only that one may apply or discard it.
func (h *Handler) consume(ctx context.Context, id uuid.UUID) (bool, error) {
	err := h.deps.Store.DeleteFlow(ctx, ContinuityKind, id)
	if errors.Is(err, apierr.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("consume parked settings change: %w", err)
	}
	return true, nil
}

// dropParked discards st's parked change, if any, because a newer submission replaces it.
func (h *Handler) dropParked(ctx context.Context, st *stored) error {
	if st.Pending == "" {
		return nil
	}
	if id, err := uuid.Parse(st.Pending); err == nil {
		if _, err := h.consume(ctx, id); err != nil {
			return err
		}
	}
	st.Pending = ""
	return nil
}

// open decrypts the parked submission.
func (h *Handler) openParked(p *parkedChange) (form.Values, error) {
	plain, err := h.sealer.open(p.sealed, p.id[:])
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.UseNumber() // as form.Decode reads a JSON submission
	var body form.Values
	if err := dec.Decode(&body); err != nil {
		return nil, err
	}
	return body, nil
}

// continuityCookie is the continuity cookie carrying value until expires ("" and a past
// expiry delete it). It shares the session cookie's path, domain and Secure setting;
// SameSite=Strict keeps a cross-site link or form from carrying it, so only a navigation
// that starts on the site (the refresh login's redirect) can resume a change.
func (h *Handler) continuityCookie(value string, expires time.Time) *http.Cookie {
	o := h.Sessions.Options()
	c := &http.Cookie{
		Name: ContinuityCookieName, Value: value, Path: o.CookiePath, Domain: o.CookieDomain,
		HttpOnly: true, Secure: o.Secure, SameSite: http.SameSiteStrictMode,
	}
	if value == "" {
		c.MaxAge, c.Expires = -1, time.Unix(0, 0)
		return c
	}
	c.Expires = expires.UTC()
	c.MaxAge = max(int(expires.Sub(h.Time()).Seconds()), 1)
	return c
}
