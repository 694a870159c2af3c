package kratosimport_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/portico-auth/portico/internal/kratosimport"
)

// alter runs statements on the unpacked Kratos SQLite fixture behind dsn.
func alter(t *testing.T, dsn string, stmts ...string) {
	t.Helper()
	path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "sqlite://"), "?")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// A newer Kratos's extra column is refused by name, unless allowed: then the rest imports and
// the report says what was not read.
func TestUnknownColumnsAreNamed(t *testing.T) {
	from := sqliteSource(t)
	alter(t, from, "ALTER TABLE identities ADD COLUMN favourite_colour TEXT",
		"ALTER TABLE sessions ADD COLUMN device_bound_key TEXT",
		"INSERT INTO schema_migration (version, version_self) VALUES ('20990101000000000000', 0)")
	_, err := kratosimport.Open(context.Background(), from, kratosimport.OpenOptions{})
	var unknown *kratosimport.UnknownColumnsError
	if !errors.As(err, &unknown) {
		t.Fatalf("open: %v, want UnknownColumnsError", err)
	}
	for _, want := range []string{"identities (favourite_colour)", "sessions (device_bound_key)", "newer Kratos", "20990101000000000000", "--allow-unknown-columns"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	s := portico(t, "")
	src, err := kratosimport.Open(context.Background(), from, kratosimport.OpenOptions{AllowUnknownColumns: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rep, err := kratosimport.Run(context.Background(), src, kratosimport.Options{Target: s.App.Store, Schemas: s.App.Schemas, Now: s.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rep.WriteSummary(&out)
	if rep.Identities.Imported != 15 || !strings.Contains(out.String(), "favourite_colour") || !strings.Contains(out.String(), "20990101000000000000") {
		t.Errorf("imported %d; summary:\n%s", rep.Identities.Imported, out.String())
	}
}

// A Kratos too old for a column the importer needs is told to migrate, and a database that is
// not Kratos's says so.
func TestOldOrForeignDatabase(t *testing.T) {
	from := sqliteSource(t)
	alter(t, from, "DROP INDEX IF EXISTS identities_nid_external_id_idx", "ALTER TABLE identities DROP COLUMN external_id")
	_, err := kratosimport.Open(context.Background(), from, kratosimport.OpenOptions{})
	if err == nil || !strings.Contains(err.Error(), "lacks external_id") || !strings.Contains(err.Error(), "kratos migrate sql") {
		t.Errorf("old kratos: %v", err)
	}
	other := sqliteSource(t)
	alter(t, other, "DROP TABLE schema_migration")
	if _, err := kratosimport.Open(context.Background(), other, kratosimport.OpenOptions{}); err == nil || !strings.Contains(err.Error(), "does not look like a Kratos database") {
		t.Errorf("not kratos: %v", err)
	}
	for _, dsn := range []string{"memory", "sqlite://:memory:", "oracle://x"} {
		if _, err := kratosimport.Open(context.Background(), dsn, kratosimport.OpenOptions{}); err == nil {
			t.Errorf("%s: opened", dsn)
		}
	}
}

// An identity whose identifier another Portico identity holds is reported and left out, with
// its sessions; the others import; a progress line comes per batch.
func TestConflictsAndProgress(t *testing.T) {
	from := sqliteSource(t)
	s := portico(t, "")
	s.CreateIdentity(t, "alice@example.com", "another-password-1234")
	var progress bytes.Buffer
	rep := run(t, s, from, func(o *kratosimport.Options) { o.BatchSize = 4; o.Progress = &progress })
	if rep.Identities.Imported != 14 || rep.Identities.NotImportable != 1 || rep.Sessions.LeftBehind != 2 || rep.Sessions.Imported != 6 {
		t.Fatalf("identities %+v sessions %+v", rep.Identities, rep.Sessions)
	}
	if len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0].Reason, "conflicts with an identity already in Portico") {
		t.Errorf("problems: %+v", rep.Problems)
	}
	if n := strings.Count(progress.String(), "kratos import: "); n != 4 {
		t.Errorf("%d progress lines for 15 identities in batches of 4, want 4:\n%s", n, progress.String())
	}
	// The alice of Portico keeps her password; Kratos's alice's token does not sign anyone in.
	if who := whoami(t, s, "ory_st_ZM4gXhazSHysSBNbZYv4dp4imfaOtGhE"); who.StatusCode != 401 {
		t.Errorf("the token of an identity not imported: whoami %d", who.StatusCode)
	}
}

// Identities of a schema Portico lacks are named with the reason and where Kratos has it.
func TestMissingSchema(t *testing.T) {
	from := sqliteSource(t)
	alter(t, from, "UPDATE identities SET schema_id = 'partner' WHERE schema_id = 'customer'")
	s := portico(t, "")
	rep := run(t, s, from, func(o *kratosimport.Options) {
		o.KratosSchemas = map[string]string{"partner": "file:///srv/kratos/partner.schema.json"}
	})
	if rep.Identities.Imported != 13 || rep.Identities.NotImportable != 2 {
		t.Fatalf("%+v", rep.Identities)
	}
	var out bytes.Buffer
	rep.WriteSummary(&out)
	if !strings.Contains(out.String(), `its identity schema "partner" is not configured in Portico`) || !strings.Contains(out.String(), "partner.schema.json") {
		t.Errorf("summary:\n%s", out.String())
	}
}

// Kratos's code credential (the addresses sign-in codes go to) is imported: the admin API
// shows it and finds the identity by its identifier.
func TestImportCodeCredential(t *testing.T) {
	from := sqliteSource(t)
	const bob = "2e097f00-dfd6-481c-8d41-c54164f08e77"
	alter(t, from,
		`INSERT INTO identity_credentials (id, config, identity_credential_type_id, identity_id, created_at, updated_at, nid, version)
		 SELECT '0c0de000-0000-4000-8000-000000000001', '{"addresses":[{"channel":"email","address":"Bob@Example.com"}]}',
		 t.id, i.id, i.created_at, i.updated_at, i.nid, 0 FROM identities i, identity_credential_types t WHERE i.id = '`+bob+`' AND t.name = 'code'`,
		`INSERT INTO identity_credential_identifiers (id, identifier, identity_credential_id, created_at, updated_at, nid, identity_credential_type_id, identity_id)
		 SELECT '0c0de000-0000-4000-8000-000000000002', 'bob@example.com', c.id, c.created_at, c.updated_at, c.nid, c.identity_credential_type_id, c.identity_id
		 FROM identity_credentials c WHERE c.id = '0c0de000-0000-4000-8000-000000000001'`)
	s := portico(t, "")
	rep := run(t, s, from, nil)
	for _, p := range rep.Dropped {
		if p.What == "code" {
			t.Errorf("dropped: %+v", p)
		}
	}
	c := s.Native(t)
	res := c.Get(s.AdminURL("/admin/identities/" + bob + "?include_credential=code"))
	if res.StatusCode != 200 || !strings.Contains(string(res.Body), `"code":{"type":"code","identifiers":["bob@example.com"],"config":{"addresses":[{"channel":"email","address":"bob@example.com"}]}`) {
		t.Fatalf("imported identity: %d %s", res.StatusCode, res.Body)
	}
	list := c.Get(s.AdminURL("/admin/identities?credentials_identifier=bob@example.com"))
	if list.StatusCode != 200 || !strings.Contains(string(list.Body), bob) {
		t.Fatalf("credentials_identifier: %d %s", list.StatusCode, list.Body)
	}
}
