// Package ui is Portico's built-in, server-rendered user interface: the login, registration,
// settings, error and welcome pages behind the default selfservice.flows.<name>.ui_url values.
//
// The pages act like any external UI would: they read flows, errors and sessions by calling the
// public API in-process (the same handlers, with the browser's cookies and Accept:
// application/json), and they render a flow's ui.nodes generically, so a new method needs no new
// template. Texts come from internal/text by message id; the pages need no JavaScript except for
// the script nodes WebAuthn brings, and are served with a strict Content-Security-Policy.
package ui
