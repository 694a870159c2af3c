package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func identitiesImportCmd(client func() (*adminClient, error)) *cobra.Command {
	return &cobra.Command{
		Use:   "import [FILE...]",
		Short: "Create identities from JSON or JSON-lines files (or stdin)",
		Long: "Each file (\"-\" or none: stdin) holds identities as Kratos's createIdentityBody: one JSON\n" +
			"object, an array of them, or one object a line (JSONL). Lines written by `portico\n" +
			"identities export` are read too: their password hashes, TOTP keys, recovery codes (used ones\n" +
			"stay used) and WebAuthn keys and passkeys are imported as they are (a Portico target is\n" +
			"needed for all but the hashes), oidc links without their upstream tokens. Identities\n" +
			"are sent 1,000 to a request (PATCH /admin/identities); a progress line follows each.",
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := client()
			if err != nil {
				return err
			}
			if len(args) == 0 {
				args = []string{"-"}
			}
			imp := &identityImport{c: c, out: cmd.OutOrStdout(), log: cmd.ErrOrStderr(), start: time.Now(), skipped: map[string]int{}}
			for _, name := range args {
				var r io.Reader = cmd.InOrStdin()
				if name != "-" {
					f, err := os.Open(name)
					if err != nil {
						return err
					}
					defer f.Close()
					r = f
				}
				if err := imp.read(name, r); err != nil {
					return err
				}
			}
			if err := imp.flush(); err != nil {
				return err
			}
			return imp.finish()
		},
	}
}

// identityImport sends identities in batches and counts what happened.
type identityImport struct {
	c        *adminClient
	out, log io.Writer
	start    time.Time

	pending []pendingIdentity
	plain   int // pending identities with a plain-text password
	count   int
	created int
	failed  int
	skipped map[string]int // credential type → identities imported without it
}

type pendingIdentity struct {
	where string // file:item, for messages
	body  json.RawMessage
}

// read decodes every JSON value of r: an object is one identity, an array holds several.
func (im *identityImport) read(name string, r io.Reader) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	n := 0
	for {
		var v json.RawMessage
		err := dec.Decode(&v)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: after %d identities: %w", name, n, err)
		}
		var items []json.RawMessage
		if t := bytes.TrimSpace(v); len(t) > 0 && t[0] == '[' {
			if err := json.Unmarshal(t, &items); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		} else {
			items = []json.RawMessage{v}
		}
		for _, it := range items {
			n++
			if err := im.add(fmt.Sprintf("%s:%d", name, n), it); err != nil {
				return err
			}
		}
	}
}

func (im *identityImport) add(where string, raw json.RawMessage) error {
	body, plain, dropped, err := createBodyOf(raw)
	im.count++
	if err != nil {
		im.failed++
		fmt.Fprintf(im.log, "%s: %v\n", where, err)
		return nil
	}
	for _, t := range dropped {
		im.skipped[t]++
	}
	limit := importBatch
	if plain || im.plain > 0 {
		limit = importBatchPlain
	}
	if len(im.pending) >= limit {
		if err := im.flush(); err != nil {
			return err
		}
	}
	im.pending = append(im.pending, pendingIdentity{where, body})
	if plain {
		im.plain++
	}
	return nil
}

// flush sends the pending identities in one request and reports each that failed.
func (im *identityImport) flush() error {
	if len(im.pending) == 0 {
		return nil
	}
	items := make([]map[string]json.RawMessage, len(im.pending))
	for i, p := range im.pending {
		items[i] = map[string]json.RawMessage{"create": p.body}
	}
	payload, err := json.Marshal(map[string]any{"identities": items})
	if err != nil {
		return err
	}
	body, _, status, err := im.c.do(http.MethodPatch, "/admin/identities", payload, http.StatusOK, http.StatusBadRequest, http.StatusConflict)
	if err != nil {
		return err
	}
	var reply struct {
		Identities []struct {
			Action   string `json:"action"`
			Identity string `json:"identity"`
			Error    *struct {
				Reason  string `json:"reason"`
				Message string `json:"message"`
			} `json:"error"`
		} `json:"identities"`
		Error *struct {
			Reason  string `json:"reason"`
			Details struct {
				Identities json.RawMessage `json:"identities"`
			} `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &reply); err != nil {
		return fmt.Errorf("import: unreadable reply (%d): %w", status, err)
	}
	if status != http.StatusOK {
		// Not one created: the results are in the error's details.
		if reply.Error == nil || len(reply.Error.Details.Identities) == 0 {
			return fmt.Errorf("import: %d %s", status, apiReason(body))
		}
		if err := json.Unmarshal(reply.Error.Details.Identities, &reply.Identities); err != nil {
			return fmt.Errorf("import: %d %s", status, apiReason(body))
		}
	}
	if len(reply.Identities) != len(im.pending) {
		return fmt.Errorf("import: %d results for %d identities", len(reply.Identities), len(im.pending))
	}
	for i, r := range reply.Identities {
		if r.Action == "create" {
			im.created++
			fmt.Fprintln(im.out, r.Identity)
			continue
		}
		im.failed++
		why := "failed"
		if r.Error != nil {
			why = r.Error.Reason
			if why == "" {
				why = r.Error.Message
			}
		}
		fmt.Fprintf(im.log, "%s: %s\n", im.pending[i].where, why)
	}
	im.pending, im.plain = im.pending[:0], 0
	fmt.Fprintf(im.log, "imported %d identities, %d failed (%s)\n", im.created, im.failed, time.Since(im.start).Round(time.Millisecond))
	return nil
}

func (im *identityImport) finish() error {
	types := make([]string, 0, len(im.skipped))
	for t := range im.skipped {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		fmt.Fprintf(im.log, "note: %d identities imported without their %s credentials (the admin API cannot create them)\n", im.skipped[t], t)
	}
	fmt.Fprintf(im.log, "done: %d read, %d imported, %d failed in %s\n", im.count, im.created, im.failed, time.Since(im.start).Round(time.Millisecond))
	if im.failed > 0 {
		return fmt.Errorf("%w (%d of %d)", errSomeFailed, im.failed, im.count)
	}
	return nil
}

// secondFactorTypes are the credential types whose exported configs Portico's admin API
// creates again as they are (a Portico extension of createIdentityBody).
var secondFactorTypes = map[string]bool{"totp": true, "lookup_secret": true, "webauthn": true, "passkey": true}

// exportOnly are the fields of an exported identity that createIdentityBody does not have.
var exportOnly = []string{"id", "schema_url", "created_at", "updated_at", "state_changed_at", "available_aal"}

// createBodyOf turns one item into a createIdentityBody: as it is, or, for an identity as the
// admin API shows it (an export line), without the fields only the server sets, with its
// password hash as credentials.password.config.hashed_password, its oidc links as
// credentials.oidc.config.providers (provider and subject) and its second factors' configs as
// they were exported. It reports whether the body carries a plain-text password and which
// credential types were left out.
func createBodyOf(raw json.RawMessage) (json.RawMessage, bool, []string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, false, nil, fmt.Errorf("not a JSON object")
	}
	var dropped []string
	if _, exported := m["id"]; exported {
		for _, k := range exportOnly {
			delete(m, k)
		}
		if org := bytes.TrimSpace(m["organization_id"]); len(org) == 0 || string(org) == "null" {
			delete(m, "organization_id")
		}
		if creds, ok := m["credentials"]; ok {
			var shown map[string]struct {
				Config json.RawMessage `json:"config"`
			}
			if err := json.Unmarshal(creds, &shown); err != nil {
				return nil, false, nil, fmt.Errorf("credentials: %v", err)
			}
			delete(m, "credentials")
			out := map[string]any{}
			for t, c := range shown {
				switch {
				case secondFactorTypes[t]:
					if len(bytes.TrimSpace(c.Config)) == 0 || string(bytes.TrimSpace(c.Config)) == "null" {
						dropped = append(dropped, t+" (no config in the export)")
						continue
					}
					out[t] = map[string]json.RawMessage{"config": c.Config}
				case t == "password":
					var pc struct {
						HashedPassword string `json:"hashed_password"`
					}
					if json.Unmarshal(c.Config, &pc) == nil && pc.HashedPassword != "" {
						out[t] = map[string]any{"config": map[string]string{"hashed_password": pc.HashedPassword}}
					} else {
						dropped = append(dropped, "password (no hash in the export)")
					}
				case t == "oidc":
					// The links, without the upstream tokens (sealed to the exporting identity).
					var oc struct {
						Providers []struct {
							Provider string `json:"provider"`
							Subject  string `json:"subject"`
						} `json:"providers"`
					}
					if json.Unmarshal(c.Config, &oc) != nil || len(oc.Providers) == 0 {
						dropped = append(dropped, "oidc (no providers in the export)")
						continue
					}
					out[t] = map[string]any{"config": oc}
				default:
					dropped = append(dropped, t)
				}
			}
			if len(out) > 0 {
				m["credentials"], _ = json.Marshal(out)
			}
		}
	}
	plain := strings.Contains(string(m["credentials"]), `"password"`) && hasPlain(m["credentials"])
	out, err := json.Marshal(m)
	return out, plain, dropped, err
}

func hasPlain(creds json.RawMessage) bool {
	var c struct {
		Password struct {
			Config struct {
				Password string `json:"password"`
			} `json:"config"`
		} `json:"password"`
	}
	return json.Unmarshal(creds, &c) == nil && c.Password.Config.Password != ""
}
