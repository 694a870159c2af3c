package ui

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/text"
)

// groupOrder is the order in which method sections appear; groups not listed follow in the
// order their first node appears.
var groupOrder = []flow.Group{
	flow.GroupIdentifierFirst, flow.GroupProfile, flow.GroupPassword, flow.GroupCode, flow.GroupLink,
	flow.GroupOIDC, flow.GroupTOTP, flow.GroupLookup, flow.GroupWebAuthn, flow.GroupPasskey, flow.GroupCaptcha,
}

// messageView is one message ready to show.
type messageView struct {
	ID   string // element id, for aria-describedby
	Type string // info, error, success
	Text string
}

// Alert reports whether the message must be announced at once (an error).
func (m messageView) Alert() bool { return m.Type == text.Error }

// nodeView is one node ready for the templates. Kind selects the template branch.
type nodeView struct {
	Kind string // hidden, input, checkbox, select, submit, button, text, img, a, script, div

	ID           string // element id, unique on the page
	Name         string
	Type         string
	Value        string
	Checked      bool
	Required     bool
	Disabled     bool
	Autocomplete string
	Pattern      string
	MaxLength    int
	Options      []string
	Label        string
	OnClick      string // onclickTrigger: the function the WebAuthn script defines for a click
	OnLoad       string // onloadTrigger: the function to call once the page has loaded
	Autofocus    bool

	Messages    []messageView
	DescribedBy string // ids of the node's messages

	// text nodes
	Text    string
	Secret  string   // a single secret (TOTP key) shown as code
	Secrets []string // a list of secrets (recovery codes)

	// img and a nodes
	Src    string
	ImgSrc template.URL // a checked data:image/ URI
	Width  int
	Height int
	Href   string

	// script nodes
	Integrity      string
	CrossOrigin    string
	ReferrerPolicy string
	Nonce          string
	Async          bool
}

// Invalid reports whether the node carries an error message.
func (n nodeView) Invalid() bool {
	for _, m := range n.Messages {
		if m.Type == text.Error {
			return true
		}
	}
	return false
}

// formView is one <form>: a method group's nodes, with the default group's nodes repeated.
type formView struct {
	ID     string
	Group  string
	Title  string
	Action string
	Method string
	// ShowTitle is set when the page has more than one form, each then headed by its group.
	ShowTitle bool
	Nodes     []nodeView
	Scripts   []nodeView
}

// Visible reports whether the form shows anything beyond hidden inputs.
func (f formView) Visible() bool {
	for _, n := range f.Nodes {
		if n.Kind != "hidden" {
			return true
		}
	}
	return false
}

// containerView is a flow's whole UI.
type containerView struct {
	Messages []messageView
	Forms    []formView
}

// renderText is the text of m: the catalogue template for its id filled from its context,
// or the text the API sent when the id is not in the catalogue.
func renderText(m text.Message) string {
	if e, ok := text.Lookup(m.ID); ok {
		out := text.Render(e.Template, m.Context)
		if !strings.Contains(out, "{") || m.Text == "" {
			return out
		}
	}
	return m.Text
}

func messageViews(prefix string, msgs []text.Message) []messageView {
	out := make([]messageView, 0, len(msgs))
	for i, m := range msgs {
		typ := m.Type
		if typ == "" {
			typ = text.Info
		}
		out = append(out, messageView{ID: fmt.Sprintf("%s-msg-%d", prefix, i), Type: typ, Text: renderText(m)})
	}
	return out
}

var unsafeID = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// hiddenOnly are the hidden inputs among nodes.
func hiddenOnly(nodes []flow.Node) []flow.Node {
	var out []flow.Node
	for _, n := range nodes {
		if a := n.Input(); a != nil && a.Type == flow.InputHidden {
			out = append(out, n)
		}
	}
	return out
}

func elementID(parts ...string) string {
	return unsafeID.ReplaceAllString(strings.Join(parts, "-"), "_")
}

// buildContainer groups c's nodes into forms, one per method group, each repeating the
// default group's nodes (the CSRF token, identifiers, traits) as Kratos's own UIs do.
func buildContainer(c flow.Container) containerView {
	v := containerView{Messages: messageViews("flow", c.Messages)}
	var defaults []flow.Node
	byGroup := map[flow.Group][]flow.Node{}
	var seen []flow.Group
	for _, n := range c.Nodes {
		if n.Group == flow.GroupDefault {
			defaults = append(defaults, n)
			continue
		}
		if _, ok := byGroup[n.Group]; !ok {
			seen = append(seen, n.Group)
		}
		byGroup[n.Group] = append(byGroup[n.Group], n)
	}
	var groups []flow.Group
	for _, g := range groupOrder {
		if _, ok := byGroup[g]; ok {
			groups = append(groups, g)
		}
	}
	for _, g := range seen {
		if !containsGroup(groupOrder, g) {
			groups = append(groups, g)
		}
	}
	if len(groups) == 0 {
		groups = []flow.Group{flow.GroupDefault}
	}
	method := strings.ToLower(c.Method)
	if method != "get" {
		method = "post"
	}
	focused := false
	for _, g := range groups {
		f := formView{ID: "form-" + elementID(string(g)), Group: string(g), Title: groupTitle(g), Action: c.Action, Method: method, ShowTitle: len(groups) > 1}
		nodes := append(append([]flow.Node{}, defaults...), byGroup[g]...)
		switch g {
		case flow.GroupDefault:
			nodes = defaults
		case flow.GroupOIDC:
			// A provider button sends the browser to the provider: the form carries the CSRF
			// token only, not the identifier or traits inputs (a required one left empty would
			// stop the browser from submitting it).
			nodes = append(hiddenOnly(defaults), byGroup[g]...)
		}
		for _, n := range nodes {
			nv, ok := buildNode(f.ID, n)
			if !ok {
				continue
			}
			if !focused && nv.Invalid() && (nv.Kind == "input" || nv.Kind == "select" || nv.Kind == "checkbox") {
				nv.Autofocus, focused = true, true
			}
			if nv.Kind == "script" {
				f.Scripts = append(f.Scripts, nv)
				continue
			}
			f.Nodes = append(f.Nodes, nv)
		}
		v.Forms = append(v.Forms, f)
	}
	return v
}

func containsGroup(gs []flow.Group, g flow.Group) bool {
	for _, x := range gs {
		if x == g {
			return true
		}
	}
	return false
}

func buildNode(formID string, n flow.Node) (nodeView, bool) {
	id := elementID(formID, string(n.Group), n.ID())
	v := nodeView{ID: id, Messages: messageViews(id, n.Messages)}
	ids := make([]string, 0, len(v.Messages))
	for _, m := range v.Messages {
		ids = append(ids, m.ID)
	}
	v.DescribedBy = strings.Join(ids, " ")
	if n.Meta.Label != nil {
		v.Label = renderText(*n.Meta.Label)
	}
	switch a := n.Attributes.(type) {
	case *flow.InputAttributes:
		v.Name, v.Type, v.Required, v.Disabled = a.Name, a.Type, a.Required, a.Disabled
		v.Autocomplete, v.Pattern, v.MaxLength = a.Autocomplete, a.Pattern, a.MaxLength
		v.Value = valueString(a.Value)
		v.OnClick, v.OnLoad = a.OnClickTrigger, a.OnLoadTrigger
		if v.Label == "" && a.Label != nil {
			v.Label = renderText(*a.Label)
		}
		switch {
		case a.Type == flow.InputHidden:
			v.Kind = "hidden"
		case a.Type == flow.InputSubmit:
			v.Kind = "submit"
		case a.Type == flow.InputButton:
			v.Kind = "button"
		case a.Type == flow.InputCheckbox:
			v.Kind = "checkbox"
			v.Checked = a.Value == true
			v.Value = "true"
		case len(a.Options) > 0:
			v.Kind = "select"
			for _, o := range a.Options {
				v.Options = append(v.Options, valueString(o.Value))
			}
		default:
			v.Kind = "input"
			if v.Type == "" {
				v.Type = flow.InputText
			}
		}
		if v.Label == "" && v.Kind != "hidden" {
			v.Label = v.Name
		}
	case *flow.TextAttributes:
		v.Kind = "text"
		v.Text = renderText(a.Text)
		v.Secret, v.Secrets = secrets(a.Text)
		if len(v.Secrets) > 0 || v.Secret != "" {
			v.Text = ""
		}
	case *flow.ImageAttributes:
		if !strings.HasPrefix(a.Src, "data:image/") {
			return v, false // only inline images: a URL would leak the page to a third party
		}
		v.Kind, v.ImgSrc, v.Width, v.Height = "img", template.URL(a.Src), a.Width, a.Height //nolint:gosec // checked above
	case *flow.AnchorAttributes:
		if !safeHref(a.Href) {
			return v, false
		}
		v.Kind, v.Href, v.Text = "a", a.Href, renderText(a.Title)
	case *flow.ScriptAttributes:
		v.Kind, v.Src, v.Type = "script", a.Src, a.Type
		v.Integrity, v.CrossOrigin, v.ReferrerPolicy, v.Nonce, v.Async = a.Integrity, a.CrossOrigin, a.ReferrerPolicy, a.Nonce, a.Async
	case *flow.DivAttributes:
		v.Kind = "div"
	default:
		return v, false
	}
	return v, true
}

// secrets picks the secret(s) out of a text node's message: context.secret (a TOTP key) or
// context.secrets (lookup codes, each a message whose context holds the code).
func secrets(m text.Message) (string, []string) {
	list, ok := m.Context["secrets"].([]any)
	if !ok {
		if s, ok := m.Context["secret"].(string); ok {
			return s, nil
		}
		return "", nil
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		switch s := item.(type) {
		case string:
			out = append(out, s)
		case map[string]any:
			// Each item is a message: a code (context.secret) or a note such as "used at …".
			var m text.Message
			if b, err := json.Marshal(s); err == nil && json.Unmarshal(b, &m) == nil {
				if v, ok := m.Context["secret"].(string); ok {
					out = append(out, v)
				} else {
					out = append(out, renderText(m))
				}
			}
		}
	}
	return "", out
}

func valueString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	default:
		return fmt.Sprint(x)
	}
}

// safeHref allows http(s) URLs and paths only (never javascript: and the like).
func safeHref(h string) bool {
	u, err := url.Parse(h)
	if err != nil {
		return false
	}
	return u.Scheme == "" && !strings.HasPrefix(h, "//") || u.Scheme == "http" || u.Scheme == "https"
}
