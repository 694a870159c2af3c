package oidc

import (
	"context"
	"net/http"
	"net/url"

	"golang.org/x/oauth2"
)

// newPatreon signs in with Patreon's OAuth2: the claims come from the v2 identity endpoint,
// a JSON:API document whose data holds the user's id and the attributes asked for;
// is_email_verified is email_verified.
func newPatreon(p ProviderConfig, client *http.Client) *restProvider {
	ep := oauth2.Endpoint{AuthURL: "https://www.patreon.com/oauth2/authorize", TokenURL: "https://www.patreon.com/api/oauth2/token"}
	return newREST(p, client, "https://www.patreon.com", ep, []string{"identity", "identity[email]"}, patreonClaims)
}

func patreonClaims(ctx context.Context, r *restProvider, tok *oauth2.Token) (*Claims, error) {
	q := url.Values{"fields[user]": {"email,first_name,last_name,full_name,image_url,is_email_verified,vanity"}}
	var doc struct {
		Data struct {
			ID         string `json:"id"`
			Attributes struct {
				Email         string `json:"email"`
				EmailVerified bool   `json:"is_email_verified"`
				FirstName     string `json:"first_name"`
				LastName      string `json:"last_name"`
				FullName      string `json:"full_name"`
				ImageURL      string `json:"image_url"`
				Vanity        string `json:"vanity"`
			} `json:"attributes"`
		} `json:"data"`
	}
	raw, err := r.get(ctx, tok, "/api/oauth2/v2/identity?"+q.Encode(), nil, &doc)
	if err != nil {
		return nil, err
	}
	if doc.Data.ID == "" {
		return nil, claimsError("Patreon's identity reply has no id")
	}
	a := doc.Data.Attributes
	return &Claims{
		Issuer: r.api, Subject: doc.Data.ID, Name: a.FullName, GivenName: a.FirstName, FamilyName: a.LastName,
		Nickname: a.Vanity, Email: a.Email, EmailVerified: a.Email != "" && a.EmailVerified, Picture: a.ImageURL, Raw: raw,
	}, nil
}
