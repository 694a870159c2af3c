package apptest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// FlowClient drives one self-service flow kind ("verification", "recovery", …) as a browser
// (HTML forms, redirects), an SPA (JSON with cookies) or a native app (API flows).
type FlowClient struct {
	S    *Server
	C    *Client
	Kind string // the flow kind: its path segment
	As   string // "browser", "spa" or "native"
}

// FlowClients returns one FlowClient of each kind of client for flow kind.
func (s *Server) FlowClients(t testing.TB, kind string) []*FlowClient {
	return []*FlowClient{
		{S: s, C: s.Browser(t), Kind: kind, As: "browser"},
		{S: s, C: s.SPA(t), Kind: kind, As: "spa"},
		{S: s, C: s.Native(t), Kind: kind, As: "native"},
	}
}

// Flow is a flow as read back: its id, state, CSRF token and the reply's status.
type Flow struct {
	Status int
	ID     string
	State  string
	CSRF   string
	Body   map[string]any
	Raw    *Response
}

// Start creates a flow.
func (fc *FlowClient) Start(t testing.TB) *Flow {
	t.Helper()
	switch fc.As {
	case "browser":
		id, _ := fc.S.BrowserFlow(t, fc.C, fc.Kind)
		return fc.Read(t, id)
	case "spa":
		return fc.read(t, fc.C.Get(fc.S.PublicURL("/self-service/"+fc.Kind+"/browser")))
	default:
		return fc.read(t, fc.C.Get(fc.S.PublicURL("/self-service/"+fc.Kind+"/api")))
	}
}

// Read reads flow id as the SDKs do (JSON).
func (fc *FlowClient) Read(t testing.TB, id string) *Flow {
	t.Helper()
	return fc.read(t, fc.C.Do(http.MethodGet, fc.S.PublicURL("/self-service/"+fc.Kind+"/flows?id="+id), nil, http.Header{"Accept": {"application/json"}}))
}

func (fc *FlowClient) read(t testing.TB, r *Response) *Flow {
	t.Helper()
	f := &Flow{Status: r.StatusCode, Raw: r}
	if err := jsonUnmarshal(r.Body, &f.Body); err != nil {
		t.Fatalf("%s %s flow: %d %s", fc.As, fc.Kind, r.StatusCode, r.Body)
	}
	f.ID, _ = f.Body["id"].(string)
	f.State, _ = f.Body["state"].(string)
	if ui, ok := f.Body["ui"].(map[string]any); ok {
		for _, n := range asList(ui["nodes"]) {
			a, _ := n.(map[string]any)["attributes"].(map[string]any)
			if a["name"] == "csrf_token" {
				f.CSRF, _ = a["value"].(string)
			}
		}
	}
	return f
}

// Submit posts values to flow f as the client would. A browser's form gets a 303: the flow
// it is sent to is read back and returned with Status 303 (and Raw the 303 itself); a
// redirect elsewhere (out of the flow) is returned with Body nil. An SPA and a native app send
// JSON, where a dotted name ("traits.email") becomes nested objects, as Kratos's SDKs send it.
func (fc *FlowClient) Submit(t testing.TB, f *Flow, values map[string]string) *Flow {
	t.Helper()
	target := fc.S.PublicURL("/self-service/" + fc.Kind + "?flow=" + f.ID)
	if fc.As == "browser" {
		form := url.Values{"csrf_token": {f.CSRF}}
		for k, v := range values {
			form.Set(k, v)
		}
		res := fc.C.PostForm(target, form)
		return fc.Follow(t, res)
	}
	body := map[string]any{}
	if fc.As == "spa" {
		body["csrf_token"] = f.CSRF
	}
	for k, v := range values {
		obj, parts := body, strings.Split(k, ".")
		for _, p := range parts[:len(parts)-1] {
			next, ok := obj[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				obj[p] = next
			}
			obj = next
		}
		obj[parts[len(parts)-1]] = v
	}
	return fc.read(t, fc.C.PostJSON(target, body))
}

// Follow reads the flow a browser's 303 sends it to (the flow's UI with ?flow=); a redirect
// elsewhere is returned with Body nil.
func (fc *FlowClient) Follow(t testing.TB, res *Response) *Flow {
	t.Helper()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("browser submission: %d, want 303: %s", res.StatusCode, res.Body)
	}
	loc := URL(t, res.Header.Get("Location"))
	if id := loc.Query().Get("flow"); id != "" && (loc.Path == "/ui/"+fc.Kind || loc.Path == "/self-service/"+fc.Kind+"/flows") {
		f := fc.Read(t, id)
		f.Status, f.Raw = res.StatusCode, res
		return f
	}
	return &Flow{Status: res.StatusCode, Raw: res}
}

// MessageIDs are the ids of the flow's ui.messages.
func (f *Flow) MessageIDs() []int {
	var out []int
	ui, _ := f.Body["ui"].(map[string]any)
	for _, m := range asList(ui["messages"]) {
		if id, ok := m.(map[string]any)["id"].(float64); ok {
			out = append(out, int(id))
		}
	}
	return out
}

// HasMessage reports whether the flow shows message id.
func (f *Flow) HasMessage(id int) bool {
	for _, m := range f.MessageIDs() {
		if m == id {
			return true
		}
	}
	return false
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// Shape is a flow reply with what differs between any two flows taken out (ids, CSRF tokens,
// times, the address itself), for comparing the replies to a known and an unknown address.
func Shape(f *Flow, address string) string {
	b := string(f.Raw.Body)
	for _, s := range []string{f.ID, f.CSRF, address} {
		if s != "" {
			b = strings.ReplaceAll(b, s, "X")
		}
	}
	for _, k := range []string{"expires_at", "issued_at", "created_at", "updated_at", "request_url"} {
		if v, ok := f.Body[k].(string); ok {
			b = strings.ReplaceAll(b, v, "T")
		}
	}
	return strconv.Itoa(f.Status) + " " + b
}

// WrongCode is the i-th six-digit code that is not code.
func WrongCode(code string, i int) string {
	n, _ := strconv.Atoi(code)
	return fmt.Sprintf("%06d", (n+1+i)%1_000_000)
}

// HasCodeLine reports whether a message's text has a line that is a six-digit code.
func HasCodeLine(s string) bool {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); len(l) == 6 && strings.Trim(l, "0123456789") == "" {
			return true
		}
	}
	return false
}

// Email is an address no other test uses, so that tests sharing one database
// (PORTICO_TEST_DSN) never meet: local-<random>@example.com.
func Email(local string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%x@example.com", local, b)
}

// Want fails unless f is a reply of the flow in state with message msg: status okStatus for
// JSON clients (a browser gets its 303), never cached.
func (fc *FlowClient) Want(t testing.TB, f *Flow, okStatus int, state string, msg int) {
	t.Helper()
	status := okStatus
	if fc.As == "browser" {
		status = http.StatusSeeOther
	}
	if f.Status != status || f.State != state || !f.HasMessage(msg) {
		t.Fatalf("%s: status %d state %q messages %v, want %d %q with %d: %s", fc.As, f.Status, f.State, f.MessageIDs(), status, state, msg, f.Raw.Body)
	}
	if cc := f.Raw.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Fatalf("%s: Cache-Control %q", fc.As, cc)
	}
}
