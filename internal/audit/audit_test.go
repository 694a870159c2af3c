package audit

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
)

func TestBounded(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	ev := New(SignIn, uuid.New(), nil)
	ev.UserAgent = strings.Repeat("ü", MaxUserAgent) + "\xff"
	ev.Address = strings.Repeat("1", 100)
	got := ev.Bounded(now)
	if got.ID == uuid.Nil || !got.Time.Equal(now) || string(got.Details) != "{}" {
		t.Errorf("bounded = %+v", got)
	}
	if len(got.UserAgent) > MaxUserAgent || strings.ContainsRune(got.UserAgent, '\uFFFD') || len(got.Address) != MaxAddress {
		t.Errorf("user agent %d bytes, address %d bytes", len(got.UserAgent), len(got.Address))
	}
	for _, bad := range []string{`[1]`, `{"a":`, `{"a":"` + strings.Repeat("x", MaxDetails) + `"}`} {
		ev.Details = json.RawMessage(bad)
		if d := ev.Bounded(now).Details; string(d) != `{"truncated":true}` {
			t.Errorf("details %.20q kept as %s", bad, d)
		}
	}
}

func TestPendingWrittenOnce(t *testing.T) {
	ctx := With(context.Background(), New(SignIn, uuid.Nil, nil))
	if With(ctx) != ctx {
		t.Error("With without events made a new context")
	}
	calls := 0
	ctx = WithFunc(ctx, func() []Event { calls++; return []Event{New(SessionRevoked, uuid.Nil, nil)} })
	evs, done := Pending(ctx)
	if len(evs) != 2 || evs[0].Type != SignIn || evs[1].Type != SessionRevoked || calls != 1 {
		t.Fatalf("pending = %v (%d calls)", evs, calls)
	}
	// Attached after Pending was read: not marked by its done.
	ctx = With(ctx, New(IdentityUpdated, uuid.Nil, nil))
	done()
	if evs, _ := Pending(ctx); len(evs) != 1 || evs[0].Type != IdentityUpdated {
		t.Fatalf("pending after done = %v", evs)
	}
	if evs, _ := Pending(context.Background()); len(evs) != 0 {
		t.Fatal("events on a bare context")
	}
}

func TestChanges(t *testing.T) {
	id := uuid.New()
	pw := func(h string) identity.Credentials {
		return identity.Credentials{Identifiers: []string{"a@example.com"}, Config: json.RawMessage(`{"hashed_password":"` + h + `"}`)}
	}
	before := &identity.Identity{ID: id,
		Credentials:         map[identity.CredentialsType]identity.Credentials{identity.CredentialsPassword: pw("1"), identity.CredentialsTOTP: {Config: json.RawMessage(`{}`)}},
		VerifiableAddresses: []identity.VerifiableAddress{{Via: "email", Value: "a@example.com"}, {Via: "sms", Value: "+1"}},
	}
	after := &identity.Identity{ID: id,
		Credentials:         map[identity.CredentialsType]identity.Credentials{identity.CredentialsPassword: pw("2"), identity.CredentialsLookupSecret: {Config: json.RawMessage(`{}`)}},
		VerifiableAddresses: []identity.VerifiableAddress{{Via: "email", Value: "b@example.com"}, {Via: "sms", Value: "+1", Verified: true}, {Via: "phone", Value: "+2"}},
	}
	var got []string
	for _, ev := range Changes(before, after, BySelf) {
		if ev.IdentityID == nil || *ev.IdentityID != id {
			t.Errorf("%s without the identity", ev.Type)
		}
		got = append(got, ev.Type+" "+string(ev.Details))
	}
	want := []string{
		`credential_added {"by":"self","type":"lookup_secret"}`,
		`credential_changed {"by":"self","type":"password"}`,
		`credential_removed {"by":"self","type":"totp"}`,
		`address_changed {"by":"self","via":"email"}`,
		`address_added {"by":"self","via":"phone"}`,
		`address_verified {"by":"self","via":"sms"}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := len(Changes(before, before, BySelf)); n != 0 {
		t.Errorf("%d events for no change", n)
	}
}
