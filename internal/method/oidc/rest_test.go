package oidc

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// restAPI is a provider's API on loopback answering replies by path, only to the
// authorisation header auth, and only when every query parameter of query is in the request.
func restAPI(t *testing.T, auth string, query map[string]string, replies map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != auth {
			http.Error(w, `{"error":"unauthorised"}`, http.StatusUnauthorized)
			return
		}
		for k, v := range query {
			if r.URL.Query().Get(k) != v {
				http.Error(w, `{"error":"missing `+k+`"}`, http.StatusBadRequest)
				return
			}
		}
		body, ok := replies[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// facebookProof is the appsecret_proof of the test token under the test secret, computed
// independently of the provider.
func facebookProof() string {
	m := hmac.New(sha256.New, []byte("s"))
	m.Write([]byte("tok"))
	return hex.EncodeToString(m.Sum(nil))
}

// TestRESTProviderClaims: each OAuth2 kind reads its API's reply, in that API's shape, into
// Kratos's claims; email_verified is set only where the API says the address is verified.
func TestRESTProviderClaims(t *testing.T) {
	for _, tc := range []struct {
		kind    string
		auth    string
		query   map[string]string
		replies map[string]string
		want    Claims
		scopes  string
	}{
		{
			kind: "github-app", auth: "Bearer tok",
			replies: map[string]string{
				"/user":        `{"id":583231,"login":"octocat","name":"The Octocat","email":null,"avatar_url":"https://avatars.githubusercontent.com/u/583231?v=4","blog":"https://github.blog"}`,
				"/user/emails": `[{"email":"octocat@github.com","primary":true,"verified":true,"visibility":"public"}]`,
			},
			want: Claims{Subject: "583231", Name: "The Octocat", Nickname: "octocat", PreferredUsername: "octocat", Picture: "https://avatars.githubusercontent.com/u/583231?v=4", Website: "https://github.blog", Email: "octocat@github.com", EmailVerified: true},
		},
		{
			kind: "facebook", auth: "Bearer tok",
			query: map[string]string{"fields": "id,name,first_name,last_name,picture,email", "appsecret_proof": facebookProof()},
			replies: map[string]string{
				"/me": `{"id":"10158123456789012","name":"Ada Lovelace","first_name":"Ada","last_name":"Lovelace","picture":{"data":{"height":50,"is_silhouette":false,"url":"https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=10158123456789012","width":50}},"email":"ada@example.com"}`,
			},
			want:   Claims{Subject: "10158123456789012", Name: "Ada Lovelace", GivenName: "Ada", FamilyName: "Lovelace", Picture: "https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=10158123456789012", Email: "ada@example.com"},
			scopes: "email public_profile",
		},
		{
			kind: "spotify", auth: "Bearer tok",
			replies: map[string]string{
				"/v1/me": `{"country":"SE","display_name":"Ada","email":"ada@example.com","explicit_content":{"filter_enabled":false,"filter_locked":false},"external_urls":{"spotify":"https://open.spotify.com/user/ada1815"},"followers":{"href":null,"total":3},"href":"https://api.spotify.com/v1/users/ada1815","id":"ada1815","images":[{"url":"https://i.scdn.co/image/ab67757000003b82","height":300,"width":300},{"url":"https://i.scdn.co/image/small","height":64,"width":64}],"product":"premium","type":"user","uri":"spotify:user:ada1815"}`,
			},
			want:   Claims{Subject: "ada1815", Name: "Ada", Nickname: "Ada", Picture: "https://i.scdn.co/image/ab67757000003b82", Email: "ada@example.com"},
			scopes: "user-read-email user-read-private",
		},
		{
			kind: "amazon", auth: "Bearer tok",
			replies: map[string]string{
				"/user/profile": `{"user_id":"amzn1.account.K2LI23KL2LK2","email":"ada@example.com","name":"Ada Lovelace","postal_code":"98052"}`,
			},
			want:   Claims{Subject: "amzn1.account.K2LI23KL2LK2", Name: "Ada Lovelace", Email: "ada@example.com"},
			scopes: "profile",
		},
		{
			kind: "patreon", auth: "Bearer tok",
			query: map[string]string{"fields[user]": "email,first_name,last_name,full_name,image_url,is_email_verified,vanity"},
			replies: map[string]string{
				"/api/oauth2/v2/identity": `{"data":{"attributes":{"email":"ada@example.com","first_name":"Ada","full_name":"Ada Lovelace","image_url":"https://c8.patreon.com/2/200/12345","is_email_verified":true,"last_name":"Lovelace","vanity":"ada"},"id":"12345","type":"user"},"links":{"self":"https://www.patreon.com/api/oauth2/v2/user/12345"}}`,
			},
			want:   Claims{Subject: "12345", Name: "Ada Lovelace", GivenName: "Ada", FamilyName: "Lovelace", Nickname: "ada", Picture: "https://c8.patreon.com/2/200/12345", Email: "ada@example.com", EmailVerified: true},
			scopes: "identity identity[email]",
		},
		{
			kind: "patreon", auth: "Bearer tok",
			query: map[string]string{"fields[user]": "email,first_name,last_name,full_name,image_url,is_email_verified,vanity"},
			replies: map[string]string{
				"/api/oauth2/v2/identity": `{"data":{"attributes":{"email":"ada@example.com","full_name":"Ada","is_email_verified":false},"id":"12345","type":"user"}}`,
			},
			want:   Claims{Subject: "12345", Name: "Ada", Email: "ada@example.com"},
			scopes: "identity identity[email]",
		},
		{
			kind: "yandex", auth: "OAuth tok", query: map[string]string{"format": "json"},
			replies: map[string]string{
				"/info": `{"id":"1000034426","login":"ivan","client_id":"4760187d81bc4b7799476b42b5103713","display_name":"Ivan","real_name":"Ivan Ivanov","first_name":"Ivan","last_name":"Ivanov","sex":"male","default_email":"ivan@yandex.ru","emails":["ivan@yandex.ru","other@yandex.ru"],"default_avatar_id":"131652443","is_avatar_empty":false,"psuid":"1.AAceCw.tbHgw5DtJ9_zeqPrk-Ba2w.qPWSRC5v2t2IaksPJgnge"}`,
			},
			want: Claims{Subject: "1000034426", Name: "Ivan Ivanov", GivenName: "Ivan", FamilyName: "Ivanov", Nickname: "Ivan", PreferredUsername: "ivan", Picture: "https://avatars.yandex.net/get-yapic/131652443/islands-200", Email: "ivan@yandex.ru"},
		},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			base := restAPI(t, tc.auth, tc.query, tc.replies)
			p, err := New(ProviderConfig{ID: tc.kind, Provider: tc.kind, ClientID: "c", ClientSecret: "s", IssuerURL: base}, nil)
			if err != nil {
				t.Fatal(err)
			}
			c, err := p.Claims(context.Background(), tok, "")
			if err != nil {
				t.Fatal(err)
			}
			if c.Raw == nil {
				t.Error("no raw claims")
			}
			got := *c
			got.Raw, got.Issuer = nil, ""
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("claims\n got %+v\nwant %+v", got, tc.want)
			}
			if c.Issuer != base {
				t.Errorf("issuer %q", c.Issuer)
			}
			oc, _ := p.OAuth2(context.Background())
			if s := strings.Join(oc.Scopes, " "); s != tc.scopes {
				t.Errorf("scopes %q", s)
			}
		})
	}
}

// TestRESTProviderRefusals: a reply without the user's id, a reply that is not the API's
// shape, an API refusing the token, and a wrong appsecret_proof are the provider's failure,
// never claims.
func TestRESTProviderRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, kind, auth, path, reply, secret string
	}{
		{"facebook without id", "facebook", "Bearer tok", "/me", `{"name":"x"}`, "s"},
		{"facebook proof of another secret", "facebook", "Bearer tok", "/me", `{"id":"1"}`, "other"},
		{"spotify without id", "spotify", "Bearer tok", "/v1/me", `{"display_name":"x"}`, "s"},
		{"spotify not an object", "spotify", "Bearer tok", "/v1/me", `["x"]`, "s"},
		{"amazon without user_id", "amazon", "Bearer tok", "/user/profile", `{"name":"x"}`, "s"},
		{"amazon id of the wrong type", "amazon", "Bearer tok", "/user/profile", `{"user_id":7}`, "s"},
		{"patreon without id", "patreon", "Bearer tok", "/api/oauth2/v2/identity", `{"errors":[{"code":1}]}`, "s"},
		{"yandex without id", "yandex", "OAuth tok", "/info", `{"login":"x"}`, "s"},
		{"spotify oversized", "spotify", "Bearer tok", "/v1/me", `{"id":"1","x":"` + strings.Repeat("x", maxClaimsBytes) + `"}`, "s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var query map[string]string
			if tc.kind == "facebook" {
				query = map[string]string{"appsecret_proof": facebookProof()}
			}
			base := restAPI(t, tc.auth, query, map[string]string{tc.path: tc.reply})
			p, err := New(ProviderConfig{ID: tc.kind, Provider: tc.kind, ClientID: "c", ClientSecret: tc.secret, IssuerURL: base}, nil)
			if err != nil {
				t.Fatal(err)
			}
			c, err := p.Claims(context.Background(), tok, "")
			if err == nil {
				t.Fatalf("accepted: %+v", c)
			}
			// The error is logged: it names the endpoint, never the query's appsecret_proof.
			if strings.Contains(err.Error(), "appsecret_proof") || strings.Contains(err.Error(), facebookProof()) {
				t.Fatalf("the error carries the proof: %v", err)
			}
		})
	}
}

// TestRESTProviderEndpoints: without auth_url and token_url each kind goes to its provider's
// own endpoints; with them, to the configured ones.
func TestRESTProviderEndpoints(t *testing.T) {
	for kind, want := range map[string][2]string{
		"github-app": {"https://github.com/login/oauth/authorize", "https://github.com/login/oauth/access_token"},
		"facebook":   {"https://www.facebook.com/dialog/oauth", "https://graph.facebook.com/oauth/access_token"},
		"spotify":    {"https://accounts.spotify.com/authorize", "https://accounts.spotify.com/api/token"},
		"amazon":     {"https://www.amazon.com/ap/oa", "https://api.amazon.com/auth/o2/token"},
		"patreon":    {"https://www.patreon.com/oauth2/authorize", "https://www.patreon.com/api/oauth2/token"},
		"yandex":     {"https://oauth.yandex.com/authorize", "https://oauth.yandex.com/token"},
	} {
		p, err := New(ProviderConfig{ID: kind, Provider: kind, ClientID: "c", ClientSecret: "s"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		oc, _ := p.OAuth2(context.Background())
		if oc.Endpoint.AuthURL != want[0] || oc.Endpoint.TokenURL != want[1] {
			t.Errorf("%s: %s %s", kind, oc.Endpoint.AuthURL, oc.Endpoint.TokenURL)
		}
		p, _ = New(ProviderConfig{ID: kind, Provider: kind, ClientID: "c", ClientSecret: "s", AuthURL: "https://a.test/auth", TokenURL: "https://a.test/token", Scope: []string{"x"}}, nil)
		oc, _ = p.OAuth2(context.Background())
		if oc.Endpoint.AuthURL != "https://a.test/auth" || oc.Endpoint.TokenURL != "https://a.test/token" || strings.Join(oc.Scopes, " ") != "x" {
			t.Errorf("%s configured: %+v", kind, oc)
		}
	}
	if _, err := New(ProviderConfig{ID: "x", Provider: "myspace"}, nil); err == nil {
		t.Error("an unknown kind was built")
	}
}

// TestLinkedInClaims: LinkedIn's OpenID claims (its userinfo's documented shape, with the
// locale LinkedIn may send as an object) read into Kratos's claims.
func TestLinkedInClaims(t *testing.T) {
	c, err := claimsFromJSON([]byte(`{"iss":"https://www.linkedin.com/oauth","sub":"782bbtaQ","name":"John Doe","given_name":"John","family_name":"Doe","picture":"https://media.licdn-ei.com/dms/image/C5F03AQHqK8v7tB1HCQ/profile-displayphoto-shrink_100_100/0/","locale":{"country":"US","language":"en"},"email":"doe@email.com","email_verified":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "782bbtaQ" || c.Name != "John Doe" || c.GivenName != "John" || c.FamilyName != "Doe" || c.Email != "doe@email.com" || !c.EmailVerified || c.Locale != "" || c.Raw["locale"] == nil {
		t.Fatalf("claims %+v", c)
	}
}
