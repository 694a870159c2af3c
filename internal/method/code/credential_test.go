package code_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// codeCredential is the code credential of an identity as the admin API shows it.
type codeCredential struct {
	Type        string   `json:"type"`
	Identifiers []string `json:"identifiers"`
	Config      struct {
		Addresses []struct {
			Channel string `json:"channel"`
			Address string `json:"address"`
		} `json:"addresses"`
	} `json:"config"`
}

// TestSignUpWithCodeCredential: an identity signed up by code holds Kratos's code credential
// (identifiers and config.addresses name its address), so the admin API's
// credentials_identifier filter finds it and include_credential=code shows it; when an admin
// or the person (settings) changes the address, the credential follows.
func TestSignUpWithCodeCredential(t *testing.T) {
	s, mail := start(t)
	fc := s.FlowClients(t, "registration")[2]
	email := apptest.Email("credential")
	f := fc.Start(t)
	sent := signUp(t, fc, f, email, "")
	done := signUp(t, fc, sent, email, mail.Code(t, email))
	var reg struct {
		SessionToken string `json:"session_token"`
		Identity     struct {
			ID string `json:"id"`
		} `json:"identity"`
	}
	done.Raw.JSON(t, &reg)
	if done.Status != http.StatusOK || reg.Identity.ID == "" {
		t.Fatalf("sign-up by code: %d %s", done.Status, done.Raw.Body)
	}
	admin := s.Native(t)

	// want checks the identity's code credential as the admin API shows it.
	want := func(address string) map[string]any {
		t.Helper()
		res := admin.Get(s.AdminURL("/admin/identities/" + reg.Identity.ID + "?include_credential=code"))
		var got struct {
			Traits      map[string]any            `json:"traits"`
			Credentials map[string]codeCredential `json:"credentials"`
		}
		res.JSON(t, &got)
		c, ok := got.Credentials["code"]
		if res.StatusCode != http.StatusOK || !ok || c.Type != "code" || len(c.Identifiers) != 1 || c.Identifiers[0] != address ||
			len(c.Config.Addresses) != 1 || c.Config.Addresses[0].Channel != "email" || c.Config.Addresses[0].Address != address {
			t.Fatalf("code credential, want %s: %d %s", address, res.StatusCode, res.Body)
		}
		list := admin.Get(s.AdminURL("/admin/identities?credentials_identifier=" + url.QueryEscape(address)))
		var found []struct {
			ID string `json:"id"`
		}
		list.JSON(t, &found)
		if list.StatusCode != http.StatusOK || len(found) != 1 || found[0].ID != reg.Identity.ID {
			t.Fatalf("credentials_identifier=%s: %d %s", address, list.StatusCode, list.Body)
		}
		return got.Traits
	}
	traits := want(email)

	moved := apptest.Email("credential-moved")
	traits["email"] = moved
	body, _ := json.Marshal(map[string]any{"schema_id": "default", "traits": traits, "state": "active"})
	if res := admin.Do(http.MethodPut, s.AdminURL("/admin/identities/"+reg.Identity.ID), bytes.NewReader(body),
		http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}); res.StatusCode != http.StatusOK {
		t.Fatalf("admin update: %d %s", res.StatusCode, res.Body)
	}
	traits = want(moved)

	// The person changes the address in settings (the sign-up's session is fresh enough).
	again := apptest.Email("credential-settings")
	traits["email"] = again
	hdr := http.Header{"X-Session-Token": {reg.SessionToken}, "Accept": {"application/json"}}
	var sf struct {
		ID string `json:"id"`
	}
	if res := admin.Do(http.MethodGet, s.PublicURL("/self-service/settings/api"), nil, hdr); res.StatusCode != http.StatusOK {
		t.Fatalf("settings flow: %d %s", res.StatusCode, res.Body)
	} else {
		res.JSON(t, &sf)
	}
	body, _ = json.Marshal(map[string]any{"method": "profile", "traits": traits})
	hdr.Set("Content-Type", "application/json")
	if res := admin.Do(http.MethodPost, s.PublicURL("/self-service/settings?flow="+sf.ID), bytes.NewReader(body), hdr); res.StatusCode != http.StatusOK {
		t.Fatalf("settings profile: %d %s", res.StatusCode, res.Body)
	}
	want(again)
}
