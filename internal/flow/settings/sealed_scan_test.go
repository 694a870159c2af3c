package settings_test

import (
	"bytes"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/testdb"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store/sqlstore"
)

// withSecondFactors turns on TOTP and recovery codes (apptest starts with Kratos's defaults).
var withSecondFactors = []apptest.Option{
	apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"),
	apptest.WithEnv("SELFSERVICE_METHODS_LOOKUP_SECRET_ENABLED", "true"),
}

// secretsSeen collects every secret the server showed during a test.
type secretsSeen struct {
	values []string
}

func (s *secretsSeen) addTOTP(t *testing.T, f map[string]any) {
	t.Helper()
	n := mfatest.Node(f, "totp", "totp_secret_key")
	if n == nil {
		t.Fatalf("no TOTP key offered: %v", mfatest.Names(f))
	}
	key := mfatest.Str(n, "attributes", "text", "context", "secret")
	if key == "" {
		t.Fatalf("TOTP key node without a secret: %v", n)
	}
	s.values = append(s.values, key)
	// The QR code encodes the key too: a slice of its PNG must not be stored either.
	qr := mfatest.Str(mfatest.Node(f, "totp", "totp_qr"), "attributes", "src")
	payload := strings.TrimPrefix(qr, "data:image/png;base64,")
	if len(payload) < 400 {
		t.Fatalf("QR node: %q", qr)
	}
	s.values = append(s.values, payload[200:264])
}

func (s *secretsSeen) addCodes(t *testing.T, f map[string]any) []string {
	t.Helper()
	codes := shownCodes(f)
	if len(codes) == 0 {
		t.Fatalf("no recovery codes shown: %v", mfatest.Names(f))
	}
	s.values = append(s.values, codes...)
	return codes
}

// shownCodes are the unused recovery codes a flow shows.
func shownCodes(f map[string]any) []string {
	var codes []string
	n := mfatest.Node(f, "lookup_secret", "lookup_secret_codes")
	items, _ := mfatest.Walk(n, "attributes", "text", "context", "secrets").([]any)
	for _, it := range items {
		if c := mfatest.Str(it, "context", "secret"); c != "" {
			codes = append(codes, c)
		}
	}
	return codes
}

// encodings are the forms a secret could take at rest: as shown, in either case, JSON- or
// URL-escaped, base64 (both alphabets, at every alignment), hex, and for a base32 TOTP key
// its raw bytes in base64 and hex.
func encodings(v string) []string {
	out := []string{v, strings.ToLower(v), strings.ToUpper(v), url.QueryEscape(v), hex.EncodeToString([]byte(v))}
	for pad := 0; pad < 3; pad++ {
		in := append(bytes.Repeat([]byte{0}, pad), v...)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
			s := enc.EncodeToString(in)
			// Skip the characters that depend on the padding bytes and on what follows.
			out = append(out, s[(pad*4+2)/3+1:len(s)-4])
		}
	}
	if raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(v, "=")); err == nil && len(raw) >= 10 {
		out = append(out, hex.EncodeToString(raw), base64.StdEncoding.EncodeToString(raw)[:12], base64.RawURLEncoding.EncodeToString(raw)[:12])
	}
	return out
}

// findIn reports the first secret (in any encoding) that occurs in blob.
func (s *secretsSeen) findIn(blob []byte) string {
	lower := bytes.ToLower(blob)
	for _, v := range s.values {
		for _, e := range encodings(v) {
			if len(e) >= 8 && (bytes.Contains(blob, []byte(e)) || bytes.Contains(lower, []byte(strings.ToLower(e)))) {
				return fmt.Sprintf("%q (as %q)", v, e)
			}
		}
	}
	return ""
}

// secretsJourney enrols and uses second factors through the settings flow as kind, calling
// scan after every step that showed a secret: a TOTP key offered (API, browser, SPA), recovery
// codes generated, confirmed, revealed and generated again.
func secretsJourney(t *testing.T, s *apptest.Server, seen *secretsSeen, scan func(step string)) {
	ident := s.CreateIdentity(t, fmt.Sprintf("scan-%d@example.com", time.Now().UnixNano()), password)
	for _, kind := range mfatest.Kinds {
		p := mfatest.SignIn(t, s, kind, ident)
		if kind != "native" {
			// A browser that confirmed codes has stepped up; the others need aal2 now.
			p.C.SetSessionCookie(s, s.IssueSession(t, ident, session.AAL2))
		} else {
			p.Token = s.IssueSession(t, ident, session.AAL2)
			p.C.Header.Set("X-Session-Token", p.Token)
		}
		_, f := p.StartSettings()
		if f == nil {
			t.Fatalf("%s: no settings flow", kind)
		}
		seen.addTOTP(t, f)
		scan(kind + ": TOTP key offered")

		res, gen := p.Submit("settings", f, map[string]any{"method": "lookup_secret", "lookup_secret_regenerate": true})
		if gen == nil {
			t.Fatalf("%s regenerate: %d %s", kind, res.StatusCode, res.Body)
		}
		seen.addCodes(t, gen)
		scan(kind + ": recovery codes generated")

		res, done := p.Submit("settings", gen, map[string]any{"lookup_secret_confirm": true})
		if mfatest.Str(done, "state") != "success" {
			t.Fatalf("%s confirm: %d %s", kind, res.StatusCode, res.Body)
		}
		scan(kind + ": recovery codes confirmed")

		res, rev := p.Submit("settings", done, map[string]any{"lookup_secret_reveal": true})
		if rev == nil || len(shownCodes(rev)) != 12 {
			t.Fatalf("%s reveal: %d %s %v", kind, res.StatusCode, res.Body, rev)
		}
		seen.addCodes(t, rev)
		scan(kind + ": recovery codes revealed")

		res, again := p.Submit("settings", rev, map[string]any{"lookup_secret_regenerate": true})
		if again == nil {
			t.Fatalf("%s regenerate again: %d %s", kind, res.StatusCode, res.Body)
		}
		seen.addCodes(t, again)
		scan(kind + ": recovery codes generated again")
	}
}

// TestNoFlowSecretInTheDatabaseFile scans the whole SQLite database (file, WAL and shared
// memory) after every step that showed a TOTP key or recovery codes: none may be stored in
// any encoding; only the sealed private column and the credential's hashes and sealed copy
// hold them.
func TestNoFlowSecretInTheDatabaseFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "portico.db")
	s := apptest.Start(t, append(withSecondFactors, apptest.WithDSN("sqlite://"+db+"?_fk=true"))...)
	seen := &secretsSeen{}
	secretsJourney(t, s, seen, func(step string) {
		t.Helper()
		for _, name := range []string{db, db + "-wal", db + "-shm"} {
			blob, err := os.ReadFile(name)
			if os.IsNotExist(err) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if found := seen.findIn(blob); found != "" {
				t.Fatalf("after %s: %s stored in %s", step, found, filepath.Base(name))
			}
		}
		scanFlowDocuments(t, s.Store.DB(), seen, step)
	})
}

// TestNoFlowSecretInPostgresFlows runs the same journey on PostgreSQL and scans every column
// of the flows and identity_credentials tables as text, and the flows' documents decoded
// (since migration 0024 they are bytea, a large one compressed: as text, hex of S2).
func TestNoFlowSecretInPostgresFlows(t *testing.T) {
	base := os.Getenv("PORTICO_TEST_POSTGRES_DSN")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true requires PORTICO_TEST_POSTGRES_DSN")
		}
		t.Skip("PORTICO_TEST_POSTGRES_DSN not set")
	}
	dsn, db := postgresSchema(t, base)
	s := apptest.Start(t, append(withSecondFactors, apptest.WithDSN(dsn))...)
	seen := &secretsSeen{}
	secretsJourney(t, s, seen, func(step string) {
		t.Helper()
		scanFlowDocuments(t, db, seen, step)
		for _, q := range []string{
			"SELECT f::text FROM flows f",
			"SELECT c::text FROM identity_credentials c",
		} {
			rows, err := db.Query(q)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var row string
				if err := rows.Scan(&row); err != nil {
					t.Fatal(err)
				}
				if found := seen.findIn([]byte(row)); found != "" {
					rows.Close()
					t.Fatalf("after %s: %s stored: %s", step, found, q)
				}
			}
			rows.Close()
		}
	})
}

// scanFlowDocuments fails the test when a secret seen so far is in a flow's data or private
// column as the store reads it: a large document is stored compressed (S2) and a sealed one as
// its bytes, where a secret's bytes need not appear as they are in the file or the row's text.
func scanFlowDocuments(t *testing.T, db *sql.DB, seen *secretsSeen, step string) {
	t.Helper()
	rows, err := db.Query("SELECT kind, data, private FROM flows")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			kind       string
			data, priv []byte
		)
		if err := rows.Scan(&kind, &data, &priv); err != nil {
			t.Fatal(err)
		}
		for col, raw := range map[string][]byte{"data": data, "private": priv} {
			doc, err := sqlstore.DecodeFlowDocument(raw)
			if err != nil {
				t.Fatal(err)
			}
			if found := seen.findIn(doc); found != "" {
				t.Fatalf("after %s: %s stored in a %s flow's %s", step, found, kind, col)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// postgresSchema makes a throw-away schema in base's database, dropped when the test ends,
// and returns a DSN using it and a handle with it as search path.
func postgresSchema(t *testing.T, base string) (string, *sql.DB) {
	t.Helper()
	dsn := testdb.PostgresSchema(t, base)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return dsn, db
}

// TestRevealedCodesAreShownOnce: codes revealed at aal2 are in the reply to the reveal only;
// reading the flow afterwards shows none, neither to the owner's session nor to another
// session of the identity (an aal1 one is refused the flow altogether). A browser form,
// whose reply is a redirect, gets them in the one read that follows, by its own session.
func TestRevealedCodesAreShownOnce(t *testing.T) {
	for _, kind := range mfatest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := apptest.Start(t, withSecondFactors...)
			ident := s.CreateIdentity(t, "once@example.com", password)
			p := mfatest.SignIn(t, s, kind, ident)
			_, f := p.StartSettings()
			_, gen := p.Submit("settings", f, map[string]any{"method": "lookup_secret", "lookup_secret_regenerate": true})
			_, done := p.Submit("settings", gen, map[string]any{"lookup_secret_confirm": true})
			if mfatest.Str(done, "state") != "success" {
				t.Fatalf("confirm: %v", done)
			}
			_, rev := p.Submit("settings", done, map[string]any{"lookup_secret_reveal": true})
			if len(shownCodes(rev)) != 12 {
				t.Fatalf("reveal showed %d codes", len(shownCodes(rev)))
			}
			id := mfatest.Str(rev, "id")
			read := func(c *mfatest.Party) *apptest.Response {
				return c.JSONGet("/self-service/settings/flows?id=" + id)
			}
			// The revealing session reads the flow again: no codes.
			r := read(p)
			if r.StatusCode != http.StatusOK || len(shownCodes(r.Map(t))) != 0 {
				t.Fatalf("second read by the revealing session: %d, %d codes", r.StatusCode, len(shownCodes(r.Map(t))))
			}
			// Another aal2 session of the identity: no codes.
			q := mfatest.SignIn(t, s, "spa", ident)
			q.C.SetSessionCookie(s, s.IssueSession(t, ident, session.AAL2))
			if r := read(q); r.StatusCode != http.StatusOK || len(shownCodes(r.Map(t))) != 0 {
				t.Fatalf("read by another session: %d %s", r.StatusCode, r.Body)
			}
			// An aal1 session of the identity that knows the flow id: refused.
			a := mfatest.SignIn(t, s, "native", ident)
			if r := read(a); r.StatusCode != http.StatusForbidden || mfatest.Str(r.Map(t), "error", "id") != "session_aal2_required" {
				t.Fatalf("read at aal1: %d %s", r.StatusCode, r.Body)
			}
		})
	}
}

// TestRevealedCodesOnceAfterBrowserRedirect: a browser's reveal (a form post answered with a
// redirect) leaves the codes for one read by the same session; another session reading does
// not get them, and they are gone after the one read.
func TestRevealedCodesOnceAfterBrowserRedirect(t *testing.T) {
	s := apptest.Start(t, withSecondFactors...)
	ident := s.CreateIdentity(t, "redirect@example.com", password)
	p := mfatest.SignIn(t, s, "browser", ident)
	_, f := p.StartSettings()
	_, gen := p.Submit("settings", f, map[string]any{"method": "lookup_secret", "lookup_secret_regenerate": true})
	_, done := p.Submit("settings", gen, map[string]any{"lookup_secret_confirm": true})
	form := url.Values{"csrf_token": {mfatest.CSRF(done)}, "lookup_secret_reveal": {"true"}}
	res := p.C.PostForm(mfatest.Str(done, "ui", "action"), form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reveal: %d %s", res.StatusCode, res.Body)
	}
	id := apptest.URL(t, res.Header.Get("Location")).Query().Get("flow")
	read := func(c *mfatest.Party) []string {
		t.Helper()
		r := c.JSONGet("/self-service/settings/flows?id=" + id)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("read: %d %s", r.StatusCode, r.Body)
		}
		return shownCodes(r.Map(t))
	}
	other := mfatest.SignIn(t, s, "spa", ident)
	other.C.SetSessionCookie(s, s.IssueSession(t, ident, session.AAL2))
	if got := read(other); len(got) != 0 {
		t.Fatalf("another session read %d codes", len(got))
	}
	if got := read(p); len(got) != 12 {
		t.Fatalf("the revealing browser's read after the redirect showed %d codes", len(got))
	}
	if got := read(p); len(got) != 0 {
		t.Fatalf("a second read showed %d codes", len(got))
	}
}

// TestReadShowsTheFlowAsCreated: reading a flow whose secret nodes were stored sealed gives
// the reply its creation gave (nodes in the same places, the same identity), for a flow
// offering a TOTP key and one showing codes awaiting confirmation.
func TestReadShowsTheFlowAsCreated(t *testing.T) {
	s := apptest.Start(t, withSecondFactors...)
	ident := s.CreateIdentity(t, "same@example.com", password)
	p := mfatest.SignIn(t, s, "spa", ident)
	same := func(name string, want map[string]any) {
		t.Helper()
		got := p.Flow("settings", mfatest.Str(want, "id"))
		if !reflect.DeepEqual(got["ui"], want["ui"]) || !reflect.DeepEqual(got["identity"], want["identity"]) {
			t.Errorf("%s: read %v\nwant %v", name, mfatest.Names(got), mfatest.Names(want))
		}
	}
	_, created := p.StartSettings()
	same("created", created)
	_, gen := p.Submit("settings", created, map[string]any{"method": "lookup_secret", "lookup_secret_regenerate": true})
	same("codes generated", gen)
}
