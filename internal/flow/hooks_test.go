package flow

import (
	"net/http/httptest"
	"net/url"
	"testing"
)

func TestHookURLDropsLinkSecrets(t *testing.T) {
	public, _ := url.Parse("https://auth.example/")
	for target, want := range map[string]string{
		"/self-service/verification?flow=f1&token=secret": "https://auth.example/self-service/verification?flow=f1",
		"/self-service/recovery?code=123456&flow=f2":      "https://auth.example/self-service/recovery?flow=f2",
		"/self-service/login?flow=f3":                     "https://auth.example/self-service/login?flow=f3",
	} {
		if got := hookURL(public, httptest.NewRequest("GET", target, nil)); got != want {
			t.Errorf("hookURL(%s) = %s, want %s", target, got, want)
		}
	}
}
