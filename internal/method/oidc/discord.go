package oidc

import (
	"context"
	"encoding/json"
	"net/http"

	"golang.org/x/oauth2"
)

// discord signs in with Discord's OAuth2: the claims come from /users/@me (id, username,
// email and whether Discord verified it).
type discord struct {
	cfg    ProviderConfig
	client *http.Client
	api    string
}

func newDiscord(p ProviderConfig, client *http.Client) *discord {
	return &discord{cfg: p, client: client, api: defaultString(p.IssuerURL, "https://discord.com/api")}
}

func (d *discord) Config() *ProviderConfig { return &d.cfg }

func (d *discord) OAuth2(context.Context) (*oauth2.Config, error) {
	ep := oauth2.Endpoint{AuthURL: "https://discord.com/oauth2/authorize", TokenURL: "https://discord.com/api/oauth2/token", AuthStyle: oauth2.AuthStyleInParams}
	return oauth2Config(&d.cfg, ep, "identify", "email"), nil
}

func (d *discord) AuthOptions() []oauth2.AuthCodeOption { return nil }

func (d *discord) Claims(ctx context.Context, tok *oauth2.Token, _ string) (*Claims, error) {
	body, err := getJSON(ctx, d.client, tok, d.api+"/users/@me", nil)
	if err != nil {
		return nil, err
	}
	var u struct {
		ID         string `json:"id"`
		Username   string `json:"username"`
		GlobalName string `json:"global_name"`
		Email      string `json:"email"`
		Verified   bool   `json:"verified"`
		Avatar     string `json:"avatar"`
		Locale     string `json:"locale"`
	}
	if err := json.Unmarshal(body, &u); err != nil || u.ID == "" {
		return nil, claimsError("Discord's /users/@me reply has no id")
	}
	var raw map[string]any
	_ = json.Unmarshal(body, &raw)
	c := &Claims{
		Issuer: d.api, Subject: u.ID, Name: u.GlobalName, Nickname: u.Username, PreferredUsername: u.Username,
		Email: u.Email, EmailVerified: u.Verified, Locale: u.Locale, Raw: raw,
	}
	if u.Avatar != "" {
		c.Picture = "https://cdn.discordapp.com/avatars/" + u.ID + "/" + u.Avatar + ".png"
	}
	return c, nil
}
