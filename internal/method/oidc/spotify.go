package oidc

import (
	"context"
	"net/http"

	"golang.org/x/oauth2"
)

// newSpotify signs in with Spotify's OAuth2: the claims come from the Web API's /v1/me.
// Spotify says the address it returns is unverified, so email_verified stays false.
func newSpotify(p ProviderConfig, client *http.Client) *restProvider {
	ep := oauth2.Endpoint{AuthURL: "https://accounts.spotify.com/authorize", TokenURL: "https://accounts.spotify.com/api/token"}
	return newREST(p, client, "https://api.spotify.com", ep, []string{"user-read-email", "user-read-private"}, spotifyClaims)
}

func spotifyClaims(ctx context.Context, r *restProvider, tok *oauth2.Token) (*Claims, error) {
	var u struct {
		ID          string `json:"id"`
		DisplayName string `json:"display_name"`
		Email       string `json:"email"`
		Images      []struct {
			URL string `json:"url"`
		} `json:"images"`
	}
	raw, err := r.get(ctx, tok, "/v1/me", nil, &u)
	if err != nil {
		return nil, err
	}
	if u.ID == "" {
		return nil, claimsError("Spotify's /v1/me reply has no id")
	}
	c := &Claims{Issuer: r.api, Subject: u.ID, Name: u.DisplayName, Nickname: u.DisplayName, Email: u.Email, Raw: raw}
	if len(u.Images) > 0 {
		c.Picture = u.Images[0].URL
	}
	return c, nil
}
