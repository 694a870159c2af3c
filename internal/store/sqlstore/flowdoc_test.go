package sqlstore

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/klauspost/compress/s2"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/store/migrations"
)

// settingsFlowMFA is the data document of a settings flow with every second factor on, as the
// MFA bench stores it (8.4 KB).
func settingsFlowMFA(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/settings_flow_mfa.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sealedPrivate is a private column of a real flow's size: base64 of sealed (random) bytes.
func sealedPrivate(t testing.TB) []byte {
	t.Helper()
	r := make([]byte, 3190)
	if _, err := rand.Read(r); err != nil {
		t.Fatal(err)
	}
	return []byte(base64.RawURLEncoding.EncodeToString(r))
}

// rawFlowData is the stored data column of a flow: its SQLite type and bytes.
func rawFlowData(t *testing.T, s *Store, id uuid.UUID) (string, []byte) {
	t.Helper()
	return rawFlowColumn(t, s, id, "data")
}

// rawFlowColumn is a stored column of a flow: its type and bytes. On SQLite the type is the
// value's (typeof); PostgreSQL's columns are bytea, so there it is "blob" for a stored form
// (a leading NUL) and "text" for a document kept as its text.
func rawFlowColumn(t *testing.T, s *Store, id uuid.UUID, col string) (string, []byte) {
	t.Helper()
	var (
		typ  string
		data []byte
	)
	if s.d.name == "postgres" {
		if err := s.DB().QueryRow("SELECT "+col+" FROM flows WHERE id = $1", id).Scan(&data); err != nil {
			t.Fatal(err)
		}
		typ = "text"
		if len(data) > 0 && data[0] == 0 {
			typ = "blob"
		}
		return typ, data
	}
	if err := s.DB().QueryRow("SELECT typeof("+col+"), CAST("+col+" AS BLOB) FROM flows WHERE id = ?", id).Scan(&typ, &data); err != nil {
		t.Fatal(err)
	}
	return typ, data
}

// skipTextFlowDocs skips a test of the stored forms on MySQL, which keeps flow documents as
// text (storedForms).
func skipTextFlowDocs(t *testing.T, s *Store) {
	t.Helper()
	if !s.storedForms(make([]byte, flowDocMinCompress)) {
		t.Skip(s.d.name + " keeps flow documents as text")
	}
}

// insertTextFlow inserts a flow row as rows were written before the stored forms (or by
// another tool): data as text (on PostgreSQL, as the bytes migration 0024 turned text into).
func insertTextFlow(t *testing.T, s *Store, id uuid.UUID, data string, exp time.Time) {
	t.Helper()
	query := `INSERT INTO flows (id, kind, expires_at, data, created_at, updated_at) VALUES (?, 'settings', ?, ?, ?, ?)`
	if s.d.name == "postgres" {
		query = `INSERT INTO flows (id, kind, expires_at, data, created_at, updated_at) VALUES ($1, 'settings', $2, convert_to($3, 'UTF8'), $4, $5)`
	}
	if _, err := s.DB().Exec(query, id, s.d.time(exp), data, s.d.time(exp), s.d.time(exp)); err != nil {
		t.Fatal(err)
	}
}

// TestFlowDocsStoredForms: on SQLite and PostgreSQL a large flow document is stored as an S2
// block (a BLOB behind flowDocS2), small and incompressible ones as text, a sealed private
// column as its bytes (flowDocBase64), rows written as text before are read as they are, and
// every read gives the text written.
func TestFlowDocsStoredForms(t *testing.T) {
	eachBackend(t, testFlowDocsStoredForms)
}

func testFlowDocsStoredForms(t *testing.T, s *Store) {
	skipTextFlowDocs(t, s)
	ctx := t.Context()
	doc := settingsFlowMFA(t)
	random := make([]byte, 2000)
	_, _ = rand.Read(random)
	incompressible, _ := json.Marshal(map[string]string{"k": base64.StdEncoding.EncodeToString(random)})
	exp := time.Now().Add(time.Hour)

	for _, c := range []struct {
		name       string
		data       []byte
		compressed bool
	}{
		{"settings flow", doc, true},
		{"small", []byte(`{"ui":{"nodes":[]}}`), false},
		{"escapes", []byte(`{"a":"\\x00 \\\\ \" é \u0000"}`), false},
		{"just under the threshold", []byte(`{"p":"` + string(bytes.Repeat([]byte("a"), flowDocMinCompress-9)) + `"}`), false},
		{"incompressible", incompressible, false},
	} {
		f := &store.FlowRecord{Kind: "settings", ExpiresAt: exp, Data: c.data, Private: sealedPrivate(t)}
		if err := s.CreateFlow(ctx, f); err != nil {
			t.Fatal(err)
		}
		typ, raw := rawFlowData(t, s, f.ID)
		if c.compressed {
			if typ != "blob" || !bytes.HasPrefix(raw, []byte(flowDocS2)) || len(raw) > len(c.data)/2 {
				t.Errorf("%s: stored as %s of %d bytes (prefix %q), want a compressed blob", c.name, typ, len(raw), raw[:2])
			}
			t.Logf("%s: %d bytes stored in %d", c.name, len(c.data), len(raw))
		} else if typ != "text" || !bytes.Equal(raw, c.data) {
			t.Errorf("%s: stored as %s of %d bytes, want the text", c.name, typ, len(raw))
		}
		got, err := s.GetFlow(ctx, "settings", f.ID)
		if err != nil || !bytes.Equal(got.Data, c.data) {
			t.Fatalf("%s: read back %d bytes, %v", c.name, len(got.Data), err)
		}
		// The sealed private column is stored as the bytes its base64url text encodes.
		typ, raw = rawFlowColumn(t, s, f.ID, "private")
		if want, _ := base64.RawURLEncoding.DecodeString(string(f.Private)); typ != "blob" || string(raw) != flowDocBase64+string(want) {
			t.Errorf("%s: private stored as %s of %d bytes, want the %d bytes it encodes", c.name, typ, len(raw), len(want))
		}
		if !bytes.Equal(got.Private, f.Private) {
			t.Errorf("%s: private read back differs", c.name)
		}
	}

	// A private column that is not the one base64url encoding of its bytes is stored as text:
	// JSON (no secret to seal with), padded or line-broken base64, stray bits.
	sealed := string(sealedPrivate(t))
	for name, priv := range map[string]string{
		"json":        `{"p":"` + string(bytes.Repeat([]byte("x"), 2000)) + `"}`,
		"padded":      base64.URLEncoding.EncodeToString(random),
		"line breaks": sealed[:1000] + "\n" + sealed[1000:],
		"stray bits":  sealed[:len(sealed)-1] + "B", // 3190 bytes: the last character carries 4 bits
		"std":         base64.StdEncoding.EncodeToString(random) + "+/",
	} {
		f := &store.FlowRecord{Kind: "settings", ExpiresAt: exp, Data: []byte(`{}`), Private: []byte(priv)}
		if err := s.CreateFlow(ctx, f); err != nil {
			t.Fatal(err)
		}
		if typ, raw := rawFlowColumn(t, s, f.ID, "private"); typ != "text" || string(raw) != priv {
			t.Errorf("%s private: stored as %s", name, typ)
		}
		if got, err := s.GetFlow(ctx, "settings", f.ID); err != nil || string(got.Private) != priv {
			t.Errorf("%s private: read back %v", name, err)
		}
	}

	// Replaced documents are stored in their forms too.
	f := &store.FlowRecord{Kind: "settings", ExpiresAt: exp, Data: []byte(`{}`)}
	if err := s.CreateFlow(ctx, f); err != nil {
		t.Fatal(err)
	}
	f.Data, f.Private = doc, []byte(sealed)
	if err := s.UpdateFlow(ctx, f); err != nil {
		t.Fatal(err)
	}
	if typ, raw := rawFlowData(t, s, f.ID); typ != "blob" || !bytes.HasPrefix(raw, []byte(flowDocS2)) {
		t.Errorf("replaced: stored as %s", typ)
	}
	if typ, raw := rawFlowColumn(t, s, f.ID, "private"); typ != "blob" || !bytes.HasPrefix(raw, []byte(flowDocBase64)) {
		t.Errorf("replaced private: stored as %s", typ)
	}
	if got, err := s.GetFlow(ctx, "settings", f.ID); err != nil || !bytes.Equal(got.Data, doc) || string(got.Private) != sealed {
		t.Fatalf("replaced: %v", err)
	}

	// A row written as text before (or by another tool) is read as it is.
	old := uuid.New()
	insertTextFlow(t, s, old, string(doc), exp)
	if got, err := s.GetFlow(ctx, "settings", old); err != nil || !bytes.Equal(got.Data, doc) {
		t.Fatalf("a text row: %v", err)
	}

	// DecodeFlowDocument gives tools the text of every form.
	for _, id := range []uuid.UUID{f.ID, old} {
		_, raw := rawFlowData(t, s, id)
		if got, err := DecodeFlowDocument(raw); err != nil || !bytes.Equal(got, doc) {
			t.Errorf("DecodeFlowDocument: %v", err)
		}
	}
	if _, raw := rawFlowColumn(t, s, f.ID, "private"); true {
		if got, err := DecodeFlowDocument(raw); err != nil || string(got) != sealed {
			t.Errorf("DecodeFlowDocument of private: %v", err)
		}
	}

	// plainFlowDocs turns compression off.
	s.plainFlowDocs = true
	p := &store.FlowRecord{Kind: "settings", ExpiresAt: exp, Data: doc}
	if err := s.CreateFlow(ctx, p); err != nil {
		t.Fatal(err)
	}
	if typ, _ := rawFlowData(t, s, p.ID); typ != "text" {
		t.Errorf("plainFlowDocs: stored as %s", typ)
	}
}

// TestCorruptFlowDocIsAnError: a compressed document that does not decode, or claims to decode
// to more than flowDocMaxCompress, is an internal error naming it, never a panic or a huge
// allocation; a session read bringing such a flow along still reads the session and leaves the
// flow to GetFlow, which reports it.
func TestCorruptFlowDocIsAnError(t *testing.T) {
	eachBackend(t, testCorruptFlowDocIsAnError)
}

func testCorruptFlowDocIsAnError(t *testing.T, s *Store) {
	skipTextFlowDocs(t, s)
	ctx := t.Context()
	id := &identity.Identity{SchemaID: "default", Traits: json.RawMessage(`{"email":"c@example.com"}`)}
	if err := s.CreateIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
	tok := []byte("corrupt-token")
	if err := s.CreateSession(ctx, &session.Session{Active: true, IdentityID: id.ID, TokenHash: tok,
		AAL: session.AAL1, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	good := s2.Encode(nil, settingsFlowMFA(t))
	huge := []byte(flowDocS2 + "\xff\xff\xff\xff\x0f") // claims 4 GiB
	over := append([]byte(flowDocS2), s2.Encode(nil, make([]byte, flowDocMaxCompress+1))...)
	for name, raw := range map[string][]byte{
		"no block":         []byte(flowDocS2),
		"claims 4 GiB":     huge,
		"over the maximum": over,
		"truncated":        append([]byte(flowDocS2), good[:len(good)/2]...),
		"garbage":          append([]byte(flowDocS2+"\x80\x40"), bytes.Repeat([]byte{0xfe}, 64)...),
		"bad varint":       []byte(flowDocS2 + "\xff\xff\xff\xff\xff\xff"),
		"unknown form":     []byte("\x00\x09{}"),
	} {
		f := &store.FlowRecord{Kind: "settings", IdentityID: &id.ID, ExpiresAt: time.Now().Add(time.Hour), Data: []byte(`{}`)}
		if err := s.CreateFlow(ctx, f); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB().Exec(s.d.rebind("UPDATE flows SET data = ? WHERE id = ?"), raw, f.ID); err != nil {
			t.Fatal(err)
		}
		_, err := s.GetFlow(ctx, "settings", f.ID)
		if !errors.Is(err, apierr.ErrInternal) || apierr.From(err).Reason != errFlowDocCorrupt.Reason {
			t.Errorf("%s: GetFlow err %v, want the corrupt document error", name, err)
		}
		p := &store.FlowPrefetch{Kind: "settings", ID: f.ID}
		if _, err := s.GetSessionByToken(store.WithFlowPrefetch(ctx, p), tok); err != nil {
			t.Errorf("%s: session read: %v", name, err)
		}
		if p.Done {
			t.Errorf("%s: the corrupt flow was served with the session", name)
		}
	}

	// Any bytes behind the marker: an error or a document, never a panic or more than the bound.
	buf := make([]byte, 300)
	for i := 0; i < 3000; i++ {
		n := 1 + i%len(buf)
		_, _ = rand.Read(buf[:n])
		raw := append([]byte(flowDocS2), buf[:n]...)
		if out, err := DecodeFlowDocument(raw); err == nil && len(out) > flowDocMaxCompress {
			t.Fatalf("decoded %d bytes", len(out))
		}
	}
}

// TestFlowDocArgAllocs: storing a document in its form in a pooled buffer and giving it back
// costs one allocation (the slice's box in the argument), not a buffer.
func TestFlowDocArgAllocs(t *testing.T) {
	s := &Store{d: dialectSQLite}
	doc, priv := settingsFlowMFA(t), sealedPrivate(t)
	putFlowDoc(s.flowDocArg(doc), s.flowPrivateArg(priv)) // fill the pool
	for name, arg := range map[string]func() any{
		"data":    func() any { return s.flowDocArg(doc) },
		"private": func() any { return s.flowPrivateArg(priv) },
	} {
		n := testing.AllocsPerRun(200, func() {
			a := arg()
			if b, _ := a.([]byte); len(b) == 0 || b[0] != 0 {
				t.Fatalf("%s: not stored in its form", name)
			}
			putFlowDoc(a)
		})
		if n > 1 {
			t.Errorf("%s: %.1f allocations per argument, want at most 1", name, n)
		}
	}
}

// TestFlowDocWALFrames measures what compression saves a settings flow's insert on SQLite:
// WAL frames (pages written) per insert and trim of a flow the MFA bench writes (its data
// document and a sealed private column) at the identity's cap of 50 flows, compressed and
// plain. It fails when compression does not write fewer frames.
func TestFlowDocWALFrames(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	frames := func(plain bool) float64 {
		dir := t.TempDir()
		path := filepath.Join(dir, "wal.db")
		// No checkpoint: the WAL keeps every frame written.
		s := openMigrated(t, "sqlite://"+path+"?_fk=true&_pragma=wal_autocheckpoint(0)&wal_max_size=0")
		s.plainFlowDocs = plain
		ctx := t.Context()
		id := &identity.Identity{SchemaID: "default", Traits: json.RawMessage(`{"email":"w@example.com"}`)}
		if err := s.CreateIdentity(ctx, id); err != nil {
			t.Fatal(err)
		}
		doc, priv := settingsFlowMFA(t), sealedPrivate(t)
		step := func() {
			f := &store.FlowRecord{Kind: "settings", IdentityID: &id.ID, ExpiresAt: time.Now().Add(time.Hour), Data: doc, Private: priv}
			if err := s.CreateFlow(ctx, f); err != nil {
				t.Fatal(err)
			}
			if _, err := s.TrimFlows(ctx, "settings", id.ID, f.ID, 50, 50); err != nil {
				t.Fatal(err)
			}
		}
		for range 100 { // at the cap, trimming
			step()
		}
		size := func() int64 {
			fi, err := os.Stat(path + "-wal")
			if err != nil {
				t.Fatal(err)
			}
			return fi.Size()
		}
		before := size()
		const n = 300
		for range n {
			step()
		}
		return float64(size()-before) / (4096 + 24) / n
	}
	plain, compressed := frames(true), frames(false)
	t.Logf("WAL frames per settings flow insert and trim: plain %.2f, compressed %.2f", plain, compressed)
	if compressed >= plain {
		t.Errorf("compressed flows write %.2f frames an insert, plain ones %.2f", compressed, plain)
	}
}

// TestFlowDocumentsByteaMigration: PostgreSQL flows written as text before migration 0024
// (JSON with backslashes and non-ASCII, a sealed private column, no private) read back
// byte for byte after it, and new flows are then stored in their forms.
func TestFlowDocumentsByteaMigration(t *testing.T) {
	s, err := Open(t.Context(), freshPostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := t.Context()
	all, err := migrations.For("postgres")
	if err != nil {
		t.Fatal(err)
	}
	x := q{d: s.d, db: s.wdb}
	before := 0
	for before < len(all) && all[before].Name < "0024" {
		before++
	}
	if _, err := s.pendingOn(ctx, x, all); err != nil { // creates schema_migrations
		t.Fatal(err)
	}
	for _, m := range all[:before] {
		if err := s.applyMigration(ctx, x, m); err != nil {
			t.Fatal(err)
		}
	}

	exp := time.Now().Add(time.Hour).UTC()
	docs := map[uuid.UUID][2]string{
		uuid.New(): {string(settingsFlowMFA(t)), string(sealedPrivate(t))},
		uuid.New(): {`{"a":"\\x00 \\\\ \" é \u0000 ✓"}`, ""},
		uuid.New(): {`{}`, `{"json":"private \\ text"}`},
	}
	for id, d := range docs {
		var priv any
		if d[1] != "" {
			priv = d[1]
		}
		if _, err := s.DB().Exec(`INSERT INTO flows (id, kind, expires_at, data, private, created_at, updated_at)
			VALUES ($1, 'settings', $2, $3, $4, $2, $2)`, id, exp, d[0], priv); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MigrateUp(ctx, nil); err != nil {
		t.Fatal(err)
	}
	for id, d := range docs {
		got, err := s.GetFlow(ctx, "settings", id)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Data) != d[0] || string(got.Private) != d[1] {
			t.Errorf("flow %s read back differs after the migration", id)
		}
	}
	f := &store.FlowRecord{Kind: "settings", ExpiresAt: exp, Data: settingsFlowMFA(t), Private: sealedPrivate(t)}
	if err := s.CreateFlow(ctx, f); err != nil {
		t.Fatal(err)
	}
	if typ, _ := rawFlowData(t, s, f.ID); typ != "blob" {
		t.Errorf("a new flow is stored as %s", typ)
	}
}
