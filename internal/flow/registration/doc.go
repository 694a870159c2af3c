// Package registration is the registration flow (browser, SPA and native): creating and
// reading flows and submitting them to a registration method (password today), then running
// the after-registration session hook.
package registration
