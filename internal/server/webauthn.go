package server

import (
	"fmt"

	"github.com/portico-auth/portico/internal/config"
	"github.com/portico-auth/portico/internal/flow/login"
	"github.com/portico-auth/portico/internal/flow/registration"
	"github.com/portico-auth/portico/internal/flow/settings"
	"github.com/portico-auth/portico/internal/method/passkey"
	"github.com/portico-auth/portico/internal/method/webauthn"
)

// webauthnMethods are the WebAuthn and passkey methods of the login, settings and registration flows, each
// present when selfservice.methods.<name>.enabled is on.
type webauthnMethods struct {
	login        []login.Method
	settings     []settings.Method
	registration []registration.Method
}

// newWebAuthnMethods builds the relying parties from the configuration.
func newWebAuthnMethods(a *App) (*webauthnMethods, error) {
	cfg, public := a.Config, a.Config.PublicURL()
	ceremonies := &webauthn.Ceremonies{Flows: a.Store}
	out := &webauthnMethods{}
	if wa := cfg.SelfService.Methods.WebAuthn; wa.Enabled {
		rp, err := webauthn.NewRelyingParty(rpOptions(wa.Config.RP))
		if err != nil {
			return nil, fmt.Errorf("selfservice.methods.webauthn: %w", err)
		}
		out.settings = append(out.settings, &webauthn.Settings{
			Variant: webauthn.WebAuthnVariant, RP: rp,
			Schemas: a.Schemas, Public: public, Passwordless: wa.Config.Passwordless, Now: a.Now,
		})
		if !wa.Config.Passwordless {
			out.login = append(out.login, &webauthn.Login{
				RP: rp, Ceremonies: ceremonies, Identities: a.Identities, Schemas: a.Schemas, Public: public, Now: a.Now,
			})
		}
	}
	if pk := cfg.SelfService.Methods.Passkey; pk.Enabled {
		rp, err := webauthn.NewRelyingParty(rpOptions(pk.Config.RP))
		if err != nil {
			return nil, fmt.Errorf("selfservice.methods.passkey: %w", err)
		}
		out.settings = append(out.settings, passkey.NewSettings(rp, a.Schemas, public, a.Now))
		out.login = append(out.login, &passkey.Login{
			RP: rp, Ceremonies: ceremonies, Finder: a.Store, Identities: a.Identities, Schemas: a.Schemas, Public: public, Now: a.Now,
		})
		out.registration = append(out.registration, &passkey.Registration{
			RP: rp, Ceremonies: ceremonies, Identities: a.Identities, Schemas: a.Schemas, Public: public, Now: a.Now,
		})
	}
	return out, nil
}

// rpOptions reads selfservice.methods.<m>.config.rp: origins, else the single origin.
func rpOptions(rp config.RP) webauthn.RPOptions {
	origins := rp.Origins
	if len(origins) == 0 && rp.Origin != "" {
		origins = []string{rp.Origin}
	}
	return webauthn.RPOptions{ID: rp.ID, DisplayName: rp.DisplayName, Origins: origins}
}
