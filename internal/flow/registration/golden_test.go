package registration_test

import (
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/golden"
)

func TestGoldenRegistration(t *testing.T) {
	s := apptest.Start(t)
	app := s.Native(t)
	r := app.Get(s.PublicURL("/self-service/registration/api"))
	golden.JSON(t, "testdata/registration-api-flow.golden.json", r.Body)
	id := r.Map(t)["id"].(string)
	bad := app.PostJSON(s.PublicURL("/self-service/registration?flow="+id), map[string]any{
		"method": "password", "password": "short", "traits": map[string]any{"email": "nope"}})
	golden.JSON(t, "testdata/registration-api-invalid.golden.json", bad.Body)
	ok := app.PostJSON(s.PublicURL("/self-service/registration?flow="+id), map[string]any{
		"method": "password", "password": "a fine password", "traits": map[string]any{"email": "ada@example.com", "name": map[string]any{"first": "Ada"}}})
	golden.JSON(t, "testdata/registration-api-success.golden.json", ok.Body)

	spa := s.SPA(t)
	r = spa.Get(s.PublicURL("/self-service/registration/browser"))
	golden.JSON(t, "testdata/registration-browser-flow.golden.json", r.Body)
	ok = spa.PostJSON(s.PublicURL("/self-service/registration?flow="+r.Map(t)["id"].(string)), map[string]any{
		"method": "password", "password": "a fine password", "csrf_token": apptest.CSRFToken(t, r), "traits": map[string]any{"email": "grace@example.com"}})
	golden.JSON(t, "testdata/registration-browser-success.golden.json", ok.Body)
}
