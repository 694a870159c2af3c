package flow

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/portico-auth/portico/internal/kratosexamples"

	"github.com/portico-auth/portico/internal/text"
)

func readUI(t *testing.T, file string) (raw json.RawMessage, generic map[string]any) {
	t.Helper()
	b := kratosexamples.Read(t, file)
	var doc struct {
		UI json.RawMessage `json:"ui"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(doc.UI, &generic); err != nil {
		t.Fatal(err)
	}
	return doc.UI, generic
}

func toGeneric(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var g any
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// blankValues replaces the values that differ per identity or per request (csrf token, QR
// code, TOTP secret, input values) so that shapes can be compared.
func blankValues(node any) any {
	n := node.(map[string]any)
	attrs := n["attributes"].(map[string]any)
	if _, ok := attrs["value"]; ok {
		attrs["value"] = "X"
	}
	if _, ok := attrs["src"]; ok {
		attrs["src"] = "X"
	}
	if t, ok := attrs["text"].(map[string]any); ok {
		t["text"] = "X"
		if c, ok := t["context"].(map[string]any); ok && c["secret"] != nil {
			c["secret"] = "X"
		}
	}
	return n
}

// settingsNodes builds the nodes of the recorded settings flow the way the settings flow and
// its methods will.
func settingsNodes() Nodes {
	label := func(m text.Message) *text.Message { return &m }
	var ns Nodes
	ns.Append(
		NewCSRFNode("token"),
		NewInput(GroupProfile, InputAttributes{Name: "traits.email", Type: InputEmail, Value: "a@example.com", Required: true, Autocomplete: AutocompleteEmail}, label(text.NewLabelField("traits.email", "E-Mail"))),
		NewInput(GroupProfile, InputAttributes{Name: "traits.name.first", Type: InputText, Value: "Ada"}, label(text.NewLabelField("traits.name.first", "First Name"))),
		NewInput(GroupProfile, InputAttributes{Name: "traits.name.last", Type: InputText, Value: "Lovelace"}, label(text.NewLabelField("traits.name.last", "Last Name"))),
		NewSubmit(GroupProfile, "profile", text.NewLabelSave()),
		NewInput(GroupPassword, InputAttributes{Name: "password", Type: InputPassword, Required: true, Autocomplete: AutocompleteNewPassword}, label(text.NewLabelPassword())),
		NewSubmit(GroupPassword, "password", text.NewLabelSave()),
		NewInput(GroupLookup, InputAttributes{Name: "lookup_secret_regenerate", Type: InputSubmit, Value: "true"}, label(text.New(text.InfoSettingsRegenerateLookup, nil))),
		NewImageNode(GroupTOTP, "totp_qr", "data:image/png;base64,AAAA", 256, 256, label(text.New(text.InfoSettingsTOTPQRCode, nil))),
		NewTextNode(GroupTOTP, "totp_secret_key", text.NewTOTPSecret("SECRET"), label(text.New(text.InfoSettingsTOTPSecretLabel, nil))),
		NewInput(GroupTOTP, InputAttributes{Name: "totp_code", Type: InputText, Required: true}, label(text.NewLabelVerifyCode())),
		NewSubmit(GroupTOTP, "totp", text.NewLabelSave()),
	)
	return ns
}

func TestNodesMatchKratosSettings(t *testing.T) {
	_, want := readUI(t, "settings-browser-ajax-200.json")
	wantNodes := want["nodes"].([]any)
	got := toGeneric(t, settingsNodes()).([]any)
	if len(got) != len(wantNodes) {
		t.Fatalf("got %d nodes, want %d", len(got), len(wantNodes))
	}
	for i := range got {
		g, w := blankValues(got[i]), blankValues(wantNodes[i])
		if !reflect.DeepEqual(g, w) {
			gb, _ := json.Marshal(g)
			wb, _ := json.Marshal(w)
			t.Errorf("node %d:\n got %s\nwant %s", i, gb, wb)
		}
	}
}

func TestContainerRoundTrip(t *testing.T) {
	for _, file := range []string{"settings-browser-ajax-200.json", "login-api-flow.json", "settings-api-totp-enrolled.json"} {
		t.Run(file, func(t *testing.T) {
			raw, want := readUI(t, file)
			var c Container
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatal(err)
			}
			if got := toGeneric(t, c); !reflect.DeepEqual(got, any(want)) {
				gb, _ := json.Marshal(got)
				t.Errorf("round trip differs:\n got %s\nwant %s", gb, raw)
			}
			// A second trip through Go values must be stable too.
			b, _ := json.Marshal(c)
			var c2 Container
			if err := json.Unmarshal(b, &c2); err != nil {
				t.Fatal(err)
			}
			b2, _ := json.Marshal(c2)
			if string(b) != string(b2) {
				t.Errorf("second round trip differs:\n%s\n%s", b, b2)
			}
		})
	}
}

func TestEmptyShapes(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"empty container", Container{Action: "a", Method: "POST"}, `{"action":"a","method":"POST","nodes":[]}`},
		{"node without label or messages", NewCSRFNode(""), `{"type":"input","group":"default","attributes":{"name":"csrf_token","type":"hidden","value":"","required":true,"disabled":false,"node_type":"input"},"messages":[],"meta":{}}`},
		{"div", Node{Group: GroupWebAuthn, Attributes: &DivAttributes{ID: "d"}}, `{"type":"div","group":"webauthn","attributes":{"id":"d","node_type":"div"},"messages":[],"meta":{}}`},
		{"anchor", NewAnchorNode(GroupDefault, "x", "https://h", text.NewLogin()), `{"type":"a","group":"default","attributes":{"href":"https://h","title":{"id":1010001,"text":"Sign in","type":"info"},"id":"x","node_type":"a"},"messages":[],"meta":{}}`},
		{"script", NewScriptNode(GroupWebAuthn, ScriptAttributes{Src: "/s.js", ID: "s"}), `{"type":"script","group":"webauthn","attributes":{"src":"/s.js","async":false,"referrerpolicy":"","crossorigin":"","integrity":"","type":"","id":"s","nonce":"","node_type":"script"},"messages":[],"meta":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.v)
			if err != nil || string(b) != tt.want {
				t.Errorf("got %s %v\nwant %s", b, err, tt.want)
			}
		})
	}
}

func TestNodeRoundTripEveryType(t *testing.T) {
	ns := settingsNodes()
	ns.Append(
		Node{Group: GroupWebAuthn, Attributes: &DivAttributes{ID: "d", Class: "c", Data: map[string]string{"k": "v"}}},
		NewAnchorNode(GroupDefault, "x", "https://h", text.NewLogin()),
		NewScriptNode(GroupWebAuthn, ScriptAttributes{Src: "/s.js", Async: true, ID: "s", Nonce: "n"}),
		NewInput(GroupDefault, InputAttributes{Name: "n", Type: InputNumber, Value: 3, MaxLength: 6, Pattern: "[0-9]+", OnClickTrigger: "oryWebAuthnLogin", Options: []InputOption{{Value: "a"}}}, nil),
	)
	ns.AddMessage("password", text.NewPasswordMinLength(8, 3))
	b, _ := json.Marshal(ns)
	var back Nodes
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(back)
	if string(b) != string(b2) {
		t.Errorf("round trip differs:\n%s\n%s", b, b2)
	}
	if in := back.Find("password").Input(); in == nil || in.Value != nil {
		t.Errorf("password input lost its shape: %+v", in)
	}
}

func TestNodeUnmarshalUnknownType(t *testing.T) {
	var n Node
	if err := json.Unmarshal([]byte(`{"type":"blink","group":"default","attributes":{"node_type":"blink"}}`), &n); err == nil {
		t.Error("want an error for an unknown node type")
	}
}

func TestNodesHelpers(t *testing.T) {
	ns := settingsNodes()
	if n := ns.Find("method"); n == nil || n.Group != GroupProfile {
		t.Fatalf("Find(method) = %+v, want the first (profile) submit", n)
	}
	if n := ns.FindIn(GroupTOTP, "method"); n == nil || n.Input().Value != "totp" {
		t.Fatalf("FindIn(totp, method) = %+v", n)
	}
	if ns.Find("nope") != nil {
		t.Error("Find(nope) should be nil")
	}
	if !ns.SetValue("traits.email", "b@example.com") || ns.Find("traits.email").Input().Value != "b@example.com" {
		t.Error("SetValue did not set")
	}
	if ns.SetValue("totp_qr", "x") {
		t.Error("SetValue must only touch inputs")
	}
	if !ns.AddMessage("password", text.NewPasswordMinLength(8, 3)) || len(ns.Find("password").Messages) != 1 {
		t.Error("AddMessage did not add")
	}
	ns.ClearMessages()
	if len(ns.Find("password").Messages) != 0 {
		t.Error("ClearMessages left messages")
	}

	n := len(ns)
	ns.Upsert(NewSubmit(GroupPassword, "password", text.NewLabelSave()))
	if len(ns) != n {
		t.Error("Upsert of an existing node appended")
	}
	ns.Upsert(NewInput(GroupPassword, InputAttributes{Name: "password", Type: InputPassword, Required: true}, nil))
	if len(ns) != n || ns.FindIn(GroupPassword, "password").Meta.Label != nil {
		t.Error("Upsert did not replace in place")
	}
	ns.Upsert(NewInput(GroupCode, InputAttributes{Name: "code", Type: InputText}, nil))
	if len(ns) != n+1 || ns[n].ID() != "code" {
		t.Error("Upsert of a new node did not append at the end")
	}

	ns.Remove(GroupTOTP, GroupCode)
	var groups []Group
	for _, x := range ns {
		groups = append(groups, x.Group)
	}
	want := []Group{GroupDefault, GroupProfile, GroupProfile, GroupProfile, GroupProfile, GroupPassword, GroupPassword, GroupLookup}
	if !reflect.DeepEqual(groups, want) {
		t.Errorf("after Remove groups = %v, want %v", groups, want)
	}

	ns.SetValue("password", "secret")
	ns.ClearValues(InputPassword)
	if ns.Find("password").Input().Value != nil {
		t.Error("ClearValues kept a password")
	}

	var c Container
	c.Nodes = ns
	c.AddMessage(text.NewSettingsSaved())
	c.Nodes.AddMessage("csrf_token", text.NewGeneric("x"))
	c.ResetMessages()
	if c.Messages != nil || len(c.Nodes.Find("csrf_token").Messages) != 0 {
		t.Error("ResetMessages left messages")
	}
}

// TestAttributesNodeTypeMatchesDecoding: the node_type read from the end of an attributes
// object is what decoding the object gives, for the shapes that take the shortcut and the
// ones that must not (escapes, another key ending in node_type, an escaped quote in a value,
// node_type not last, spaces, a repeated key in other case).
func TestAttributesNodeTypeMatchesDecoding(t *testing.T) {
	for _, attrs := range []string{
		`{"name":"a","node_type":"input"}`,
		`{"node_type":"text"}`,
		`{"node_type":""}`,
		`{}`,
		`{"name":"x\",\"node_type\":\"img"}`,
		`{"name":"x","node_type":"in\u0070ut"}`,
		`{"xnode_type":"img"}`,
		`{"a":"\"node_type\":\"img"}`,
		`{"node_type":"img","name":"a"}`,
		`{"name":"a", "node_type":"a"}`,
		`{"name":"a","node_type":"a" }`,
		`{"NODE_TYPE":"div","node_type":"script"}`,
		`{"node_type":"div","Node_Type":"script"}`,
		`{"v":{"node_type":"div"}}`,
		`{"v":["node_type","img"]}`,
	} {
		var want struct {
			NodeType NodeType `json:"node_type"`
		}
		if err := json.Unmarshal([]byte(attrs), &want); err != nil {
			t.Fatalf("%s: %v", attrs, err)
		}
		got, err := attributesNodeType(json.RawMessage(attrs))
		if err != nil || got != want.NodeType {
			t.Errorf("%s: got %q, %v; decoding gives %q", attrs, got, err, want.NodeType)
		}
	}
}
