package oidc

import (
	"encoding/json"
	"fmt"
)

// Claims are what a provider says about the person, in Kratos's shape: the standard OpenID
// claims the providers fill in, and every claim as received under raw_claims. The Jsonnet
// mapper sees them as std.extVar('claims').
type Claims struct {
	Issuer              string         `json:"iss"`
	Subject             string         `json:"sub"`
	Name                string         `json:"name,omitempty"`
	GivenName           string         `json:"given_name,omitempty"`
	FamilyName          string         `json:"family_name,omitempty"`
	Nickname            string         `json:"nickname,omitempty"`
	PreferredUsername   string         `json:"preferred_username,omitempty"`
	Picture             string         `json:"picture,omitempty"`
	Website             string         `json:"website,omitempty"`
	Email               string         `json:"email,omitempty"`
	EmailVerified       bool           `json:"email_verified"`
	Locale              string         `json:"locale,omitempty"`
	PhoneNumber         string         `json:"phone_number,omitempty"`
	PhoneNumberVerified bool           `json:"phone_number_verified,omitempty"`
	HD                  string         `json:"hd,omitempty"`
	Team                string         `json:"team,omitempty"`
	Raw                 map[string]any `json:"raw_claims,omitempty"`
}

// maxClaimsBytes bounds what a provider's claims may weigh (they go through the mapper and
// into traits).
const maxClaimsBytes = 64 << 10

// claimsFromJSON reads standard claims and keeps all of them as raw claims. email_verified
// is accepted as a boolean or the string "true" (some providers send a string).
func claimsFromJSON(raw []byte) (*Claims, error) {
	if len(raw) > maxClaimsBytes {
		return nil, fmt.Errorf("the claims are larger than %d bytes", maxClaimsBytes)
	}
	var all map[string]any
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, fmt.Errorf("decode claims: %w", err)
	}
	str := func(k string) string {
		switch v := all[k].(type) {
		case string:
			return v
		case float64:
			return fmt.Sprint(int64(v))
		}
		return ""
	}
	truth := func(k string) bool {
		switch v := all[k].(type) {
		case bool:
			return v
		case string:
			return v == "true"
		}
		return false
	}
	return &Claims{
		Issuer: str("iss"), Subject: str("sub"), Name: str("name"), GivenName: str("given_name"),
		FamilyName: str("family_name"), Nickname: str("nickname"), PreferredUsername: str("preferred_username"),
		Picture: str("picture"), Website: str("website"), Email: str("email"), EmailVerified: truth("email_verified"),
		Locale: str("locale"), PhoneNumber: str("phone_number"), PhoneNumberVerified: truth("phone_number_verified"),
		HD: str("hd"), Raw: all,
	}, nil
}
