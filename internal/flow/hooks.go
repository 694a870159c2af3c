package flow

import (
	"context"
	"errors"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/webhook"
)

// Hooks are the web hooks of one kind of flow (selfservice.flows.<kind>.before.hooks and
// .after[.<method>].hooks, the web_hook entries only).
type Hooks struct {
	Caller *webhook.Caller
	Before []*webhook.Hook
	// After holds, by method, the method's after hooks followed by the flow's; "" holds the
	// flow's alone (methods without a section of their own, flows without methods).
	After map[string][]*webhook.Hook
	// Persists is set for the kinds that store an identity through PrePersist (registration,
	// settings): their interrupting after hooks run there, before the identity is stored, and
	// RunAfter leaves them out. Elsewhere (login) RunAfter runs them and the flow shows a
	// refusal.
	Persists bool
}

func (h *Hooks) after(method string) []*webhook.Hook {
	if h == nil {
		return nil
	}
	if l, ok := h.After[method]; ok {
		return l
	}
	return h.After[""]
}

// RunBefore runs the kind's before hooks for f, a new flow about to be stored: a hook that
// fails or refuses stops the flow from being created.
func (l *Lifecycle) RunBefore(r *http.Request, f Flow) error {
	if l.Hooks == nil || len(l.Hooks.Before) == 0 {
		return nil
	}
	in := l.hookInput(r, f, nil, nil)
	for _, h := range l.Hooks.Before {
		if h.Config.Response.Ignore {
			l.Hooks.Caller.Send(h, in)
			continue
		}
		_, err := l.Hooks.Caller.Call(r.Context(), h, in)
		var refused *webhook.Interrupt
		if errors.As(err, &refused) {
			// No flow exists yet to show the messages on.
			return apierr.ErrForbidden.WithReason("%s", refusalText(refused))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// refusalText is the first message of a refusal.
func refusalText(in *webhook.Interrupt) string {
	for _, m := range in.Messages {
		return m.Text
	}
	for _, ms := range in.Nodes {
		for _, m := range ms {
			return m.Text
		}
	}
	return "The flow was refused."
}

// PrePersist returns r's context carrying the kind's after hooks of method that may interrupt
// (can_interrupt, response.parse): identity.Manager runs them on the identity the submission
// stores, before it validates and stores it and outside any transaction. A refusal is a
// *FormError with the app's messages on the nodes its instance pointers name; a parsed answer
// replaces the identity's traits and metadata, which are then validated as if submitted.
func (l *Lifecycle) PrePersist(r *http.Request, f Flow, method string) context.Context {
	var hooks []*webhook.Hook
	for _, h := range l.Hooks.after(method) {
		if h.Config.Interrupts() {
			hooks = append(hooks, h)
		}
	}
	if len(hooks) == 0 {
		return r.Context()
	}
	return identity.WithBeforeSave(r.Context(), func(ctx context.Context, id *identity.Identity) error {
		for _, h := range hooks {
			patch, err := l.Hooks.Caller.Call(ctx, h, l.hookInput(r, f, id, nil))
			if err != nil {
				return hookError(err)
			}
			if patch != nil {
				applyPatch(id, patch)
			}
		}
		return nil
	})
}

// RunAfter runs the kind's after hooks of method that the flow waits for and PrePersist did
// not run: a failure or refusal is the request's error (for registration and settings, what
// was stored stays, as in Kratos). ident and sess are what the flow signed in, stored or
// issued (either may be nil).
func (l *Lifecycle) RunAfter(r *http.Request, f Flow, method string, ident *identity.Identity, sess *session.Session) error {
	var in *webhook.Input
	for _, h := range l.Hooks.after(method) {
		if h.Config.Response.Ignore || (l.Hooks.Persists && h.Config.Interrupts()) {
			continue
		}
		if in == nil {
			in = l.hookInput(r, f, ident, sess)
		}
		if _, err := l.Hooks.Caller.Call(context.WithoutCancel(r.Context()), h, in); err != nil {
			return hookError(err)
		}
	}
	return nil
}

// SendAfter sends the kind's after hooks of method whose response is ignored, in the
// background: call it once the flow's change is committed; it never holds the reply.
func (l *Lifecycle) SendAfter(r *http.Request, f Flow, method string, ident *identity.Identity, sess *session.Session) {
	var in *webhook.Input
	for _, h := range l.Hooks.after(method) {
		if !h.Config.Response.Ignore {
			continue
		}
		if in == nil {
			in = l.hookInput(r, f, ident, sess)
		}
		l.Hooks.Caller.Send(h, in)
	}
}

// hookError turns a hook's refusal into the FormError the flow shows.
func hookError(err error) error {
	var in *webhook.Interrupt
	if errors.As(err, &in) {
		return &FormError{Messages: in.Messages, Nodes: in.Nodes}
	}
	return err
}

func applyPatch(id *identity.Identity, p *webhook.Patch) {
	if len(p.Traits) > 0 {
		id.Traits = p.Traits
	}
	if len(p.MetadataPublic) > 0 {
		id.MetadataPublic = p.MetadataPublic
	}
	if len(p.MetadataAdmin) > 0 {
		id.MetadataAdmin = p.MetadataAdmin
	}
}

// hookHeaders are the request headers a hook's template sees (Kratos's list): what describes
// the browser, never its credentials (Cookie, Authorization, X-Session-Token).
var hookHeaders = map[string]bool{
	"Accept": true, "Accept-Encoding": true, "Accept-Language": true, "Content-Length": true,
	"Content-Type": true, "Origin": true, "Priority": true, "Referer": true, "Sec-Ch-Ua": true,
	"Sec-Ch-Ua-Mobile": true, "Sec-Ch-Ua-Platform": true, "Sec-Fetch-Dest": true,
	"Sec-Fetch-Mode": true, "Sec-Fetch-Site": true, "Sec-Fetch-User": true,
	"True-Client-Ip": true, "User-Agent": true,
}

// hookInput is the template's ctx for f and r: the flow as served, the request's allowed
// headers, its cookies except Portico's own (the session, CSRF and continuity cookies), and
// the identity (without credentials) and session when there are.
func (l *Lifecycle) hookInput(r *http.Request, f Flow, ident *identity.Identity, sess *session.Session) *webhook.Input {
	in := &webhook.Input{
		Flow: f, RequestHeaders: http.Header{}, RequestMethod: r.Method,
		RequestURL: hookURL(l.Public, r), RequestCookies: map[string]string{},
	}
	for k, v := range r.Header {
		if hookHeaders[textproto.CanonicalMIMEHeaderKey(k)] {
			in.RequestHeaders[k] = v
		}
	}
	own := l.Sessions.Options().CookieName
	for _, c := range r.Cookies() {
		if c.Name != own && c.Name != l.CSRF.CookieName && !strings.HasPrefix(c.Name, "ory_kratos_") {
			in.RequestCookies[c.Name] = c.Value
		}
	}
	if ident != nil {
		in.Identity = hookIdentity(l.Public, ident)
	}
	if sess != nil {
		s := *sess
		s.Identity = hookIdentity(l.Public, sess.Identity)
		in.Session = &s
	}
	return in
}

// hookIdentity is id as a hook sees it, alone or in a session: without its credentials.
func hookIdentity(public *url.URL, id *identity.Identity) *identity.Identity {
	if id == nil {
		return nil
	}
	v := id.Shown(public.String())
	v.Credentials = nil
	return v
}

// hookURL is r's URL on the public base URL without the secrets a link carries (a
// verification or recovery link's token or code, used up by now but never the app's).
func hookURL(public *url.URL, r *http.Request) string {
	q := r.URL.Query()
	if !q.Has("token") && !q.Has("code") {
		return RequestURL(public, r)
	}
	q.Del("token")
	q.Del("code")
	c := *r.URL
	c.RawQuery = q.Encode()
	return Echo(JoinPath(public, c.RequestURI()))
}

// HasAfterHooks reports whether method has after hooks (each is sent the flow).
func (l *Lifecycle) HasAfterHooks(method string) bool {
	return len(l.Hooks.after(method)) > 0
}
