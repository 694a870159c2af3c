package flow

import (
	"net/http/httptest"
	"testing"
)

func TestWantsJSON(t *testing.T) {
	const chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
	tests := []struct {
		name, accept, contentType string
		want                      bool
	}{
		{"no accept", "", "", false},
		{"star star", "*/*", "", false},
		{"chrome", chrome, "", false},
		{"firefox", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "", false},
		{"axios", "application/json, text/plain, */*", "", true},
		{"json", "application/json", "", true},
		{"html", "text/html", "", false},
		{"json preferred by q", "text/html;q=0.5, application/json", "", true},
		{"html preferred by q", "application/json;q=0.5, text/html", "", false},
		{"json refused", "application/json;q=0, */*", "", false},
		{"equal q exact both: html first wins", "text/html, application/json", "", false},
		{"equal q exact both: json first still html", "application/json, text/html", "", false},
		{"application wildcard", "application/*", "", true},
		{"text wildcard", "text/*", "", false},
		{"case insensitive", "Application/JSON", "", true},
		{"json content type with html accept", "text/html", "application/json", true},
		{"json content type with charset", "", "application/json; charset=utf-8", true},
		{"form post from a browser", chrome, "application/x-www-form-urlencoded", false},
		{"malformed q", "application/json;q=x, text/html", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tt.accept != "" {
				r.Header.Set("Accept", tt.accept)
			}
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			if got := WantsJSON(r); got != tt.want {
				t.Errorf("WantsJSON(Accept %q, Content-Type %q) = %v, want %v", tt.accept, tt.contentType, got, tt.want)
			}
		})
	}
}
