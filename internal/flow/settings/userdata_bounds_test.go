package settings_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/flow/settings"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
)

// TestTraitsAndMetadataAreBounded: identity.traits_max_bytes and identity.metadata_max_bytes
// bound what an identity holds, on every path that writes it (sign-up, profile settings,
// admin create, update and patch), with a 400 in Kratos's error shape; a flow never stores the
// refused value.
func TestTraitsAndMetadataAreBounded(t *testing.T) {
	s := apptest.Start(t,
		apptest.WithEnv("IDENTITY_TRAITS_MAX_BYTES", "4KB"),
		apptest.WithEnv("IDENTITY_METADATA_MAX_BYTES", "2KB"))
	big := strings.Repeat("x", 5000)
	traits := func(first string) map[string]any {
		return map[string]any{"email": fmt.Sprintf("u%d@example.com", len(first)), "name": map[string]any{"first": first, "last": "L"}}
	}
	want400 := func(t *testing.T, what string, r *apptest.Response, mention string) {
		t.Helper()
		if r.StatusCode != http.StatusBadRequest {
			t.Fatalf("%s: %d %.300s", what, r.StatusCode, r.Body)
		}
		var e apiError
		r.JSON(t, &e)
		if e.Error.Code != 400 || e.Error.Status != "Bad Request" || !strings.Contains(e.Error.Reason, mention) || !strings.Contains(e.Error.Reason, "too large") {
			t.Fatalf("%s: error %+v", what, e.Error)
		}
	}

	// Sign-up.
	app := s.Native(t)
	f := app.Get(s.PublicURL("/self-service/registration/api"))
	var rf struct{ ID string }
	f.JSON(t, &rf)
	r := app.PostJSON(s.PublicURL("/self-service/registration?flow="+rf.ID), map[string]any{
		"method": "password", "password": password, "traits": traits(big)})
	want400(t, "registration", r, "traits")
	if rec, err := s.App.Store.GetFlow(context.Background(), "registration", uuid.MustParse(rf.ID)); err != nil || strings.Contains(string(rec.Data), big) {
		t.Fatalf("registration flow stored the refused traits (%v)", err)
	}

	// Admin create, update and patch.
	admin := s.Native(t)
	r = admin.PostJSON(s.AdminURL("/admin/identities"), map[string]any{"schema_id": "default", "traits": traits(big)})
	want400(t, "admin create traits", r, "traits")
	r = admin.PostJSON(s.AdminURL("/admin/identities"), map[string]any{"schema_id": "default", "traits": traits("ok"), "metadata_public": map[string]any{"x": big}})
	want400(t, "admin create metadata_public", r, "metadata_public")
	r = admin.PostJSON(s.AdminURL("/admin/identities"), map[string]any{"schema_id": "default", "traits": traits("ok")})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("admin create: %d %s", r.StatusCode, r.Body)
	}
	var created struct{ ID string }
	r.JSON(t, &created)
	body, _ := json.Marshal(map[string]any{"schema_id": "default", "state": "active", "traits": traits("ok"), "metadata_admin": map[string]any{"x": big}})
	r = admin.Do(http.MethodPut, s.AdminURL("/admin/identities/"+created.ID), strings.NewReader(string(body)), http.Header{"Content-Type": {"application/json"}})
	want400(t, "admin update metadata_admin", r, "metadata_admin")
	patch, _ := json.Marshal([]map[string]any{{"op": "replace", "path": "/traits/name/first", "value": big}})
	r = admin.Do(http.MethodPatch, s.AdminURL("/admin/identities/"+created.ID), strings.NewReader(string(patch)), http.Header{"Content-Type": {"application/json"}})
	want400(t, "admin patch traits", r, "traits")

	// Profile settings.
	ident := s.CreateIdentity(t, "profile@example.com", password)
	c := s.Native(t)
	c.Header.Set("X-Session-Token", s.IssueSession(t, ident, session.AAL1))
	r = c.Get(s.PublicURL("/self-service/settings/api"))
	sf := decodeFlow(t, r)
	r = c.PostJSON(s.PublicURL("/self-service/settings?flow="+sf.ID), map[string]any{"method": "profile",
		"traits": map[string]any{"email": "profile@example.com", "name": map[string]any{"first": big}}})
	want400(t, "settings profile", r, "traits")
	if rec, err := s.App.Store.GetFlow(context.Background(), settings.Kind, uuid.MustParse(sf.ID)); err != nil || strings.Contains(string(rec.Data), big) {
		t.Fatalf("settings flow stored the refused traits (%v)", err)
	}
	// Under the limit is fine.
	r = c.PostJSON(s.PublicURL("/self-service/settings?flow="+sf.ID), map[string]any{"method": "profile",
		"traits": map[string]any{"email": "profile@example.com", "name": map[string]any{"first": strings.Repeat("y", 3000)}}})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("profile under the limit: %d %s", r.StatusCode, r.Body)
	}
}

// TestSettingsFlowsOfOneIdentityAreBounded is the storage attack: an identity with traits of
// the largest allowed size creates 100 settings flows at once. Each flow row holds the traits
// once, and the identity keeps at most settings.MaxFlowsPerIdentity flows, so the flows table
// grows by at most that many rows of about the traits' size.
func TestSettingsFlowsOfOneIdentityAreBounded(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { flowsOfOneIdentityAreBounded(t, apptest.Start(t)) })
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv("PORTICO_TEST_POSTGRES_DSN")
		if base == "" {
			if os.Getenv("CI") == "true" {
				t.Fatal("CI=true requires PORTICO_TEST_POSTGRES_DSN")
			}
			t.Skip("PORTICO_TEST_POSTGRES_DSN not set")
		}
		dsn, _ := postgresSchema(t, base)
		flowsOfOneIdentityAreBounded(t, apptest.Start(t, apptest.WithDSN(dsn)))
	})
}

func flowsOfOneIdentityAreBounded(t *testing.T, s *apptest.Server) {
	const maxTraits = 64 << 10 // the default identity.traits_max_bytes
	name := strings.Repeat("n", maxTraits-200)
	ident := &identity.Identity{SchemaID: "default", Traits: json.RawMessage(fmt.Sprintf(
		`{"email":"big@example.com","name":{"first":%q,"last":"L"}}`, name))}
	if err := s.App.Identities.Create(context.Background(), ident, identity.CreateOptions{Password: password}); err != nil {
		t.Fatal(err)
	}
	token := s.IssueSession(t, ident, session.AAL1)
	db := s.Store.DB()
	size := func() (rows, bytes int) {
		t.Helper()
		if err := db.QueryRow(`SELECT COUNT(*), COALESCE(SUM(LENGTH(data) + COALESCE(LENGTH(private), 0)), 0) FROM flows`).Scan(&rows, &bytes); err != nil {
			t.Fatal(err)
		}
		return rows, bytes
	}
	_, before := size()

	const n = 100
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := s.Native(t)
			c.Header.Set("X-Session-Token", token)
			if r := c.Get(s.PublicURL("/self-service/settings/api")); r.StatusCode != http.StatusOK {
				t.Errorf("create settings flow: %d %s", r.StatusCode, r.Body)
			}
		}()
	}
	wg.Wait()
	rows, after := size()
	// A flow row is the traits once plus a few KB of nodes.
	perFlow := maxTraits + 8<<10
	if rows > settings.MaxFlowsPerIdentity || after-before > settings.MaxFlowsPerIdentity*perFlow {
		t.Fatalf("%d settings flow creations left %d rows and grew the flows table by %d bytes; want at most %d rows and %d bytes",
			n, rows, after-before, settings.MaxFlowsPerIdentity, settings.MaxFlowsPerIdentity*perFlow)
	}
	t.Logf("%d creations with %d-byte traits: %d rows, +%d bytes (%d per row)", n, len(ident.Traits), rows, after-before, (after-before)/max(rows, 1))

	// Past the cap, the flow just made is never the one to go, even when every flow expires
	// at the same instant (this server's clock stands still).
	c := s.SPA(t)
	c.SetSessionCookie(s, token)
	for i := 0; i < 20; i++ {
		f := decodeFlow(t, c.Get(s.PublicURL("/self-service/settings/browser")))
		if r := c.Get(s.PublicURL("/self-service/settings/flows?id=" + f.ID)); r.StatusCode != http.StatusOK {
			t.Fatalf("flow %d read right after its creation: %d %.200s", i, r.StatusCode, r.Body)
		}
	}
}
