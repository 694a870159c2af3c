package kratosimport

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/portico-auth/portico/internal/identity"
)

// Report is what a run did (or, in a dry run, would do) and what it could not do.
type Report struct {
	DryRun    bool   `json:"dry_run"`
	Migration string `json:"kratos_migration"`
	NID       string `json:"kratos_network"`

	Identities struct {
		Read          int `json:"read"`
		Imported      int `json:"imported"`
		Present       int `json:"already_present"`
		ChangedSince  int `json:"changed_in_kratos_since_imported"`
		NotImportable int `json:"not_importable"`
	} `json:"identities"`
	// Credentials counts the imported credentials by type.
	Credentials map[identity.CredentialsType]int `json:"credentials"`
	// EmptyWebAuthn counts WebAuthn/passkey rows without a key (nothing to import).
	EmptyWebAuthn int `json:"webauthn_rows_without_key"`
	Sessions      struct {
		Read       int `json:"read"`
		Imported   int `json:"imported"`
		Present    int `json:"already_present"`
		Inactive   int `json:"revoked_or_expired"`
		LeftBehind int `json:"of_identities_not_imported"`
	} `json:"sessions"`

	// Problems are identities that were not imported.
	Problems []Problem `json:"not_imported"`
	// Dropped are credentials and sessions left behind by identities that were imported.
	Dropped []Problem `json:"left_behind"`
	// Warnings are things imported as they are that deserve a look.
	Warnings []Problem `json:"warnings"`
	// Notes are general remarks about the run.
	Notes []string `json:"notes"`

	Elapsed time.Duration `json:"-"`
}

func newReport(src *Source, opts Options) *Report {
	r := &Report{DryRun: opts.DryRun, Migration: src.Migration, NID: src.NID, Credentials: map[identity.CredentialsType]int{}}
	if src.Migration > newestKnownMigration {
		r.Notes = append(r.Notes, fmt.Sprintf("the Kratos database is at migration %s, newer than the newest this importer was written against (%s); its columns are the known ones, so it was read as usual", src.Migration, newestKnownMigration))
	}
	if src.Unknown != nil {
		r.Notes = append(r.Notes, "not read (--allow-unknown-columns): "+src.Unknown.Error())
	}
	if opts.Sessions {
		r.Notes = append(r.Notes, "imported sessions keep their tokens (X-Session-Token, Authorization: Bearer); "+cookieNote(opts)+"; Kratos's logout URLs do not carry over")
	}
	for _, id := range sortedKeys(opts.KratosSchemaDocs) {
		doc := opts.KratosSchemaDocs[id]
		s, err := opts.Schemas.Get(id)
		if err != nil {
			continue
		}
		a, errA := compactJSON(doc)
		b, errB := compactJSON(s.Raw)
		if errA == nil && errB == nil && string(a) != string(b) {
			r.Notes = append(r.Notes, fmt.Sprintf("identity schema %q differs between Kratos (%s) and Portico (%s): traits are checked against Portico's", id, opts.KratosSchemas[id], s.URL))
		}
	}
	return r
}

func (r *Report) count(id *identity.Identity) {
	r.Identities.Imported++
	for t := range id.Credentials {
		r.Credentials[t]++
	}
}

func (r *Report) verb() string {
	if r.DryRun {
		return "would import"
	}
	return "imported"
}

func (r *Report) progressLine(elapsed time.Duration) string {
	return fmt.Sprintf("kratos import: %d identities read: %d %s, %d already present, %d not importable; %d sessions %s (%s)",
		r.Identities.Read, r.Identities.Imported, r.verb(), r.Identities.Present, r.Identities.NotImportable,
		r.Sessions.Imported, r.verb(), elapsed.Round(time.Millisecond))
}

// maxListed bounds how many problems of one kind the summary lists one by one.
const maxListed = 20

// WriteSummary writes the report for a person to read.
func (r *Report) WriteSummary(w io.Writer) {
	head := "Kratos import"
	if r.DryRun {
		head = "Kratos import (dry run: nothing was written)"
	}
	fmt.Fprintf(w, "%s from network %s at migration %s\n", head, r.NID, r.Migration)
	fmt.Fprintf(w, "identities: %d read, %d %s, %d already present, %d not importable\n",
		r.Identities.Read, r.Identities.Imported, r.verb(), r.Identities.Present, r.Identities.NotImportable)
	if r.Identities.ChangedSince > 0 {
		fmt.Fprintf(w, "  %d identities already present changed in Kratos after they were imported: they were left as Portico has them\n", r.Identities.ChangedSince)
	}
	var creds []string
	for _, t := range sortedKeys(stringKeys(r.Credentials)) {
		creds = append(creds, fmt.Sprintf("%s %d", t, r.Credentials[identity.CredentialsType(t)]))
	}
	if len(creds) > 0 {
		fmt.Fprintf(w, "credentials %s: %s\n", r.verb(), strings.Join(creds, ", "))
	}
	if r.EmptyWebAuthn > 0 {
		fmt.Fprintf(w, "  %d webauthn rows without a key skipped (Kratos writes one per identity whose schema names a WebAuthn identifier; they hold nothing)\n", r.EmptyWebAuthn)
	}
	if r.Sessions.Read > 0 || r.Sessions.Imported > 0 {
		fmt.Fprintf(w, "sessions: %d read, %d %s, %d already present, %d revoked or expired (not imported), %d of identities not imported\n",
			r.Sessions.Read, r.Sessions.Imported, r.verb(), r.Sessions.Present, r.Sessions.Inactive, r.Sessions.LeftBehind)
	}
	list(w, "not imported", r.Problems)
	list(w, "left behind", r.Dropped)
	list(w, "warnings", r.Warnings)
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	if r.Elapsed > 0 {
		fmt.Fprintf(w, "took %s\n", r.Elapsed.Round(time.Millisecond))
	}
}

func list(w io.Writer, title string, ps []Problem) {
	if len(ps) == 0 {
		return
	}
	fmt.Fprintf(w, "%s (%d):\n", title, len(ps))
	// Grouped by reason so that a thousand of the same problem read as one line.
	byReason := map[string][]Problem{}
	for _, p := range ps {
		key := p.What + ": " + p.Reason
		if strings.HasPrefix(p.What, "session ") {
			key = "session: " + p.Reason
		}
		byReason[key] = append(byReason[key], p)
	}
	keys := sortedKeys(byReason)
	sort.SliceStable(keys, func(i, j int) bool { return len(byReason[keys[i]]) > len(byReason[keys[j]]) })
	for _, k := range keys {
		group := byReason[k]
		var ids []string
		for i, p := range group {
			if i == maxListed {
				ids = append(ids, fmt.Sprintf("and %d more", len(group)-maxListed))
				break
			}
			ids = append(ids, p.IdentityID)
		}
		fmt.Fprintf(w, "  %s (%d: %s)\n", k, len(group), strings.Join(ids, ", "))
	}
}

func stringKeys[V any](m map[identity.CredentialsType]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

// cookieNote says whether browsers holding Kratos's session cookie stay signed in: Portico
// accepts the cookies signed with a secret of its secrets.kratos_cookie. Secrets are never shown.
func cookieNote(opts Options) string {
	if len(opts.BrowserCookieSecrets) == 0 {
		return "Kratos's browser session cookies are refused, so browsers sign in again, unless Portico's secrets.kratos_cookie lists Kratos's secrets.cookie"
	}
	have := map[string]bool{}
	for _, s := range opts.BrowserCookieSecrets {
		have[s] = true
	}
	missing := 0
	for _, s := range opts.KratosCookieSecrets {
		if !have[s] {
			missing++
		}
	}
	if missing > 0 {
		return fmt.Sprintf("secrets.kratos_cookie lacks %d of the %d secrets.cookie of the Kratos configuration given: browser cookies Kratos signed with those are refused (browsers sign in again)", missing, len(opts.KratosCookieSecrets))
	}
	return "browsers keep their sessions too: Kratos's session cookies signed with a secret of secrets.kratos_cookie are accepted and replaced with Portico's cookie at their first request"
}
