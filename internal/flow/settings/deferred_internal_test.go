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
			lazy, err := decodeSubmitted(e.rec, sl, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(lazy.deferred) != 3 || len(lazy.UI.Nodes) != len(eager.UI.Nodes)-3 || len(lazy.lazy) != 0 {
				t.Fatalf("%s: %d nodes deferred, %d decoded (eager %d)", tc.name, len(lazy.deferred), len(lazy.UI.Nodes), len(eager.UI.Nodes))
			}
			// What the profile method reads is there without the deferred nodes.
			if lazy.UI.Nodes.FindIn(flow.GroupDefault, "csrf_token") == nil || lazy.UI.Nodes.FindIn(flow.GroupProfile, "traits.email") == nil {
				t.Fatalf("%s: a public node is missing: %v", tc.name, lazy.UI.Nodes)
			}
			tc.change(eager)
			tc.change(lazy)
			encodesAlike(t, tc.name, "deferred", eager, lazy, sl, e.body)
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
			if _, err := decodeSubmitted(&bad, sl, nil); err == nil {
				t.Error("a tampered private column was read")
			}
			if _, err := decode(&bad, sl); err == nil {
				t.Error("a tampered private column was read eagerly")
			}
		}
	}
}

// TestLazyPublicNodesComeBackAsStored: a submission's flow read with only the default group's
// public nodes decoded, then the profile group's (Flow.OwnNodes, as the profile method calls it),
// the others left encoded (see lazynodes.go), is stored and shown exactly as the eagerly
// decoded flow is, with the secret nodes deferred too, the nodes at their places and their
// messages cleared when the flow's were reset; a damaged node in the part left encoded is
// refused as the eager read refuses it.
func TestLazyPublicNodesComeBackAsStored(t *testing.T) {
	public, _ := url.Parse("http://localhost/")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	owner := uuid.New()
	for _, sl := range []*sealer{newSealer([]string{"a-test-cookie-secret-of-32-chars"}), newSealer(nil)} {
		st := &stored{Flow: Flow{Base: flow.Base{ID: uuid.New(), Type: flow.TypeAPI, ExpiresAt: now.Add(time.Hour), IssuedAt: now,
			RequestURL: public.String(), UI: flow.Container{Action: "http://localhost/self-service/settings?flow=x", Method: "POST"}},
			State: StateShowForm}, owner: &owner}
		withMsg := func(n flow.Node, id int) flow.Node {
			n.Messages = []text.Message{{ID: id, Text: "on a node", Type: "info"}}
			return n
		}
		// Lazy nodes first, between and last; a secret node between lazy ones.
		st.UI.Nodes.Append(withMsg(flow.NewInput(flow.GroupPassword, flow.InputAttributes{Name: "password", Type: flow.InputPassword}, nil), 9))
		st.UI.Nodes.Append(flow.NewCSRFNode("token"))
		st.UI.Nodes.Append(withMsg(flow.NewInput(flow.GroupProfile, flow.InputAttributes{Name: "traits.email", Type: flow.InputEmail, Value: "a@example.com"}, nil), 7))
		st.UI.Nodes.Append(withMsg(flow.NewInput(flow.GroupTOTP, flow.InputAttributes{Name: "totp_code", Type: flow.InputText}, nil), 8))
		st.AppendSecret(flow.NewTextNode(flow.GroupTOTP, "totp_secret_key", text.Message{ID: 1, Text: "JBSWY3DPEHPK3PXP", Type: "info"}, nil))
		st.UI.Nodes.Append(flow.NewInput(flow.GroupLookup, flow.InputAttributes{Name: "lookup_secret_regenerate", Type: flow.InputSubmit}, nil))
		st.UI.Nodes.Append(flow.NewInput(flow.GroupProfile, flow.InputAttributes{Name: "traits.name", Type: flow.InputText, Value: "Ada"}, nil))
		st.UI.Nodes.Append(flow.NewInput(flow.GroupWebAuthn, flow.InputAttributes{Name: "webauthn_register_displayname", Type: flow.InputText}, nil))
		st.UI.Nodes.Append(flow.NewInput(flow.GroupDefault, flow.InputAttributes{Name: "trailing", Type: flow.InputHidden}, nil))
		st.UI.AddMessage(text.Message{ID: 3, Text: "flow", Type: "info"})
		e, err := encode(st, sl)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name   string
			reset  bool
			change func(*stored)
		}{
			{"as read", false, func(*stored) {}},
			{"reset", true, func(*stored) {}},
			{"reset and a message", true, func(s *stored) {
				s.UI.Nodes.AddMessage("traits.email", text.Message{ID: 4, Text: "refused", Type: "error"})
				s.UI.Nodes.FindIn(flow.GroupProfile, "traits.name").Input().Value = "Bea"
			}},
		} {
			eager, err := decode(e.rec, sl)
			if err != nil {
				t.Fatal(err)
			}
			lazy, err := decodeSubmitted(e.rec, sl, defaultGroup)
			if err != nil {
				t.Fatal(err)
			}
			if len(lazy.lazy) != 6 || len(lazy.deferred) != 1 || len(lazy.UI.Nodes) != 2 {
				t.Fatalf("%s: %d lazy, %d deferred, %d decoded", tc.name, len(lazy.lazy), len(lazy.deferred), len(lazy.UI.Nodes))
			}
			if tc.reset {
				eager.resetMessages()
				lazy.resetMessages()
			}
			if err := lazy.OwnNodes(); err != nil || len(lazy.lazy) != 6 {
				t.Fatalf("%s: OwnNodes without a method's group: %v, %d lazy", tc.name, err, len(lazy.lazy))
			}
			lazy.ownGroup = flow.GroupProfile // as Handler.run sets it for the profile method
			if err := lazy.OwnNodes(); err != nil {
				t.Fatal(err)
			}
			if len(lazy.lazy) != 4 || len(lazy.UI.Nodes) != 4 || lazy.UI.Nodes[0].Group != flow.GroupDefault ||
				lazy.UI.Nodes[1].Input().Name != "traits.email" || lazy.UI.Nodes[2].Input().Name != "traits.name" ||
				lazy.UI.Nodes[3].Input().Name != "trailing" {
				t.Fatalf("%s: after the profile group: %d lazy, decoded %v", tc.name, len(lazy.lazy), lazy.UI.Nodes)
			}
			if got := len(lazy.UI.Nodes[1].Messages); got != map[bool]int{true: 0, false: 1}[tc.reset] {
				t.Fatalf("%s: the email node has %d messages", tc.name, got)
			}
			tc.change(eager)
			tc.change(lazy)
			encodesAlike(t, tc.name, "lazy", eager, lazy, sl, e.body)
			if len(lazy.lazy) != 0 || len(lazy.deferred) != 0 {
				t.Errorf("%s: %d lazy, %d deferred after encode", tc.name, len(lazy.lazy), len(lazy.deferred))
			}
		}
		// The lookup node (left encoded) damaged: both reads refuse the flow.
		bad := *e.rec
		at := bytes.Index(e.rec.Data, []byte(`"lookup_secret_regenerate"`))
		if at < 0 {
			t.Fatalf("no lookup node in %s", e.rec.Data)
		}
		bad.Data = append(append(bytes.Clone(e.rec.Data[:at]), '{'), e.rec.Data[at:]...)
		if _, err := decodeSubmitted(&bad, sl, defaultGroup); err == nil {
			t.Error("a damaged lazy node was read")
		}
		if _, err := decode(&bad, sl); err == nil {
			t.Error("a damaged node was read eagerly")
		}
	}
}

// encodesAlike encodes eager (a flow read with every node decoded) and lazy (the same flow
// read with some left encoded, what="deferred" or "lazy") and fails unless they give the same
// reply and stored document; the case "as read" must also give back what was stored (asRead).
func encodesAlike(t *testing.T, name, what string, eager, lazy *stored, sl *sealer, asRead []byte) {
	t.Helper()
	want, err := encode(eager, sl)
	if err != nil {
		t.Fatal(err)
	}
	got, err := encode(lazy, sl)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.body, want.body) || !bytes.Equal(got.rec.Data, want.rec.Data) {
		t.Errorf("%s: %s read encodes\n%s\nwant\n%s", name, what, got.body, want.body)
	}
	if name == "as read" && !bytes.Equal(got.body, asRead) {
		t.Errorf("as read: encodes\n%s\nstored as\n%s", got.body, asRead)
	}
}
