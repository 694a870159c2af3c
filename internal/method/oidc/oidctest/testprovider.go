package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// Tamper makes the provider issue an ID token Portico must refuse.
type Tamper int

// The hostile ID tokens.
const (
	Honest Tamper = iota
	// BadSignature signs with a key the provider does not publish (same key id).
	BadSignature
	// WrongNonce puts another nonce into the token.
	WrongNonce
)

// User is a person with an account at the provider.
type User struct {
	ID            string
	Email         string
	EmailVerified bool
	GivenName     string
	FamilyName    string
}

// Provider is a running OpenID provider with one confidential client.
type Provider struct {
	// Issuer is the provider's issuer URL (discovery at Issuer/.well-known/openid-configuration).
	Issuer       string
	ClientID     string
	ClientSecret string

	// AuthOrigin, after AuthorizeElsewhere, is the origin of the authorisation endpoint,
	// which discovery then names on another origin than the issuer's (as Cognito's does).
	AuthOrigin string

	srv   *httptest.Server
	auth  *httptest.Server // serves the authorisation endpoint when it is elsewhere
	proxy *tokenProxy      // in front of the token endpoint after ProxyTokens
	store *store
	op    *op.Provider

	mu     sync.Mutex
	next   string // the user who signs in next
	deny   string // an error the provider answers with instead
	tamper Tamper
}

// New reserves the provider's address (its issuer) without serving yet, so that the relying
// party can be configured with it first; Start serves.
func New(t testing.TB) *Provider {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	return &Provider{Issuer: "http://" + srv.Listener.Addr().String(), ClientID: "portico", ClientSecret: "portico-secret", srv: srv}
}

// AuthorizeElsewhere, called before Start, serves the authorisation endpoint on a second
// address (another origin) and has discovery name it there.
func (p *Provider) AuthorizeElsewhere(t testing.TB) {
	t.Helper()
	p.auth = httptest.NewUnstartedServer(nil)
	t.Cleanup(p.auth.Close)
	p.AuthOrigin = "http://" + p.auth.Listener.Addr().String()
}

// Start serves the provider with its client allowed to redirect to redirectURIs.
func (p *Provider) Start(t testing.TB, redirectURIs ...string) {
	t.Helper()
	users := &userStore{users: map[string]*storage.User{}}
	clients := map[string]*storage.Client{p.ClientID: storage.WebClient(p.ClientID, p.ClientSecret, redirectURIs...)}
	for _, app := range AppClients {
		clients[app] = storage.WebClient(app, appSecret, appRedirect)
	}
	inner := storage.NewStorageWithClients(users, clients)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p.store = &store{Storage: inner, users: users, p: p, rogue: key}
	opts := []op.Option{op.WithAllowInsecure()}
	if p.auth != nil {
		opts = append(opts, op.WithCustomAuthEndpoint(op.NewEndpointWithURL("/authorize", p.AuthOrigin+"/authorize")))
	}
	provider, err := op.NewProvider(&op.Config{
		CryptoKey: sha256.Sum256([]byte("oidctest")), CodeMethodS256: true, AuthMethodPost: true,
		SupportedUILocales: []language.Tag{language.English},
	}, p.store, op.StaticIssuer(p.Issuer), opts...)
	if err != nil {
		t.Fatal(err)
	}
	p.op = provider
	mux := http.NewServeMux()
	mux.HandleFunc("/login/username", p.login)
	mux.Handle("/", provider)
	p.srv.Config.Handler = mux
	p.srv.Start()
	if p.auth != nil {
		p.auth.Config.Handler = mux
		p.auth.Start()
	}
	if p.proxy != nil {
		p.startProxy()
	}
}

// AddUser creates an account at the provider.
func (p *Provider) AddUser(u User) {
	p.store.users.add(u)
}

// SignInAs makes the next authorisation request sign in as the user with id.
func (p *Provider) SignInAs(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next, p.deny = id, ""
}

// Deny makes the provider answer the next authorisation request with error code (e.g.
// "access_denied"), as when the person refuses consent.
func (p *Provider) Deny(code string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deny = code
}

// SetTamper makes the provider issue hostile ID tokens from now on.
func (p *Provider) SetTamper(t Tamper) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tamper = t
}

func (p *Provider) current() (string, string, Tamper) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.next, p.deny, p.tamper
}

// login is the provider's sign-in page: it signs in the chosen user at once (or refuses) and
// hands the request back to the OP library, which redirects to the relying party.
func (p *Provider) login(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("authRequestID")
	user, deny, _ := p.current()
	if deny != "" {
		req, err := p.store.AuthRequestByID(r.Context(), id)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		op.AuthRequestError(w, r, req, oidc.ErrAccessDenied().WithDescription("the person said no"), p.op)
		return
	}
	u := p.store.users.GetUserByID(user)
	if u == nil {
		http.Error(w, "no user chosen", http.StatusBadRequest)
		return
	}
	if err := p.store.CheckUsernamePassword(u.Username, u.Password, id); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, op.AuthCallbackURL(p.op)(op.ContextWithIssuer(r.Context(), p.Issuer), id), http.StatusFound)
}

// userStore is the provider's accounts.
type userStore struct {
	mu    sync.Mutex
	users map[string]*storage.User
}

func (s *userStore) add(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = &storage.User{
		ID: u.ID, Username: u.ID, Password: "pw", FirstName: u.GivenName, LastName: u.FamilyName,
		Email: u.Email, EmailVerified: u.EmailVerified, PreferredLanguage: language.English,
	}
}

func (s *userStore) GetUserByID(id string) *storage.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users[id]
}

func (s *userStore) GetUserByUsername(name string) *storage.User { return s.GetUserByID(name) }

func (s *userStore) ExampleClientID() string { return "service" }

// store is the library's example storage with the test's switches: ID tokens carry the
// profile and email claims, and can be made hostile.
type store struct {
	*storage.Storage
	users *userStore
	p     *Provider
	rogue *rsa.PrivateKey
}

// GetClientByClientID asserts the user info claims in ID tokens, as Google and most
// providers do, so that the ID token alone carries the email.
func (s *store) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return claimsInIDToken{c}, nil
}

type claimsInIDToken struct{ op.Client }

func (claimsInIDToken) IDTokenUserinfoClaimsAssertion() bool { return true }

// SigningKey is the published key, or for BadSignature one the provider never published,
// under the published key's id.
func (s *store) SigningKey(ctx context.Context) (op.SigningKey, error) {
	k, err := s.Storage.SigningKey(ctx)
	if err != nil {
		return nil, err
	}
	if _, _, t := s.p.current(); t == BadSignature {
		return rogueKey{id: k.ID(), key: s.rogue}, nil
	}
	return k, nil
}

type rogueKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k rogueKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k rogueKey) Key() any                                    { return k.key }
func (k rogueKey) ID() string                                  { return k.id }

// AuthRequestByCode is the request the tokens are issued for, with another audience or
// nonce when the test asks for one.
func (s *store) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	req, err := s.Storage.AuthRequestByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	_, _, t := s.p.current()
	return hostile{AuthRequest: req, tamper: t}, nil
}

type hostile struct {
	op.AuthRequest
	tamper Tamper
}

func (h hostile) GetNonce() string {
	if h.tamper == WrongNonce {
		return "not-the-nonce-portico-sent"
	}
	return h.AuthRequest.GetNonce()
}
