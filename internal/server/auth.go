package server

import (
	"context"
	"net/http"

	"github.com/portico-auth/portico/internal/config"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/login"
	"github.com/portico-auth/portico/internal/flow/logout"
	"github.com/portico-auth/portico/internal/flow/registration"
	"github.com/portico-auth/portico/internal/method/code"
	"github.com/portico-auth/portico/internal/method/lookup"
	"github.com/portico-auth/portico/internal/method/oidc"
	"github.com/portico-auth/portico/internal/method/password"
	"github.com/portico-auth/portico/internal/method/totp"
	"github.com/portico-auth/portico/internal/session"
)

// registerAuth mounts registration, login and logout on the public mux.
func registerAuth(ctx context.Context, a *App, pub *http.ServeMux, ss *selfService) error {
	cfg, st, public := a.Config, a.Store, a.Config.PublicURL()
	pw := cfg.SelfService.Methods.Password

	pwThrottle, factorThrottle, err := newLoginThrottles(a)
	if err != nil {
		return err
	}
	var loginMethods []login.Method
	var pwLogin *password.LoginMethod
	var regMethods []registration.Method
	if pw.Enabled {
		pwLogin = &password.LoginMethod{
			Identities: st, Hasher: a.Hasher, Updater: a.Identities, Schemas: a.Schemas,
			Throttle: pwThrottle, Now: a.Now, Log: a.Log,
		}
		loginMethods = append(loginMethods, pwLogin)
		regMethods = append(regMethods, &password.RegistrationMethod{Identities: a.Identities, Schemas: a.Schemas})
	}
	// Second factors (aal2 flows only).
	if cfg.MethodEnabled("totp") {
		loginMethods = append(loginMethods, &totp.LoginMethod{Identities: a.Identities, Now: a.Now})
	}
	if cfg.MethodEnabled("lookup_secret") {
		loginMethods = append(loginMethods, &lookup.LoginMethod{Identities: a.Identities, Now: a.Now})
	}

	if cfg.SelfService.Methods.Code.PasswordlessEnabled {
		lc := a.lifecycle(config.FlowLogin)
		loginMethods = append(loginMethods, &code.LoginMethod{
			Codes: ss.codes, Mail: ss.mail, Identities: st, UIURL: lc.UI, Now: a.Now,
		})
	}
	if a.webauthn != nil {
		loginMethods = append(loginMethods, a.webauthn.login...)
		regMethods = append(regMethods, a.webauthn.registration...)
	}
	social, err := newOIDC(ctx, a)
	if err != nil {
		return err
	}
	if social != nil {
		loginMethods = append(loginMethods, oidc.LoginMethod{Strategy: social})
		regMethods = append(regMethods, oidc.RegistrationMethod{Strategy: social})
	}

	*a.factors = signInFactors(loginMethods)

	lh := &login.Handler{
		Lifecycle: a.lifecycle(config.FlowLogin), Identities: st,
		ReturnURL: cfg.ReturnURL(config.FlowLogin, "password"), Methods: loginMethods,
		// Its own scope, so that password attempts on a crafted identifier cannot count here.
		FactorThrottle: factorThrottle,
	}
	if pwLogin != nil {
		lh.Devices = pwLogin
	}
	lh.Register(pub)

	rh := &registration.Handler{
		Lifecycle: a.lifecycle(config.FlowRegistration), Enabled: cfg.SelfService.Flows.Registration.Enabled,
		ReturnURL:    cfg.ReturnURL(config.FlowRegistration, "password"),
		IssueSession: cfg.HasHook(config.FlowRegistration, "password", "session"), Methods: regMethods,
		ShowVerificationUI: cfg.HasHook(config.FlowRegistration, "password", "show_verification_ui"),
	}
	if vh := ss.verification(a); vh.Enabled {
		rh.Verification = vh
	}
	rh.Register(pub)
	if social != nil {
		social.Login, social.Registration = lh, rh
		social.Register(pub)
	}

	logoutReturn := cfg.SelfService.Flows.Logout.After.DefaultBrowserReturnURL
	if logoutReturn == "" {
		logoutReturn = cfg.SelfService.DefaultBrowserReturnURL
	}
	(&logout.Handler{
		Store: st, Sessions: a.Sessions, Tokens: session.NewLogoutTokens(cfg.CookieSecrets()), ReturnTo: a.ReturnTo,
		Replies: a.Replies, Public: public, ReturnURL: logoutReturn,
	}).Register(pub)
	return nil
}

// lifecycle is the shared lifecycle of the flow kind k, configured from
// selfservice.flows.<k>.
func (a *App) lifecycle(k string) flow.Lifecycle {
	return flow.Lifecycle{
		Kind: k, Flows: a.Store, Sessions: a.Sessions, CSRF: a.CSRF, ReturnTo: a.ReturnTo, Replies: a.Replies,
		Public: a.Config.PublicURL(), UIURL: a.Config.FlowUIURL(k), Lifespan: a.Config.FlowLifespan(k), Now: a.Now,
	}
}
