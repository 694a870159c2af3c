package ui

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest/golden"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/text"
)

func testHandler(t *testing.T) *Handler {
	t.Helper()
	pub, _ := url.Parse("http://127.0.0.1:4433/")
	h, err := New(nil, nil, pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// renderFixture renders the ui container of a flow JSON file the way the flow pages do.
func renderFixture(t *testing.T, h *Handler, name string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var f flowReply
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	var buf bytes.Buffer
	if err := h.pages["flow"].ExecuteTemplate(&buf, "container", buildContainer(f.UI)); err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	return buf.String()
}

func TestRenderGolden(t *testing.T) {
	h := testHandler(t)
	for _, name := range []string{"settings-totp-enrolled.json", "all-nodes.json"} {
		t.Run(name, func(t *testing.T) {
			got := renderFixture(t, h, name)
			golden.Bytes(t, filepath.Join("testdata", strings.TrimSuffix(name, ".json")+".golden.html"), []byte(got))
		})
	}
}

// TestRenderNodes checks the properties the golden files are there to keep.
func TestRenderNodes(t *testing.T) {
	html := renderFixture(t, testHandler(t), "all-nodes.json")
	tests := []struct {
		name, want string
		absent     bool
	}{
		{name: "one form per group", want: `<form id="form-profile" action="http://127.0.0.1:4433/self-service/settings?flow=00000000-0000-4000-8000-000000000001" method="post">`},
		{name: "csrf repeated in the totp form", want: `<form id="form-totp" action="http://127.0.0.1:4433/self-service/settings?flow=00000000-0000-4000-8000-000000000001" method="post">
<input type="hidden" name="csrf_token" value="tok&lt;en&gt;">`},
		{name: "label tied to input", want: `<label for="form-profile-profile-traits_email">E-Mail</label>`},
		{name: "error described and announced", want: `aria-describedby="form-profile-profile-traits_email-msg-0" aria-invalid="true" autofocus>`},
		{name: "error text from the catalogue", want: `<p class="msg msg-error" id="form-profile-profile-traits_email-msg-0" role="alert">&#34;a@&#34; is not a valid email address.</p>`},
		{name: "only the first error gets focus", want: `aria-invalid="true">`},
		{name: "flow error announced", want: `<div class="msg msg-error" id="flow-msg-0" role="alert">`},
		{name: "flow success as status", want: `<div class="msg msg-success" id="flow-msg-1" role="status">Your changes have been saved!</div>`},
		{name: "checkbox checked", want: `type="checkbox" value="true" checked>`},
		{name: "select with options", want: `<option value="pro" selected>pro</option>`},
		{name: "submit button labelled", want: `<button id="form-profile-profile-method" type="submit" name="method" value="profile" class="btn">Save</button>`},
		{name: "qr code as data uri", want: `<img src="data:image/png;base64,iVBORw0KGgo=" alt="Authenticator app QR code" width="256" height="256">`},
		{name: "remote image dropped", want: `tracker.example`, absent: true},
		{name: "totp secret", want: `<code class="secret" data-secret="JBSWY3DPEHPK3PXP">JBSWY3DPEHPK3PXP</code>`},
		{name: "recovery codes", want: `<ul class="codes"><li><code>abcd1234</code></li><li><code>Secret was used at 2026-11-24</code></li><li><code>efgh5678</code></li></ul>`},
		{name: "javascript link dropped", want: `javascript:`, absent: true},
		{name: "link kept", want: `<a id="form-lookup_secret-lookup_secret-help" href="https://example.com/help">Help</a>`},
		{name: "script with integrity and nonce", want: `<script src="http://127.0.0.1:4433/.well-known/ory/webauthn.js" async type="text/javascript" integrity="sha512-abc" crossorigin="anonymous" referrerpolicy="no-referrer" nonce="n0nce" id="form-webauthn-webauthn-webauthn_script"></script>`},
		{name: "webauthn trigger button", want: `type="button" name="webauthn_register_trigger" value="" class="btn secondary" data-portico-onclick="oryWebAuthnRegistration">Add security key</button>`},
		{name: "group headings when several forms", want: `<h2 id="form-totp-title">Authenticator app</h2>`},
		{name: "no inline style", want: `style=`, absent: true},
		{name: "no inline click handler", want: ` onclick=`, absent: true},
		{name: "no inline load handler", want: ` onload=`, absent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Contains(html, tt.want); got == tt.absent {
				t.Errorf("contains %q = %v, want %v", tt.want, got, !tt.absent)
			}
		})
	}
	if n := strings.Count(html, `autofocus`); n != 1 {
		t.Errorf("autofocus appears %d times, want once (the first invalid field)", n)
	}
}

func TestBuildContainerOrder(t *testing.T) {
	var c flow.Container
	raw := `{"action":"/a","method":"POST","nodes":[
	 {"type":"input","group":"totp","attributes":{"name":"totp_code","type":"text","node_type":"input"},"messages":[],"meta":{}},
	 {"type":"input","group":"default","attributes":{"name":"identifier","type":"text","node_type":"input"},"messages":[],"meta":{}},
	 {"type":"input","group":"password","attributes":{"name":"password","type":"password","node_type":"input"},"messages":[],"meta":{}},
	 {"type":"input","group":"custom","attributes":{"name":"x","type":"text","node_type":"input"},"messages":[],"meta":{}}]}`
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		t.Fatal(err)
	}
	v := buildContainer(c)
	var groups []string
	for _, f := range v.Forms {
		groups = append(groups, f.Group)
		if f.Nodes[0].Name != "identifier" {
			t.Errorf("form %s does not start with the default group's identifier", f.Group)
		}
	}
	if got := strings.Join(groups, ","); got != "password,totp,custom" {
		t.Errorf("groups = %s, want password,totp,custom", got)
	}

	only := buildContainer(flow.Container{Action: "/a", Method: "GET", Nodes: flow.Nodes{flow.NewCSRFNode("t")}})
	if len(only.Forms) != 1 || only.Forms[0].Group != "default" || only.Forms[0].Method != "get" || only.Forms[0].ShowTitle {
		t.Errorf("a flow with only default nodes = %+v, want one untitled default form", only.Forms)
	}
}

func TestRenderTextFromCatalogue(t *testing.T) {
	msg := flowMessage(t, `{"id":4000032,"text":"api text","type":"error","context":{"min_length":8,"actual_length":3}}`)
	if got := renderText(msg); !strings.Contains(got, "8") || got == "api text" {
		t.Errorf("renderText = %q, want the catalogue template filled from the context", got)
	}
	unknown := flowMessage(t, `{"id":123,"text":"from the api","type":"info"}`)
	if got := renderText(unknown); got != "from the api" {
		t.Errorf("unknown id: renderText = %q, want the API's text", got)
	}
}

func TestSafeHref(t *testing.T) {
	for href, want := range map[string]bool{
		"https://a.example/x": true, "http://a/x": true, "/ui/login": true, "?flow=1": true,
		"javascript:alert(1)": false, "data:text/html,x": false, "//evil.example": false, "vbscript:x": false,
	} {
		if got := safeHref(href); got != want {
			t.Errorf("safeHref(%q) = %v, want %v", href, got, want)
		}
	}
}

func flowMessage(t *testing.T, raw string) (m text.Message) {
	t.Helper()
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}
	return m
}
