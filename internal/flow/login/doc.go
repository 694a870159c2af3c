// Package login is the login flow (browser, SPA and native): creating and reading flows,
// and submitting them to one of the registered methods. Methods (password today; TOTP,
// lookup codes and WebAuthn later) implement Method and are handed to the Handler, so a new
// method is a new type in its own package and never a change here.
package login
