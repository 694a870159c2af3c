package server

import (
	"context"
	"net/http"

	"github.com/portico-auth/portico/internal/audit/audithttp"
	"github.com/portico-auth/portico/internal/config"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/login"
	"github.com/portico-auth/portico/internal/flow/logout"
	"github.com/portico-auth/portico/internal/flow/registration"
	"github.com/portico-auth/portico/internal/flow/verification"
	"github.com/portico-auth/portico/internal/method/code"
	"github.com/portico-auth/portico/internal/method/lookup"
	"github.com/portico-auth/portico/internal/method/oidc"
	"github.com/portico-auth/portico/internal/method/password"
	"github.com/portico-auth/portico/internal/method/totp"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/throttle"
)

// signIn is what the login and registration flows are made of: the methods
// selfservice.methods enables and the second-factor limit.
type signIn struct {
	// identities loads the identity behind a session (the store).
	identities   login.Identities
	login        []login.Method
	registration []registration.Method
	// devices is the password method (it remembers a signed-in device), nil when it is off.
	devices        login.DeviceRememberer
	factorThrottle login.Throttle
	// passwordThrottle is the sign-in budget of passwords, which settings' current-password
	// check draws on too.
	passwordThrottle *throttle.Login
	// social is the oidc method, nil when it is off; it finishes the login and registration
	// flows after a provider's callback.
	social *oidc.Strategy
	// audit records sign-ins and refused attempts.
	audit *audithttp.Recorder
}

// newSignIn builds the login and registration methods from the shared components (webauthn
// and passkey are built before, with the settings methods).
func newSignIn(ctx context.Context, a *App, ss *selfService) (*signIn, error) {
	cfg, st := a.Config, a.Store
	pwThrottle, factorThrottle, err := newLoginThrottles(a)
	if err != nil {
		return nil, err
	}
	m := &signIn{identities: st, factorThrottle: factorThrottle, passwordThrottle: pwThrottle, audit: a.Audit}
	if cfg.SelfService.Methods.Password.Enabled {
		pwLogin := &password.LoginMethod{
			Identities: st, Hasher: a.Hasher, Updater: a.Identities, Schemas: a.Schemas,
			Throttle: pwThrottle, Now: a.Now, Log: a.Log,
		}
		m.devices = pwLogin
		m.login = append(m.login, pwLogin)
		m.registration = append(m.registration, &password.RegistrationMethod{Identities: a.Identities, Schemas: a.Schemas})
	}
	// Second factors (aal2 flows only).
	if cfg.MethodEnabled("totp") {
		m.login = append(m.login, &totp.LoginMethod{StoredFactor: login.StoredFactor{Identities: a.Identities, Now: a.Now}})
	}
	if cfg.MethodEnabled("lookup_secret") {
		m.login = append(m.login, &lookup.LoginMethod{StoredFactor: login.StoredFactor{Identities: a.Identities, Now: a.Now}})
	}

	lc, rc := a.lifecycle(config.FlowLogin), a.lifecycle(config.FlowRegistration)
	if cfg.SelfService.Methods.Code.PasswordlessEnabled {
		m.login = append(m.login, &code.LoginMethod{
			Codes: ss.codes, Mail: ss.mail, Identities: st, UIURL: lc.UI, Now: a.Now,
		})
		m.registration = append(m.registration, &code.RegistrationMethod{
			Codes: ss.codes, Mail: ss.mail, Identities: a.Identities, Schemas: a.Schemas,
			UIURL: rc.UI, Now: a.Now,
		})
	}
	if cfg.SelfService.Methods.Code.MFAEnabled {
		m.login = append(m.login, &code.SecondFactor{
			Codes: ss.codes, Mail: ss.mail, UIURL: lc.UI,
		})
	}
	if a.webauthn != nil {
		m.login = append(m.login, a.webauthn.login...)
		m.registration = append(m.registration, a.webauthn.registration...)
	}
	if m.social, err = newOIDC(ctx, a); err != nil {
		return nil, err
	}
	if m.social != nil {
		m.login = append(m.login, oidc.LoginMethod{Strategy: m.social})
		m.registration = append(m.registration, oidc.RegistrationMethod{Strategy: m.social})
	}
	return m, nil
}

// registerAuth mounts the login and registration flows, made of the methods m, on the public
// mux; lifecycle gives each flow kind its lifecycle, verification (nil when off) is the flow a
// sign-up continues with.
func registerAuth(pub *http.ServeMux, cfg *config.Config, m *signIn, lifecycle func(kind string) flow.Lifecycle, verification *verification.Handler) {
	lh := &login.Handler{
		Lifecycle: lifecycle(config.FlowLogin), Identities: m.identities,
		ReturnURL: cfg.ReturnURL(config.FlowLogin, "password"), Methods: m.login,
		// Its own scope, so that password attempts on a crafted identifier cannot count here.
		FactorThrottle: m.factorThrottle, Audit: m.audit,
	}
	if m.devices != nil {
		lh.Devices = m.devices
	}
	if m.social != nil {
		lh.Links = m.social.Links
	}
	lh.Register(pub)

	rh := &registration.Handler{
		Lifecycle: lifecycle(config.FlowRegistration), Enabled: cfg.SelfService.Flows.Registration.Enabled,
		ReturnURL:    cfg.ReturnURL(config.FlowRegistration, "password"),
		IssueSession: cfg.HasHook(config.FlowRegistration, "password", "session"), Methods: m.registration,
		ShowVerificationUI: cfg.HasHook(config.FlowRegistration, "password", "show_verification_ui"),
		Audit:              m.audit,
	}
	if verification != nil {
		rh.Verification = verification
	}
	rh.Register(pub)
	if m.social != nil {
		m.social.Login, m.social.Registration = lh, rh
		m.social.Register(pub)
	}
}

// newLogout is the logout flow's handler: its tokens are signed with the cookie secrets, and
// a browser goes to selfservice.flows.logout.after.default_browser_return_url (else the
// default return URL).
func newLogout(a *App) *logout.Handler {
	cfg := a.Config
	ret := cfg.SelfService.Flows.Logout.After.DefaultBrowserReturnURL
	if ret == "" {
		ret = cfg.SelfService.DefaultBrowserReturnURL
	}
	return &logout.Handler{
		Store: a.Store, Sessions: a.Sessions, Tokens: session.NewLogoutTokens(cfg.CookieSecrets()), ReturnTo: a.ReturnTo,
		Replies: a.Replies, Public: cfg.PublicURL(), ReturnURL: ret, Audit: a.Audit,
	}
}

// lifecycle is the shared lifecycle of the flow kind k, configured from
// selfservice.flows.<k>.
func (a *App) lifecycle(k string) flow.Lifecycle {
	return flow.Lifecycle{
		Kind: k, Flows: a.Store, Sessions: a.Sessions, CSRF: a.CSRF, ReturnTo: a.ReturnTo, Replies: a.Replies,
		Public: a.Config.PublicURL(), UIURL: a.Config.FlowUIURL(k), Lifespan: a.Config.FlowLifespan(k), Now: a.Now,
		Hooks: a.hooks[k],
	}
}
