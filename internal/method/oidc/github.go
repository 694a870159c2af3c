package oidc

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"
)

// gitHub signs in with GitHub's OAuth2 apps, which have no OpenID Connect: the subject is
// the numeric user id from /user, and the email the primary verified one from /user/emails
// (the profile's public email may be unset or unverified). github-app is the same with a
// GitHub App's user access token: its permissions are set on the app, so it asks for no scope.
type gitHub struct {
	cfg    ProviderConfig
	client *http.Client
	// api is GitHub's REST API base (issuer_url replaces it for GitHub Enterprise).
	api string
}

func newGitHub(p ProviderConfig, client *http.Client) *gitHub {
	return &gitHub{cfg: p, client: client, api: defaultString(p.IssuerURL, "https://api.github.com")}
}

func (g *gitHub) Config() *ProviderConfig { return &g.cfg }

func (g *gitHub) OAuth2(context.Context) (*oauth2.Config, error) {
	if g.cfg.Provider == "github-app" {
		return oauth2Config(&g.cfg, endpoints.GitHub), nil
	}
	return oauth2Config(&g.cfg, endpoints.GitHub, "user:email"), nil
}

func (g *gitHub) AuthOptions() []oauth2.AuthCodeOption { return nil }

func (g *gitHub) Claims(ctx context.Context, tok *oauth2.Token, _ string) (*Claims, error) {
	h := http.Header{"X-Github-Api-Version": {"2022-11-28"}}
	body, err := getJSON(ctx, g.client, tok, g.api+"/user", h)
	if err != nil {
		return nil, err
	}
	var user struct {
		ID        int64  `json:"id"`
		Login     string `json:"login"`
		Name      string `json:"name"`
		Email     string `json:"email"`
		AvatarURL string `json:"avatar_url"`
		Blog      string `json:"blog"`
	}
	if err := json.Unmarshal(body, &user); err != nil || user.ID == 0 {
		return nil, claimsError("GitHub's /user reply has no id")
	}
	var raw map[string]any
	_ = json.Unmarshal(body, &raw)
	c := &Claims{
		Issuer: g.api, Subject: strconv.FormatInt(user.ID, 10), Name: user.Name, Nickname: user.Login,
		PreferredUsername: user.Login, Picture: user.AvatarURL, Website: user.Blog, Raw: raw,
	}
	body, err = getJSON(ctx, g.client, tok, g.api+"/user/emails", h)
	if err != nil {
		return nil, err
	}
	var emails []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := json.Unmarshal(body, &emails); err != nil {
		return nil, claimsError("GitHub's /user/emails reply is not a list")
	}
	for _, e := range emails {
		if e.Primary {
			c.Email, c.EmailVerified = e.Email, e.Verified
		}
	}
	if c.Email == "" {
		c.Email = user.Email // the public profile email, not known to be verified
	}
	return c, nil
}
