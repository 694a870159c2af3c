package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
)

// apple is Sign in with Apple: OpenID Connect whose callback is a form_post (a cross-site
// POST, see callback.go) and whose client secret is a short-lived ES256 JWT Portico signs
// with the team's key when no fixed client_secret is configured.
type apple struct {
	*openID
	key *ecdsa.PrivateKey
	now func() time.Time
}

func newApple(p ProviderConfig, client *http.Client) (*apple, error) {
	if p.IssuerURL == "" {
		p.IssuerURL = "https://appleid.apple.com"
	}
	a := &apple{openID: newOpenID(p, client), now: time.Now}
	if p.ClientSecret == "" {
		key, err := parseECKey(p.ApplePrivateKey)
		if err != nil {
			return nil, fmt.Errorf("oidc: provider %q: apple_private_key: %w", p.ID, err)
		}
		a.key = key
	}
	return a, nil
}

func parseECKey(s string) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("not a PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an EC private key")
	}
	return ec, nil
}

func (a *apple) OAuth2(ctx context.Context) (*oauth2.Config, error) {
	c, err := a.openID.OAuth2(ctx)
	if err != nil {
		return nil, err
	}
	if len(a.cfg.Scope) == 0 {
		c.Scopes = []string{"openid", "email", "name"}
	}
	if a.key != nil {
		if c.ClientSecret, err = a.clientSecret(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// clientSecret is Apple's client secret: a JWT from the team to Apple about the client,
// signed with the team's key, valid for five minutes (one exchange).
func (a *apple) clientSecret() (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: a.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", a.cfg.ApplePrivateKeyID))
	if err != nil {
		return "", fmt.Errorf("apple client secret: %w", err)
	}
	now := a.now()
	return jwt.Signed(signer).Claims(jwt.Claims{
		Issuer: a.cfg.AppleTeamID, Subject: a.cfg.ClientID, Audience: jwt.Audience{"https://appleid.apple.com"},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute)),
	}).Serialize()
}

// AuthOptions asks for the form_post response mode, which Apple requires when the name or
// email scope is requested.
func (a *apple) AuthOptions() []oauth2.AuthCodeOption {
	return []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("response_mode", "form_post")}
}

// maxAppleUser bounds the "user" field Apple posts with its first callback.
const maxAppleUser = 4 << 10

// callbackClaims adds the name Apple sends once, on a person's first authorisation, as the
// "user" field of its form post ({"name":{"firstName":…,"lastName":…},"email":…}): the ID
// token never carries it. The field comes through the browser, unsigned, so it fills in only
// the name the token lacks and never the address; a field that is too large or not JSON is
// ignored.
func (a *apple) callbackClaims(q url.Values, c *Claims) {
	raw := q.Get("user")
	if raw == "" || len(raw) > maxAppleUser {
		return
	}
	var u struct {
		Name struct {
			FirstName string `json:"firstName"`
			LastName  string `json:"lastName"`
		} `json:"name"`
	}
	if json.Unmarshal([]byte(raw), &u) != nil {
		return
	}
	if c.GivenName == "" {
		c.GivenName = u.Name.FirstName
	}
	if c.FamilyName == "" {
		c.FamilyName = u.Name.LastName
	}
	if c.Name == "" {
		c.Name = strings.TrimSpace(c.GivenName + " " + c.FamilyName)
	}
}
