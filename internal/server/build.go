package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/portico-auth/portico/internal/admin"
	"github.com/portico-auth/portico/internal/audit/audithttp"
	"github.com/portico-auth/portico/internal/clientaddr"
	"github.com/portico-auth/portico/internal/config"
	"github.com/portico-auth/portico/internal/courier"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/settings"
	"github.com/portico-auth/portico/internal/hash"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/method/deleteaccount"
	"github.com/portico-auth/portico/internal/method/lookup"
	"github.com/portico-auth/portico/internal/method/oidc"
	"github.com/portico-auth/portico/internal/method/password"
	"github.com/portico-auth/portico/internal/method/profile"
	"github.com/portico-auth/portico/internal/method/totp"
	"github.com/portico-auth/portico/internal/method/webauthn"
	"github.com/portico-auth/portico/internal/schema"
	"github.com/portico-auth/portico/internal/schemaapi"
	"github.com/portico-auth/portico/internal/session/sessionhttp"
	"github.com/portico-auth/portico/internal/sessionapi"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/ui"
	"github.com/portico-auth/portico/internal/webhook"
)

// App is a built Portico: the shared components and the two listeners' handlers.
type App struct {
	Config     *config.Config
	Store      store.Store
	Log        *slog.Logger
	Now        func() time.Time
	Hasher     *hash.Hasher
	Schemas    *schema.Registry
	Identities *identity.Manager
	Sessions   *sessionhttp.Sessions
	CSRF       *flow.CSRF
	ReturnTo   *flow.ReturnTo
	Replies    *flow.Replier
	// Courier queues messages (flows enqueue through it); CourierWorker delivers them, nil
	// when no channel can send (StartCourier runs it).
	Courier       *courier.Queue
	CourierWorker *courier.Worker
	// Notices tells an identity's verified addresses that a credential changed (call
	// Notices.CredentialChanged after a password, second factor, passkey or recovery address
	// change is stored).
	Notices *courier.Notifier
	// Addresses reads a request's client address (serve.public.trusted_proxies), for the
	// login throttle and the notices alike.
	Addresses *clientaddr.Resolver
	// Audit records the audit trail's events (sign-ins, refused attempts, credential and
	// address changes, revocations, admin changes) with the request's address and device.
	Audit *audithttp.Recorder

	// WebHooks makes every web hook's calls (Wait lets background calls finish); hooks are
	// each flow's, by kind (see lifecycle).
	WebHooks *webhook.Caller
	hooks    map[string]*flow.Hooks

	webauthn *webauthnMethods
	// OIDC is the oidc method, nil when it is off.
	OIDC *oidc.Strategy
	// factors are the enabled sign-in methods as the AAL rules count them; Build fills them
	// in from the login methods once they are built.
	factors *identity.Factors

	// Public and Admin are the instrumented handlers of the two listeners.
	Public http.Handler
	Admin  http.Handler
	// PublicMux routes the public listener (Public without its middleware); the route tests
	// enumerate its patterns so that no public route escapes them.
	PublicMux *http.ServeMux
}

// Schemas loads the identity schemas of cfg.
func Schemas(ctx context.Context, cfg *config.Config) (*schema.Registry, error) {
	srcs := make([]schema.Source, 0, len(cfg.Identity.Schemas))
	for _, s := range cfg.Identity.Schemas {
		srcs = append(srcs, schema.Source{ID: s.ID, URL: s.URL})
	}
	r, err := schema.NewRegistry(ctx, srcs, cfg.Identity.DefaultSchemaID, &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("identity schemas: %w", err)
	}
	return r, nil
}

// Build assembles every component from cfg over st. The clock and the logger are defaulted
// here, once, for everything built: now may be nil (time.Now), log may be nil (logs nothing).
// Below this point both are required.
func Build(ctx context.Context, cfg *config.Config, st store.Store, log *slog.Logger, now func() time.Time) (*App, error) {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	schemas, err := Schemas(ctx, cfg)
	if err != nil {
		return nil, err
	}
	public := cfg.PublicURL()
	secure := !cfg.Dev || public.Scheme == "https"
	a := &App{
		Config:  cfg,
		Store:   st,
		Log:     log,
		Now:     now,
		Hasher:  hash.New(cfg.HasherOptions()),
		Schemas: schemas,
		CSRF:    flow.NewCSRF(cfg.Serve.Public.BaseURL, cfg.Cookies.Domain, secure),
		Replies: &flow.Replier{Store: st, ErrorUIURL: cfg.FlowUIURL(config.FlowError), Now: now, Log: log},
	}
	a.ReturnTo = &flow.ReturnTo{Allowed: cfg.SelfService.AllowedReturnURLs, Public: public}
	if cfg.SelfService.DefaultBrowserReturnURL != "" {
		if u, err := parseURL(cfg.SelfService.DefaultBrowserReturnURL); err == nil {
			a.ReturnTo.Default = u
		}
	}
	a.Identities = identity.NewManager(st, schemas, a.Hasher, now)
	schemas.LimitTraits(int(cfg.Identity.TraitsMaxBytes))
	a.Identities.MaxMetadataBytes = int(cfg.Identity.MetadataMaxBytes)
	// The one password policy: the manager applies it to every plain-text password it stores
	// (sign-up, settings, admin create/update/import).
	pwc := cfg.SelfService.Methods.Password.Config
	a.Identities.Policy = password.Policy{MinLength: pwc.MinPasswordLength, SimilarityCheck: pwc.IdentifierSimilarityCheckEnabled}

	so := sessionhttp.DefaultOptions()
	so.Lifespan = cfg.Session.Lifespan
	so.EarliestPossibleExtend = cfg.Session.EarliestPossibleExtend
	so.MaxPerIdentity = cfg.Session.MaxPerIdentity
	so.CookieName = cfg.Session.Cookie.Name
	so.CookiePersistent = cfg.Session.Cookie.Persistent
	so.CookiePath = cfg.Session.Cookie.Path
	so.CookieDomain = cfg.Session.Cookie.Domain
	so.SameSite = sameSite(cfg.Session.Cookie.SameSite)
	so.Secure = secure
	so.WhoamiRequiredAAL = cfg.Session.WhoAmI.RequiredAAL
	so.EnrolSecondFactor = cfg.SelfService.Flows.Settings.RequiredAAL == config.AAL2Enrol
	so.PublicBaseURL = cfg.Serve.Public.BaseURL
	so.KratosCookieSecrets = cfg.Secrets.KratosCookie
	a.factors = &identity.Factors{}
	so.Factors = a.factors
	a.Sessions = sessionhttp.New(st, so, now)
	if a.Courier, a.CourierWorker, err = NewCourier(ctx, cfg, st, log, now); err != nil {
		return nil, err
	}
	if a.Addresses, err = clientaddr.New(cfg.Serve.Public.TrustedProxies); err != nil {
		return nil, fmt.Errorf("serve.public.trusted_proxies: %w", err)
	}
	m := newMetrics()
	a.Audit = &audithttp.Recorder{Store: st, Addresses: a.Addresses, Now: now, Log: log, Unstored: m.countUnstored}
	if err := newWebHooks(ctx, a); err != nil {
		return nil, err
	}
	a.Notices = &courier.Notifier{Queue: a.Courier, Enabled: cfg.Courier.Notices.CredentialChanged.Enabled, PublicBase: cfg.Serve.Public.BaseURL}

	pub := http.NewServeMux()
	adm := http.NewServeMux()
	db, ok := st.(ReadyDatabase)
	if !ok {
		return nil, fmt.Errorf("the store (%T) cannot check writes for /health/ready", st)
	}
	ready := newReadiness(db, log, now)
	registerHealth(pub, "", ready)
	registerHealth(adm, "", ready)
	registerHealth(adm, "/admin", ready) // Kratos serves both spellings on the admin port
	pub.HandleFunc("/", notFound)
	adm.HandleFunc("/", notFound)
	adm.Handle("GET /admin/metrics/prometheus", m.handler())

	registerPublicRedirects(adm, public)
	identities := admin.NewIdentityHandler(a.Identities, st, schemas, public)
	identities.Factors = a.factors
	identities.Audit, identities.Events = a.Audit, st
	identities.Importers, identities.Now = secondFactorImporters(), now
	identities.OIDC = oidc.Accounts{}
	identities.Register(adm)
	admin.NewCourierHandler(st, a.Courier).Register(adm)
	schemaapi.New(schemas).Register(pub)

	sessions := sessionapi.New(a.Sessions, st, cfg.Serve.Public.BaseURL)
	sessions.Audit = a.Audit
	sessions.RegisterPublic(pub)
	sessions.RegisterAdmin(adm)
	a.Replies.Register(pub)
	if a.webauthn, err = newWebAuthnMethods(a); err != nil {
		return nil, err
	}
	webauthn.RegisterScript(pub)
	ss := newSelfService(a)
	vh := ss.verification(a)
	vh.Register(pub)
	methods, err := newSignIn(ctx, a, ss)
	if err != nil {
		return nil, err
	}
	*a.factors = signInFactors(methods.login)
	a.OIDC = methods.social
	if !vh.Enabled {
		vh = nil
	}
	registerAuth(pub, cfg, methods, a.lifecycle, vh)
	newLogout(a).Register(pub)
	if a.OIDC != nil {
		identities.Reveal = revealOIDC(a.OIDC)
	}

	var settingsMethods []settings.Method
	if cfg.MethodEnabled("profile") {
		settingsMethods = append(settingsMethods, profile.New(schemas))
	}
	if pw := cfg.SelfService.Methods.Password; pw.Enabled {
		pws := password.NewSettings(a.Identities, a.Hasher)
		pws.RequireCurrent, pws.Throttle, pws.Now = pw.Config.RequireCurrentPassword, methods.passwordThrottle, now
		settingsMethods = append(settingsMethods, pws)
	}
	if cfg.MethodEnabled("lookup_secret") {
		settingsMethods = append(settingsMethods, lookup.NewSettings(a.Sessions, cfg.SealSecrets(), now))
	}
	if cfg.MethodEnabled("totp") {
		settingsMethods = append(settingsMethods, &totp.SettingsMethod{
			Sessions: a.Sessions, Schemas: schemas, Issuer: totpIssuer(cfg), Now: now,
		})
	}
	settingsMethods = append(settingsMethods, a.webauthn.settings...)
	if a.OIDC != nil {
		a.OIDC.Factors = a.factors
		settingsMethods = append(settingsMethods, oidc.SettingsMethod{Strategy: a.OIDC})
	}
	if cfg.MethodEnabled("delete_account") {
		// Last: its group is shown after every other.
		settingsMethods = append(settingsMethods, &deleteaccount.Method{
			Store: st, Notices: a.Notices, ClientAddress: clientAddress(a), Audit: a.Audit, Now: now, Log: log,
		})
	}
	deps := settings.Deps{Store: st, Identities: a.Identities, Changed: credentialNotices(a), Audit: a.Audit}
	if cfg.Audit.ShowInSettings {
		deps.Activity = &audithttp.Activity{Events: st, Max: recentActivity}
	}
	if vh != nil {
		// Kratos's verification hook: an address a settings change adds gets a message.
		deps.Verification = vh
	}
	sh := settings.New(a.lifecycle(config.FlowSettings), settingsOptions(cfg), deps, settingsMethods...)
	sh.Register(pub)
	if a.OIDC != nil {
		a.OIDC.Settings = sh
	}
	rh := ss.recovery(a, sh)
	rh.Register(pub)
	rh.RegisterAdmin(adm)

	pages, err := ui.New(pub, a.CSRF, public, log)
	if err != nil {
		return nil, fmt.Errorf("built-in ui: %w", err)
	}
	pages.ReturnURLs = append([]string{cfg.SelfService.DefaultBrowserReturnURL}, cfg.SelfService.AllowedReturnURLs...)
	if a.OIDC != nil {
		// The oidc buttons' forms are redirected to the providers.
		pages.FormOrigins = a.OIDC.FormOrigins
	}
	pages.RecoveryEnabled = cfg.SelfService.Flows.Recovery.Enabled
	pages.Register(pub)

	a.PublicMux = pub
	a.Public = instrument("public", a.Sessions.AdoptKratosCookies(pub), m, log, a.Replies)
	a.Admin = instrument("admin", newAdminGuard(cfg).wrap(adm), m, log, nil)
	return a, nil
}

// recentActivity is how many of a person's own audit events the settings flow shows
// (audit.show_in_settings).
const recentActivity = 10

// totpIssuer is selfservice.methods.totp.config.issuer, else the public base URL's host name.
func totpIssuer(cfg *config.Config) string {
	if is := cfg.SelfService.Methods.TOTP.Config.Issuer; is != "" {
		return is
	}
	return cfg.PublicURL().Hostname()
}

func sameSite(s string) http.SameSite {
	switch strings.ToLower(s) {
	case "strict":
		return http.SameSiteStrictMode
	case "none":
		return http.SameSiteNoneMode
	default:
		return http.SameSiteLaxMode
	}
}

// secondFactorImporters bring back the second factors `portico identities export` writes,
// through the admin API's create (a Portico extension; see admin.IdentityHandler.Importers).
func secondFactorImporters() map[identity.CredentialsType]func(*identity.Identity, json.RawMessage, time.Time) error {
	keys := func(t identity.CredentialsType) func(*identity.Identity, json.RawMessage, time.Time) error {
		return func(id *identity.Identity, config json.RawMessage, now time.Time) error {
			return webauthn.ImportConfig(id, t, config, now)
		}
	}
	return map[identity.CredentialsType]func(*identity.Identity, json.RawMessage, time.Time) error{
		identity.CredentialsTOTP:         totp.ImportConfig,
		identity.CredentialsLookupSecret: lookup.ImportConfig,
		identity.CredentialsWebAuthn:     keys(identity.CredentialsWebAuthn),
		identity.CredentialsPasskey:      keys(identity.CredentialsPasskey),
	}
}
