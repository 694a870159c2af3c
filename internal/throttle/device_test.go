package throttle

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestDeviceCookie: a device cookie is trusted for its identity until it expires, under any
// of the configured secrets (rotation), and never after tampering.
func TestDeviceCookie(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	old := NewDevices([]string{"old-secret-0123456789abcdef"}, DeviceOptions{Lifespan: time.Hour, Now: clock})
	rotated := NewDevices([]string{"new-secret-0123456789abcdef", "old-secret-0123456789abcdef"}, DeviceOptions{Lifespan: time.Hour, Now: clock})
	ident := uuid.New()
	rec := httptest.NewRecorder()
	old.Remember(rec, ident)
	cookie := rec.Result().Cookies()[0]

	req := httptest.NewRequest("POST", "/", nil)
	req.AddCookie(cookie)
	dev, ok := rotated.Trusted(req, ident)
	if !ok || len(dev) != 32 {
		t.Fatalf("a cookie signed with the old secret is not trusted after rotation: %q %v", dev, ok)
	}
	if _, ok := rotated.Trusted(req, uuid.New()); ok {
		t.Fatal("trusted for another identity")
	}
	if (*Devices)(nil) != NewDevices(nil, DeviceOptions{}) {
		t.Fatal("devices without a secret")
	}
	tampered := *cookie
	b := []byte(tampered.Value)
	b[5] ^= 1
	tampered.Value = string(b)
	req2 := httptest.NewRequest("POST", "/", nil)
	req2.AddCookie(&tampered)
	if _, ok := rotated.Trusted(req2, ident); ok {
		t.Fatal("a tampered cookie is trusted")
	}
	now = now.Add(time.Hour)
	if _, ok := rotated.Trusted(req, ident); ok {
		t.Fatal("an expired cookie is trusted")
	}
}
