package oidc

import (
	"context"
	"net/http"

	"golang.org/x/oauth2"
)

// newAmazon signs in with Login with Amazon: the claims come from /user/profile (user_id,
// name, email). The profile does not say whether the address is verified.
func newAmazon(p ProviderConfig, client *http.Client) *restProvider {
	ep := oauth2.Endpoint{AuthURL: "https://www.amazon.com/ap/oa", TokenURL: "https://api.amazon.com/auth/o2/token"}
	return newREST(p, client, "https://api.amazon.com", ep, []string{"profile"}, amazonClaims)
}

func amazonClaims(ctx context.Context, r *restProvider, tok *oauth2.Token) (*Claims, error) {
	var u struct {
		UserID string `json:"user_id"`
		Name   string `json:"name"`
		Email  string `json:"email"`
	}
	raw, err := r.get(ctx, tok, "/user/profile", nil, &u)
	if err != nil {
		return nil, err
	}
	if u.UserID == "" {
		return nil, claimsError("Amazon's /user/profile reply has no user_id")
	}
	return &Claims{Issuer: r.api, Subject: u.UserID, Name: u.Name, Email: u.Email, Raw: raw}, nil
}
