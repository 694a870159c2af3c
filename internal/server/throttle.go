package server

import (
	"github.com/portico-auth/portico/internal/throttle"
)

// newLoginThrottles builds the password sign-in policy (per identifier and client address, or
// per trusted device) and the second-factor limit, all counted in the database so that they
// hold across instances.
func newLoginThrottles(a *App) (*throttle.Login, throttle.Limit, error) {
	so := a.Sessions.Options()
	t := &throttle.Throttle{Counter: a.Store}
	pw := &throttle.Login{
		Throttle: t, Identifier: throttle.DefaultIdentifier, Source: throttle.DefaultSource, Device: throttle.DefaultDevice,
		Devices: throttle.NewDevices(a.Config.CookieSecrets(), throttle.DeviceOptions{
			Path: so.CookiePath, Domain: so.CookieDomain, Secure: so.Secure, SameSite: so.SameSite, Now: a.Now,
		}),
		Addresses: a.Addresses,
	}
	return pw, throttle.Limit{Throttle: t, Budget: throttle.DefaultFactor}, nil
}
