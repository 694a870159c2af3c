package oidc

import (
	"context"
	"net/http"

	"golang.org/x/oauth2"
)

// newYandex signs in with Yandex ID: the claims come from login.yandex.ru/info, called with
// Yandex's "OAuth <token>" authorisation. The scopes are the ones chosen when registering the
// app, so none is asked for unless scope is set; the reply does not say whether the address
// is verified.
func newYandex(p ProviderConfig, client *http.Client) *restProvider {
	ep := oauth2.Endpoint{AuthURL: "https://oauth.yandex.com/authorize", TokenURL: "https://oauth.yandex.com/token"}
	return newREST(p, client, "https://login.yandex.ru", ep, nil, yandexClaims)
}

func yandexClaims(ctx context.Context, r *restProvider, tok *oauth2.Token) (*Claims, error) {
	var u struct {
		ID              string `json:"id"`
		Login           string `json:"login"`
		DisplayName     string `json:"display_name"`
		RealName        string `json:"real_name"`
		FirstName       string `json:"first_name"`
		LastName        string `json:"last_name"`
		DefaultEmail    string `json:"default_email"`
		DefaultAvatarID string `json:"default_avatar_id"`
		IsAvatarEmpty   bool   `json:"is_avatar_empty"`
	}
	h := http.Header{"Authorization": {"OAuth " + tok.AccessToken}}
	raw, err := r.get(ctx, tok, "/info?format=json", h, &u)
	if err != nil {
		return nil, err
	}
	if u.ID == "" {
		return nil, claimsError("Yandex's /info reply has no id")
	}
	c := &Claims{
		Issuer: r.api, Subject: u.ID, Name: defaultString(u.RealName, u.DisplayName), GivenName: u.FirstName,
		FamilyName: u.LastName, Nickname: u.DisplayName, PreferredUsername: u.Login, Email: u.DefaultEmail, Raw: raw,
	}
	if u.DefaultAvatarID != "" && !u.IsAvatarEmpty {
		c.Picture = "https://avatars.yandex.net/get-yapic/" + u.DefaultAvatarID + "/islands-200"
	}
	return c, nil
}
