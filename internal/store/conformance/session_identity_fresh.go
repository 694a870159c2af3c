package conformance

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
)

// testSessionIdentityFresh: a session read shows its identity's credentials and addresses as
// stored now, after every kind of write to them, however often the session was read before
// (a store may remember them between reads, never past a write); and a caller that changes
// what it was given changes nothing for the next reader.
func testSessionIdentityFresh(t *testing.T, s store.Store) {
	id := create(t, s, "lena@example.com")
	ss := createSession(t, s, id, "tok-lena", base)
	read := func(what string) *identity.Identity {
		t.Helper()
		var got *session.Session
		for range 3 { // read more than once: a remembered copy must be as fresh as the first
			var err error
			got, err = s.GetSessionByToken(ctx(t), tokenHash("tok-lena"))
			must(t, err)
			if byID, err := s.GetSession(ctx(t), ss.ID); err != nil || byID.Identity.Version != got.Identity.Version {
				t.Fatalf("%s: by id %+v, %v", what, byID, err)
			}
		}
		return got.Identity
	}

	got := read("created")
	if c := got.Credentials[identity.CredentialsPassword]; string(c.Config) != `{"hashed_password":"$argon2id$x"}` || len(got.VerifiableAddresses) != 1 {
		t.Fatalf("created: %+v", got)
	}
	// What a caller does to its copy stays its own.
	got.Credentials[identity.CredentialsPassword].Identifiers[0] = "mallory@example.com"
	got.Credentials[identity.CredentialsPassword].Config[2] = 'X'
	got.VerifiableAddresses[0].Verified = true
	delete(got.Credentials, identity.CredentialsPassword)
	got = read("after a caller changed its copy")
	if c := got.Credentials[identity.CredentialsPassword]; c.Identifiers[0] != "lena@example.com" ||
		string(c.Config) != `{"hashed_password":"$argon2id$x"}` || got.VerifiableAddresses[0].Verified {
		t.Fatalf("a caller's change reached the next read: %+v", got)
	}

	// An identity update: a new password, a second credential, a new recovery address.
	c := got.Credentials[identity.CredentialsPassword]
	c.Config = json.RawMessage(`{"hashed_password":"$argon2id$new"}`)
	got.Credentials[identity.CredentialsPassword] = c
	got.Credentials[identity.CredentialsTOTP] = identity.Credentials{Config: json.RawMessage(`{"totp_url":"otpauth://x"}`)}
	got.RecoveryAddresses = append(got.RecoveryAddresses, identity.RecoveryAddress{Value: "lena2@example.com", Via: "email"})
	must(t, s.UpdateIdentity(ctx(t), got))
	got = read("updated")
	if string(got.Credentials[identity.CredentialsPassword].Config) != `{"hashed_password":"$argon2id$new"}` ||
		!got.HasCredentials(identity.CredentialsTOTP) || len(got.RecoveryAddresses) != 2 {
		t.Fatalf("after an update: %+v", got)
	}

	// The address writes.
	must(t, s.SetAddressStatus(ctx(t), id.ID, "email", "lena@example.com", "sent", base))
	if a := read("status sent").VerifiableAddresses[0]; a.Status != "sent" {
		t.Fatalf("after status sent: %+v", a)
	}
	must(t, s.MarkAddressVerified(ctx(t), id.ID, "email", "lena@example.com", base.Add(time.Minute)))
	if a := read("verified").VerifiableAddresses[0]; !a.Verified || a.Status != "completed" {
		t.Fatalf("after verification: %+v", a)
	}

	// Deleted and created again under the same id (an import), at the version it was read at
	// before, with another password: the session of the new identity shows the new one.
	mia := create(t, s, "mia@example.com")
	createSession(t, s, mia, "tok-mia", base)
	readMia := func() *identity.Identity {
		t.Helper()
		got, err := s.GetSessionByToken(ctx(t), tokenHash("tok-mia"))
		must(t, err)
		return got.Identity
	}
	readMia()
	readMia()
	must(t, s.DeleteIdentity(ctx(t), mia.ID))
	again := newIdentity("mia@example.com")
	again.ID = mia.ID
	again.Credentials[identity.CredentialsPassword] = identity.Credentials{Identifiers: []string{"mia@example.com"},
		Config: json.RawMessage(`{"hashed_password":"$argon2id$imported"}`)}
	must(t, s.CreateIdentity(ctx(t), again))
	createSession(t, s, again, "tok-mia", base)
	if got := readMia(); got.Version != 1 || string(got.Credentials[identity.CredentialsPassword].Config) != `{"hashed_password":"$argon2id$imported"}` {
		t.Fatalf("the identity created again shows: %+v", got)
	}
}
