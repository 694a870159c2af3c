package onetime

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/text"
)

// States of a verification or recovery flow.
const (
	StateChooseMethod    = "choose_method"
	StateSentEmail       = "sent_email"
	StatePassedChallenge = "passed_challenge"
)

// Challenge is what a verification and a recovery flow hold alike: the flow base, the method
// in use and the state. Their Flow types embed it.
type Challenge struct {
	flow.Base
	// Active is the method in use once an address was submitted.
	Active           string         `json:"active,omitempty"`
	State            string         `json:"state"`
	TransientPayload map[string]any `json:"transient_payload,omitempty"`
}

func (c *Challenge) challenge() *Challenge { return c }

// ChallengeFlow is a flow type embedding Challenge.
type ChallengeFlow interface {
	flow.Flow
	challenge() *Challenge
}

// Texts are the messages of one kind of challenge flow.
type Texts struct {
	// Expired is the message of the flow that replaces an expired one.
	Expired func(expiredAt, now time.Time) text.Message
	// RetrySuccess (the flow is done), NoStrategy (a method not offered), CodeInvalid and
	// TokenInvalid are the refusals; CodeLabel labels the code input; CodeSent and LinkSent
	// tell that a message went out.
	RetrySuccess, NoStrategy, CodeInvalid, TokenInvalid int
	CodeLabel, CodeSent, LinkSent                       int
}

// Exchange is the part of the verification and recovery handlers that is the same: the flow's
// lifecycle and the configuration of sending a code or a link to an email address and taking
// it back. Its flow package states the rest in a Spec.
type Exchange[F ChallengeFlow] struct {
	flow.Lifecycle
	// Enabled is selfservice.flows.<kind>.enabled.
	Enabled bool
	// Use is selfservice.flows.<kind>.use: "code" or "link".
	Use   string
	Codes *Codes
	Mail  Mailer
	// NotifyUnknown is selfservice.flows.<kind>.notify_unknown_recipients.
	NotifyUnknown bool
	// LinkBase is the base of the links sent (selfservice.methods.link.config.base_url, or
	// the public base URL).
	LinkBase *url.URL
}

// Spec is what one kind of challenge flow does its own way.
type Spec[F ChallengeFlow] struct {
	// Purpose is PurposeVerification or PurposeRecovery.
	Purpose string
	Texts   Texts
	// Disabled answers every endpoint while the flow is off.
	Disabled error
	// New is an empty flow to load into.
	New func() F
	// Fresh builds a flow in choose_method for returnTo (not stored).
	Fresh func(w *flow.Responder, r *http.Request, returnTo string) F
	// CodeURL is the link a code message carries for f.
	CodeURL func(f F) func(code string) string
	// Find finds the identity holding an email address (apierr.ErrNotFound when none does).
	Find func(ctx context.Context, via, address string) (*identity.Identity, error)
	// MessageSent, when set, runs after a message went to ident's address.
	MessageSent func(ctx context.Context, ident *identity.Identity, address string) error
	// Refuse, when set, may refuse to start a flow, or a submission to a flow in state (after
	// CSRF): refusal is returned to JSON callers, browsers go to target.
	Refuse func(r *http.Request, state, returnTo string) (refusal error, target string, err error)
	// CodeAnyway lets a flow that is using the code method take codes whatever Use is (an
	// admin's recovery code).
	CodeAnyway bool
	// Unlinked answers a GET of the flow without a token; nil shows the flow.
	Unlinked func(w *flow.Responder, r *http.Request, f F, rec *store.FlowRecord) error
	// Passed completes f after a right code or link (method MethodCode or MethodLink);
	// returning ErrInvalid refuses the code or link after all.
	Passed func(w *flow.Responder, r *http.Request, f F, c *store.Code, method string) error
}

// Mount adds the flow's public endpoints (/self-service/<kind>/…) to mux: create (browser and
// API), get, update and link; each refuses while the flow is off.
func (e *Exchange[F]) Mount(mux *http.ServeMux, s *Spec[F]) {
	create, get := e.create(s), func(w *flow.Responder, r *http.Request) error { return e.Get(w, r, s.New()) }
	on := func(next flow.HandlerFunc) flow.HandlerFunc {
		return func(w *flow.Responder, r *http.Request) error {
			if !e.Enabled {
				return s.Disabled
			}
			return next(w, r)
		}
	}
	path := e.ActionPath()
	mux.HandleFunc("GET "+path+"/browser", e.Replies.Handler(flow.TypeBrowser, on(create)))
	mux.HandleFunc("GET "+path+"/api", e.Replies.Handler(flow.TypeAPI, on(create)))
	mux.HandleFunc("GET "+path+"/flows", e.Replies.JSONHandler(on(get)))
	mux.HandleFunc("POST "+path, e.Replies.Handler("", on(e.update(s))))
	mux.HandleFunc("GET "+path, e.Replies.Handler("", on(e.link(s))))
}

// create answers create<Kind>BrowserFlow and create<Kind>NativeFlow.
func (e *Exchange[F]) create(s *Spec[F]) flow.HandlerFunc {
	return func(w *flow.Responder, r *http.Request) error {
		returnTo, err := e.CheckReturnTo(r)
		if err != nil {
			return err
		}
		if done, err := e.refuse(w, r, s, StateChooseMethod, returnTo); done {
			return err
		}
		f := s.Fresh(w, r, returnTo)
		if err := e.RunBefore(r, f); err != nil {
			return err
		}
		if err := e.Create(r.Context(), f, nil); err != nil {
			return err
		}
		return w.Show(http.StatusOK, f, e.UI(f.challenge().ID))
	}
}

// refuse answers with Spec.Refuse's refusal, if any, and reports whether it did.
func (e *Exchange[F]) refuse(w *flow.Responder, r *http.Request, s *Spec[F], state, returnTo string) (bool, error) {
	if s.Refuse == nil {
		return false, nil
	}
	refusal, target, err := s.Refuse(r, state, returnTo)
	if err != nil {
		return true, err
	}
	if refusal == nil {
		return false, nil
	}
	return true, w.RefuseOrRedirect(refusal, target)
}

// expire answers a submission to f when f has expired (410 with its stored replacement) and
// reports whether it did.
func (e *Exchange[F]) expire(w *flow.Responder, r *http.Request, s *Spec[F], f F) (bool, error) {
	c := f.challenge()
	if c.Valid(e.Time()) == nil {
		return false, nil
	}
	next, err := e.Replace(w, r, s, f, s.Texts.Expired(c.ExpiresAt, e.Time()))
	if err != nil {
		return true, err
	}
	return true, e.Expired(w, f, next)
}

// Replace stores a new flow in place of old (expired, out of tries, a bad link) showing msg.
func (e *Exchange[F]) Replace(w *flow.Responder, r *http.Request, s *Spec[F], old F, msg text.Message) (F, error) {
	f := s.Fresh(w, r, old.challenge().ReturnTo)
	f.challenge().UI.AddMessage(msg)
	return f, e.Create(r.Context(), f, nil)
}

// startOver answers 400 with a new flow in place of old, showing msg.
func (e *Exchange[F]) startOver(w *flow.Responder, r *http.Request, s *Spec[F], old F, msg text.Message) error {
	next, err := e.Replace(w, r, s, old, msg)
	if err != nil {
		return err
	}
	return w.Show(http.StatusBadRequest, next, e.UI(next.challenge().ID))
}

// update answers a POST to the flow: an email sends a (new) code or link; a code is checked
// and, when right, completes the flow (Spec.Passed).
func (e *Exchange[F]) update(s *Spec[F]) flow.HandlerFunc {
	return func(w *flow.Responder, r *http.Request) error {
		f := s.New()
		rec, err := e.Submission(w, r, f)
		if err != nil {
			return err
		}
		body, err := form.Decode(r)
		if err != nil {
			return err
		}
		if done, err := e.expire(w, r, s, f); done {
			return err
		}
		if err := e.Verify(r, f, body); err != nil {
			return err
		}
		c := f.challenge()
		if done, err := e.refuse(w, r, s, c.State, c.ReturnTo); done {
			return err
		}
		c.UI.ResetMessages()
		if c.State == StatePassedChallenge {
			return e.Invalid(w, r, f, rec.IdentityID, flow.NewFormError(text.New(s.Texts.RetrySuccess, nil)))
		}
		method := body.String("method")
		if method != e.Use && !(s.CodeAnyway && method == MethodCode && c.Active == MethodCode) {
			return e.Invalid(w, r, f, nil, flow.NewFormError(text.New(s.Texts.NoStrategy, nil)))
		}
		if body.Get("transient_payload") != nil {
			c.TransientPayload = body.Object("transient_payload")
		}
		code := body.String("code")
		if email := body.String("email"); email != "" || code == "" || method == MethodLink {
			return e.send(w, r, s, f, method, email)
		}
		got, err := e.Codes.Check(r.Context(), c.ID, s.Purpose, code)
		if errors.Is(err, ErrTooManyTries) {
			return e.startOver(w, r, s, f, text.NewCodeSubmittedTooOften())
		}
		if err == nil && got.IdentityID == nil {
			err = ErrInvalid
		}
		if err == nil {
			err = s.Passed(w, r, f, got, MethodCode)
		}
		if errors.Is(err, ErrInvalid) {
			return e.Invalid(w, r, f, nil, flow.NewFormError(text.New(s.Texts.CodeInvalid, nil)))
		}
		return err
	}
}

// send sends a code or link to email (or does the same work for an address no identity holds)
// and shows the flow in sent_email.
func (e *Exchange[F]) send(w *flow.Responder, r *http.Request, s *Spec[F], f F, method, email string) error {
	ctx := r.Context()
	c := f.challenge()
	address, fe := CheckEmail(c.UI.Nodes, "email", email)
	if fe != nil {
		return e.Invalid(w, r, f, nil, fe)
	}
	ident, err := s.Find(ctx, "email", address)
	if errors.Is(err, apierr.ErrNotFound) {
		ident, err = nil, nil
	}
	if err != nil {
		return err
	}
	if err := e.Dispatch(ctx, s, f, method, ident, address); err != nil {
		return err
	}
	e.Sent(s, f, method, address)
	if err := e.Save(ctx, f, nil); err != nil {
		return err
	}
	return w.Show(http.StatusOK, f, e.UI(c.ID))
}

// Dispatch sends f's code or link (method) to address, held by ident (nil when nobody holds
// it: the same work is done, and nothing is sent unless NotifyUnknown), then runs
// Spec.MessageSent.
func (e *Exchange[F]) Dispatch(ctx context.Context, s *Spec[F], f F, method string, ident *identity.Identity, address string) error {
	c := f.challenge()
	d := Dispatch{Purpose: s.Purpose, Method: method, FlowID: c.ID, Via: "email",
		Address: address, Identity: ident, NotifyUnknown: e.NotifyUnknown, RequestURL: c.RequestURL, URL: s.CodeURL(f)}
	if method == MethodLink {
		d.URL = e.TokenURL(f)
	}
	if err := e.Codes.Send(ctx, e.Mail, d); err != nil {
		return err
	}
	if ident != nil && s.MessageSent != nil {
		return s.MessageSent(ctx, ident, address)
	}
	return nil
}

// TokenURL is the link method's link to f: GET /self-service/<kind>?flow=&token=.
func (e *Exchange[F]) TokenURL(f F) func(string) string {
	return func(token string) string {
		return flow.AppendQuery(f.challenge().ActionURL(e.LinkBase, e.ActionPath()), "token", token)
	}
}

// Sent puts f in sent_email: the code form (code method) or the address form again, to send
// another link (link method). address is "" for a code an admin made (no message is sent).
func (e *Exchange[F]) Sent(s *Spec[F], f F, method, address string) {
	c := f.challenge()
	c.Active, c.State = method, StateSentEmail
	c.UI.Nodes.Remove(flow.GroupCode, flow.GroupLink)
	if method == MethodCode {
		AskCodeNodes(&c.UI.Nodes, address, text.New(s.Texts.CodeLabel, nil))
		if address != "" {
			c.UI.AddMessage(text.New(s.Texts.CodeSent, nil))
		}
		return
	}
	AskAddressNodes(&c.UI.Nodes, method, address)
	c.UI.AddMessage(text.New(s.Texts.LinkSent, nil))
}

// link answers the link method's GET /self-service/<kind>?flow=<id>[&token=<token>]: a browser
// following the link of a message. A right token completes the flow (Spec.Passed); without a
// token the flow is shown (Spec.Unlinked).
func (e *Exchange[F]) link(s *Spec[F]) flow.HandlerFunc {
	return func(w *flow.Responder, r *http.Request) error {
		f := s.New()
		rec, err := e.Submission(w, r, f)
		if err != nil {
			return err
		}
		if done, err := e.expire(w, r, s, f); done {
			return err
		}
		c := f.challenge()
		token := r.URL.Query().Get("token")
		if token == "" {
			if s.Unlinked != nil {
				return s.Unlinked(w, r, f, rec)
			}
			return w.Show(http.StatusOK, f, e.UI(c.ID))
		}
		got, err := e.Codes.CheckLink(r.Context(), c.ID, s.Purpose, token)
		if err == nil && got.IdentityID == nil {
			err = ErrInvalid
		}
		if err == nil {
			err = s.Passed(w, r, f, got, MethodLink)
		}
		if errors.Is(err, ErrInvalid) {
			return e.startOver(w, r, s, f, text.New(s.Texts.TokenInvalid, nil))
		}
		return err
	}
}
