package flow

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
)

// Bind derives a value that only the browser of r can reproduce: an HMAC, keyed with the
// browser's CSRF secret (an HttpOnly, SameSite=Lax cookie), of purpose. A method that hands
// the browser to a third party and gets it back later (the oidc callback) keeps the value
// with its pending state and compares it when the browser returns, so that the state cannot
// be completed in another browser. ok is false when r carries no CSRF secret.
func (c *CSRF) Bind(r *http.Request, purpose string) (mac []byte, ok bool) {
	secret, ok := c.secret(r)
	if !ok {
		return nil, false
	}
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(purpose))
	return h.Sum(nil), true
}
