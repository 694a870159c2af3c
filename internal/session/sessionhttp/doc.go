// Package sessionhttp is the session manager as HTTP handlers use it: the session a request
// carries (X-Session-Token, an Authorization bearer token or the session cookie), the one
// authorisation rule of session routes with the browser's way to step up (the aal2 login URL),
// the session cookie, and the device a request comes from. The session model and its rules stay
// in package session, which knows nothing of requests.
package sessionhttp
