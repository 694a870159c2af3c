package server

import (
	"net/url"

	"github.com/portico-auth/portico/internal/config"
	"github.com/portico-auth/portico/internal/flow/recovery"
	"github.com/portico-auth/portico/internal/flow/verification"
	"github.com/portico-auth/portico/internal/onetime"
	"github.com/portico-auth/portico/internal/throttle"
)

// selfService holds what the verification and recovery flows share: the one-time codes and
// the courier's queue their messages go through.
type selfService struct {
	codes *onetime.Codes
	mail  onetime.Mailer
}

// newSelfService builds the codes (hashed under the cookie secrets, tries counted in the
// database); messages go through the courier's queue.
func newSelfService(a *App) *selfService {
	cfg := a.Config
	codes := onetime.New(cfg.CookieSecrets(), a.Store, &throttle.Throttle{Counter: a.Store}, onetime.Options{
		Lifespan: cfg.SelfService.Methods.Code.Config.Lifespan, LinkLifespan: cfg.SelfService.Methods.Link.Config.Lifespan, Now: a.Now,
	})
	return &selfService{codes: codes, mail: a.Courier}
}

// recovery is the recovery flow's handler; settings starts the flow a recovered person is sent to.
func (s *selfService) recovery(a *App, settings recovery.Settings) *recovery.Handler {
	cfg := a.Config
	rc := cfg.SelfService.Flows.Recovery
	return &recovery.Handler{
		Exchange:   exchange[*recovery.Flow](a, s, config.FlowRecovery, rc.Enabled, rc.Use, rc.NotifyUnknownRecipients),
		Identities: a.Store, Settings: settings,
		ReturnURL: cfg.ReturnURL(config.FlowRecovery, rc.Use), PrivilegedFor: cfg.SelfService.Flows.Settings.PrivilegedSessionMaxAge,
		Audit: a.Audit,
	}
}

// exchange is the code-or-link exchange of the flow kind k (verification or recovery),
// configured from selfservice.flows.<k>.
func exchange[F onetime.ChallengeFlow](a *App, s *selfService, k string, enabled bool, use string, notifyUnknown bool) onetime.Exchange[F] {
	return onetime.Exchange[F]{
		Lifecycle: a.lifecycle(k), Enabled: enabled, Use: use, Codes: s.codes, Mail: s.mail,
		NotifyUnknown: notifyUnknown, LinkBase: linkBase(a.Config),
	}
}

// linkBase is the base of the links messages carry: selfservice.methods.link.config.base_url,
// or the public base URL.
func linkBase(cfg *config.Config) *url.URL {
	if b := cfg.SelfService.Methods.Link.Config.BaseURL; b != "" {
		if u, err := url.Parse(b); err == nil {
			return u
		}
	}
	return cfg.PublicURL()
}

// verification is the verification flow's handler.
func (s *selfService) verification(a *App) *verification.Handler {
	cfg := a.Config
	v := cfg.SelfService.Flows.Verification
	return &verification.Handler{
		Exchange:  exchange[*verification.Flow](a, s, config.FlowVerification, v.Enabled, v.Use, v.NotifyUnknownRecipients),
		Addresses: a.Store, ReturnURL: cfg.ReturnURL(config.FlowVerification, v.Use), Audit: a.Audit,
	}
}
