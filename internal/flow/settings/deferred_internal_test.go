package settings

import (
	"bytes"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/text"
)

// TestDeferredSecretNodesComeBackAsStored: a submission's flow read with its kept secret nodes
// deferred (decodeSubmitted) is stored and shown exactly as the eagerly decoded flow is, the
// nodes at their places, their messages cleared when the flow's were reset, with or without a
// change to the other nodes in between; a tampered private column is refused by both reads.
func TestDeferredSecretNodesComeBackAsStored(t *testing.T) {
	public, _ := url.Parse("http://localhost/")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	owner := uuid.New()
	for _, sl := range []*sealer{newSealer([]string{"a-test-cookie-secret-of-32-chars"}), newSealer(nil)} {
		st := &stored{Flow: Flow{Base: flow.Base{ID: uuid.New(), Type: flow.TypeAPI, ExpiresAt: now.Add(time.Hour), IssuedAt: now,
			RequestURL: public.String(), UI: flow.Container{Action: "http://localhost/self-service/settings?flow=x", Method: "POST"}},
			State: StateShowForm}, owner: &owner}
		st.UI.Nodes.Append(flow.NewCSRFNode("token"))
		st.UI.Nodes.Append(flow.NewInput(flow.GroupProfile, flow.InputAttributes{Name: "traits.email", Type: flow.InputEmail, Value: "a@example.com"}, nil))
		qr := flow.NewImageNode(flow.GroupTOTP, "totp_qr", "data:image/png;base64,AAAA", 256, 256, nil)
		qr.Messages = []text.Message{{ID: 7, Text: "on the secret node", Type: "info"}}
		st.AppendSecret(qr, flow.NewTextNode(flow.GroupTOTP, "totp_secret_key", text.Message{ID: 1, Text: "JBSWY3DPEHPK3PXP", Type: "info"}, nil))
		st.UI.Nodes.Append(flow.NewInput(flow.GroupTOTP, flow.InputAttributes{Name: "totp_code", Type: flow.InputText}, nil))
		st.UI.Nodes.Append(flow.NewInput(flow.GroupLookup, flow.InputAttributes{Name: "lookup_secret_regenerate", Type: flow.InputSubmit}, nil))
		st.AppendSecret(flow.NewTextNode(flow.GroupLookup, "lookup_secret_codes", text.Message{ID: 2, Text: "codes", Type: "info"}, nil))
		st.UI.AddMessage(text.Message{ID: 3, Text: "flow", Type: "info"})
		st.SetInternalJSON("totp", []byte(`{"secret":"JBSWY3DPEHPK3PXP"}`))
		e, err := encode(st, sl)
		if err != nil {
			t.Fatal(err)
		}

		for _, tc := range []struct {
			name   string
			change func(*stored)
		}{
			{"as read", func(*stored) {}},
			{"reset", func(s *stored) { s.resetMessages() }},
			{"reset and a message", func(s *stored) {
				s.resetMessages()
				s.UI.Nodes.AddMessage("traits.email", text.Message{ID: 4, Text: "refused", Type: "error"})
				s.UI.Nodes.FindIn(flow.GroupProfile, "traits.email").Input().Value = "b@example.com"
			}},
		} {
			eager, err := decode(e.rec, sl)
			if err != nil {
				t.Fatal(err)
			}
			lazy, err := decodeSubmitted(e.rec, sl)
			if err != nil {
				t.Fatal(err)
			}
			if len(lazy.deferred) != 3 || len(lazy.UI.Nodes) != len(eager.UI.Nodes)-3 {
				t.Fatalf("%s: %d nodes deferred, %d decoded (eager %d)", tc.name, len(lazy.deferred), len(lazy.UI.Nodes), len(eager.UI.Nodes))
			}
			// What the profile method reads is there without the deferred nodes.
			if lazy.UI.Nodes.FindIn(flow.GroupDefault, "csrf_token") == nil || lazy.UI.Nodes.FindIn(flow.GroupProfile, "traits.email") == nil {
				t.Fatalf("%s: a public node is missing: %v", tc.name, lazy.UI.Nodes)
			}
			tc.change(eager)
			tc.change(lazy)
			want, err := encode(eager, sl)
			if err != nil {
				t.Fatal(err)
			}
			got, err := encode(lazy, sl)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.body, want.body) || !bytes.Equal(got.rec.Data, want.rec.Data) {
				t.Errorf("%s: deferred read encodes\n%s\nwant\n%s", tc.name, got.body, want.body)
			}
			if tc.name == "as read" && !bytes.Equal(got.body, e.body) {
				t.Errorf("as read: encodes\n%s\nstored as\n%s", got.body, e.body)
			}
			if len(lazy.deferred) != 0 {
				t.Errorf("%s: %d nodes still deferred after encode", tc.name, len(lazy.deferred))
			}
		}
		if sl.canSeal() {
			// One bit of the sealed column changed: neither read opens it.
			bad := *e.rec
			bad.Private = bytes.Clone(e.rec.Private)
			bad.Private[len(bad.Private)/2] ^= 1
			if bad.Private[len(bad.Private)/2] == '{' {
				bad.Private[len(bad.Private)/2] ^= 3
			}
			if _, err := decodeSubmitted(&bad, sl); err == nil {
				t.Error("a tampered private column was read")
			}
			if _, err := decode(&bad, sl); err == nil {
				t.Error("a tampered private column was read eagerly")
			}
		}
	}
}
