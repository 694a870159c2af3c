package flow

import (
	"net/url"
	"testing"
)

func TestGoneForRead(t *testing.T) {
	public, _ := url.Parse("http://127.0.0.1:4433/")
	api := (&Base{Type: TypeAPI}).GoneForRead(public, "login")
	if api.Code != 410 || api.ID != "" || api.Details["api"] != "http://127.0.0.1:4433/self-service/login/api" || len(api.Details) != 1 {
		t.Errorf("api flow: %+v", api)
	}
	plain := (&Base{Type: TypeBrowser}).GoneForRead(public, "registration")
	if plain.Details["redirect_to"] != "http://127.0.0.1:4433/self-service/registration/browser" || len(plain.Details) != 1 {
		t.Errorf("browser flow: %+v", plain.Details)
	}
	back := (&Base{Type: TypeBrowser, ReturnTo: "https://app.example/after?x=1"}).GoneForRead(public, "settings")
	if back.Details["redirect_to"] != "http://127.0.0.1:4433/self-service/settings/browser?return_to=https%3A%2F%2Fapp.example%2Fafter%3Fx%3D1" ||
		back.Details["return_to"] != "https://app.example/after?x=1" {
		t.Errorf("browser flow with return_to: %+v", back.Details)
	}
}
