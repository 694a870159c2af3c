package flow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/text"
)

// The reference encoders below are the encoders node_json.go replaced: every node and
// attributes type marshalled through json.Marshal with its own struct tags. They are kept here,
// on look-alike types without the new methods, so that the hand-written appender can be proved
// byte-identical to them.

type (
	refInput  InputAttributes
	refText   TextAttributes
	refImage  ImageAttributes
	refAnchor AnchorAttributes
	refScript ScriptAttributes
	refDiv    DivAttributes
)

func (a refInput) MarshalJSON() ([]byte, error) {
	type plain refInput
	return json.Marshal(struct {
		plain
		NodeType NodeType `json:"node_type"`
	}{plain(a), NodeInput})
}

func (a refText) MarshalJSON() ([]byte, error) {
	type plain refText
	return json.Marshal(struct {
		plain
		NodeType NodeType `json:"node_type"`
	}{plain(a), NodeText})
}

func (a refImage) MarshalJSON() ([]byte, error) {
	type plain refImage
	return json.Marshal(struct {
		plain
		NodeType NodeType `json:"node_type"`
	}{plain(a), NodeImage})
}

func (a refAnchor) MarshalJSON() ([]byte, error) {
	type plain refAnchor
	return json.Marshal(struct {
		plain
		NodeType NodeType `json:"node_type"`
	}{plain(a), NodeAnchor})
}

func (a refScript) MarshalJSON() ([]byte, error) {
	type plain refScript
	return json.Marshal(struct {
		plain
		NodeType NodeType `json:"node_type"`
	}{plain(a), NodeScript})
}

func (a refDiv) MarshalJSON() ([]byte, error) {
	type plain refDiv
	return json.Marshal(struct {
		plain
		NodeType NodeType `json:"node_type"`
	}{plain(a), NodeDiv})
}

// refAttributes converts attributes to their reference type; a nil pointer becomes nil (both
// encode as null) and an unknown implementation stays as it is.
func refAttributes(attrs Attributes) any {
	switch a := attrs.(type) {
	case *InputAttributes:
		if a != nil {
			return refInput(*a)
		}
	case *TextAttributes:
		if a != nil {
			return refText(*a)
		}
	case *ImageAttributes:
		if a != nil {
			return refImage(*a)
		}
	case *AnchorAttributes:
		if a != nil {
			return refAnchor(*a)
		}
	case *ScriptAttributes:
		if a != nil {
			return refScript(*a)
		}
	case *DivAttributes:
		if a != nil {
			return refDiv(*a)
		}
	default:
		return attrs
	}
	return nil
}

type refNode struct {
	Type       NodeType       `json:"type"`
	Group      Group          `json:"group"`
	Attributes any            `json:"attributes"`
	Messages   []text.Message `json:"messages"`
	Meta       Meta           `json:"meta"`
}

func (n refNode) MarshalJSON() ([]byte, error) {
	type plain refNode
	p := plain(n)
	if p.Messages == nil {
		p.Messages = []text.Message{}
	}
	return json.Marshal(p)
}

func toRefNode(n Node) refNode {
	if n.Type == "" && n.Attributes != nil {
		n.Type = n.Attributes.NodeType()
	}
	return refNode{Type: n.Type, Group: n.Group, Attributes: refAttributes(n.Attributes), Messages: n.Messages, Meta: n.Meta}
}

// refMarshalNodes is the old Nodes.MarshalJSON.
func refMarshalNodes(ns Nodes) ([]byte, error) {
	if ns == nil {
		return []byte("[]"), nil
	}
	refs := make([]refNode, len(ns))
	for i, n := range ns {
		refs[i] = toRefNode(n)
	}
	return json.Marshal(refs)
}

// oddStrings exercise every branch of encoding/json's string escaping.
var oddStrings = []string{
	"",
	"plain",
	`quote " and backslash \ and slash /`,
	"controls \x00\x01\x07\b\t\n\v\f\r\x1b\x1f\x7f",
	"<script>alert('x&y')</script>",
	"emoji 🦄 and é and 日本語",
	"invalid \xff\xfe utf-8 \xc3 and truncated \xe2\x80",
	"separators \u2028 and \u2029 and \u2027 \u202a",
	"\xed\xa0\x80 surrogate half",
	"\ufffd literal replacement",
	strings.Repeat("long <&> ", 40),
}

// allKinds builds nodes of every type with every attribute set to (or derived from) s.
func allKinds(s string) Nodes {
	msg := text.Message{ID: 1070002, Text: s, Type: s, Context: map[string]any{s: s, "name": s, "n": 3, "b": true}}
	plain := text.Message{ID: -4, Text: s, Type: text.Info}
	return Nodes{
		NewCSRFNode(s),
		NewInput(Group(s), InputAttributes{
			Name: s, Type: s, Value: s, Required: true, Autocomplete: s, Pattern: s, MaxLength: 7,
			Label: &msg, Options: []InputOption{{Value: s}, {Value: nil}, {Value: 2.5}},
			OnClick: s, OnClickTrigger: s, OnLoad: s, OnLoadTrigger: s, Disabled: true,
		}, &msg),
		NewInput(GroupPassword, InputAttributes{Name: s, Type: InputPassword}, nil),
		{Group: GroupTOTP, Attributes: &TextAttributes{Text: msg, ID: s}, Messages: []text.Message{msg, plain}, Meta: Meta{Label: &plain}},
		NewImageNode(Group(s), s, s, -1, 1<<40, &plain),
		NewAnchorNode(Group(s), s, s, msg),
		NewScriptNode(Group(s), ScriptAttributes{Src: s, Async: true, ReferrerPolicy: s, CrossOrigin: s, Integrity: s, Type: s, ID: s, Nonce: s}),
		{Type: NodeDiv, Group: Group(s), Attributes: &DivAttributes{Class: s, Data: map[string]string{s: s, "z": s, "a": "<"}, ID: s}},
	}
}

// marshalsAlike is a value json.Marshal accepts through its own MarshalJSON, with output
// that needs compacting and HTML escaping.
type marshalsAlike struct{}

func (marshalsAlike) MarshalJSON() ([]byte, error) { return []byte(` { "a" : "<b>" } `), nil }

func edgeCases() map[string]Nodes {
	num := func(v any) Nodes {
		return Nodes{NewInput(GroupProfile, InputAttributes{Name: "n", Type: InputNumber, Value: v, Options: []InputOption{{Value: v}}},
			&text.Message{ID: 1, Text: "t", Type: "info", Context: map[string]any{"v": v}})}
	}
	var nilPtr *string
	many := map[string]any{}
	for i := range 20 {
		many[fmt.Sprintf("k%02d<", 19-i)] = i
	}
	cases := map[string]Nodes{
		"nil list":            nil,
		"empty list":          {},
		"value empty string":  {NewInput(GroupDefault, InputAttributes{Name: "x", Type: InputHidden, Value: ""}, nil)},
		"value nil":           {NewInput(GroupDefault, InputAttributes{Name: "x", Type: InputHidden}, nil)},
		"value typed nil":     num(nilPtr),
		"empty messages":      {{Type: NodeInput, Group: GroupDefault, Attributes: &InputAttributes{Name: "x"}, Messages: []text.Message{}}},
		"derived type":        {{Group: GroupDefault, Attributes: &ImageAttributes{ID: "i"}}},
		"set type wins":       {{Type: NodeText, Group: GroupDefault, Attributes: &ImageAttributes{ID: "i"}}},
		"nil attributes":      {{Type: NodeInput, Group: GroupDefault}},
		"typed nil attrs":     {{Group: GroupDefault, Attributes: (*InputAttributes)(nil)}, {Group: GroupDefault, Attributes: (*TextAttributes)(nil)}, {Group: GroupDefault, Attributes: (*ImageAttributes)(nil)}, {Group: GroupDefault, Attributes: (*AnchorAttributes)(nil)}, {Group: GroupDefault, Attributes: (*ScriptAttributes)(nil)}, {Group: GroupDefault, Attributes: (*DivAttributes)(nil)}},
		"empty div data":      {{Group: GroupWebAuthn, Attributes: &DivAttributes{ID: "d", Data: map[string]string{}}}},
		"empty context":       {NewTextNode(GroupTOTP, "t", text.Message{ID: 1, Text: "t", Type: "info", Context: map[string]any{}}, nil)},
		"big context":         {NewTextNode(GroupTOTP, "t", text.Message{ID: 1, Text: "t", Type: "info", Context: many}, nil)},
		"nested context":      {NewTextNode(GroupTOTP, "t", text.Message{ID: 1, Text: "t", Type: "info", Context: map[string]any{"m": map[string]any{"<": []any{1.5, "&"}}, "nil": nil}}, nil)},
		"empty options":       {NewInput(GroupDefault, InputAttributes{Name: "x", Options: []InputOption{}}, nil)},
		"negative maxlength":  {NewInput(GroupDefault, InputAttributes{Name: "x", MaxLength: -3}, nil)},
		"int":                 num(42),
		"negative int64":      num(int64(math.MinInt64)),
		"int32":               num(int32(-7)),
		"uint64":              num(uint64(math.MaxUint64)),
		"uint":                num(uint(9)),
		"int8":                num(int8(-8)),
		"float zero":          num(0.0),
		"float negative zero": num(math.Copysign(0, -1)),
		"float plain":         num(3.25),
		"float tiny":          num(1e-7),
		"float edge small":    num(1e-6),
		"float huge":          num(1e21),
		"float below huge":    num(999999999999999900000.0),
		"float32":             num(float32(0.1)),
		"bool":                num(false),
		"json number":         num(json.Number("12.50")),
		"raw message":         num(json.RawMessage(`{ "x" : [1, "<"] }`)),
		"marshaler":           num(marshalsAlike{}),
		"slice":               num([]string{"a", "<b>"}),
		"defined string":      num(NodeType("<x>")),
	}
	for i, s := range oddStrings {
		cases[fmt.Sprintf("odd string %d", i)] = allKinds(s)
	}
	return cases
}

// assertSameJSON compares the appender with the reference for a node list, each node and
// each node's attributes, both as MarshalJSON output and through json.Marshal.
func assertSameJSON(t *testing.T, ns Nodes) {
	t.Helper()
	want, wantErr := refMarshalNodes(ns)
	got, gotErr := ns.MarshalJSON()
	if (gotErr != nil) != (wantErr != nil) {
		t.Fatalf("errors differ: got %v, want %v", gotErr, wantErr)
	}
	if wantErr != nil {
		return
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("MarshalJSON differs:\n got %s\nwant %s", got, want)
	}
	if appended, _ := ns.AppendJSON([]byte("prefix")); string(appended) != "prefix"+string(want) {
		t.Fatalf("AppendJSON differs:\n got %s\nwant prefix%s", appended, want)
	}
	if viaJSON, err := json.Marshal(ns); err != nil || !bytes.Equal(viaJSON, want) {
		t.Fatalf("json.Marshal differs (%v):\n got %s\nwant %s", err, viaJSON, want)
	}
	for i := range ns {
		wantNode, _ := json.Marshal(toRefNode(ns[i]))
		if gotNode, err := json.Marshal(ns[i]); err != nil || !bytes.Equal(gotNode, wantNode) {
			t.Fatalf("node %d differs (%v):\n got %s\nwant %s", i, err, gotNode, wantNode)
		}
		if ns[i].Attributes == nil {
			continue
		}
		// Attributes marshalled on their own, by value as the old methods were defined.
		ref := refAttributes(ns[i].Attributes)
		if ref == nil {
			continue
		}
		wantAttrs, _ := json.Marshal(ref)
		gotAttrs, err := json.Marshal(ns[i].Attributes)
		if err != nil || !bytes.Equal(gotAttrs, wantAttrs) {
			t.Fatalf("node %d attributes differ (%v):\n got %s\nwant %s", i, err, gotAttrs, wantAttrs)
		}
	}
}

func TestNodeJSONMatchesReference(t *testing.T) {
	for name, ns := range edgeCases() {
		t.Run(name, func(t *testing.T) { assertSameJSON(t, ns) })
	}
	t.Run("recorded settings flow", func(t *testing.T) { assertSameJSON(t, recordedNodes(t)) })
	t.Run("settings nodes", func(t *testing.T) { assertSameJSON(t, settingsNodes()) })
}

func TestNodeJSONErrors(t *testing.T) {
	for name, v := range map[string]any{"channel": make(chan int), "nan": math.NaN(), "inf": math.Inf(1), "func in context": func() {}} {
		t.Run(name, func(t *testing.T) {
			ns := Nodes{NewInput(GroupDefault, InputAttributes{Name: "x", Value: v}, nil)}
			if _, err := ns.MarshalJSON(); err == nil {
				t.Error("want an error for an unencodable value")
			}
			ns = Nodes{NewTextNode(GroupDefault, "t", text.Message{ID: 1, Context: map[string]any{"v": v}}, nil)}
			if _, err := json.Marshal(ns); err == nil {
				t.Error("want an error for an unencodable context value")
			}
		})
	}
}

// TestAppendStringMatchesEncodingJSON checks the string escaper alone on every single byte
// and on the odd strings.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	inputs := append([]string(nil), oddStrings...)
	for c := range 256 {
		inputs = append(inputs, string([]byte{byte(c)}), "a"+string([]byte{byte(c)})+"b")
	}
	for _, s := range inputs {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzNodeJSON(f *testing.F) {
	for i, s := range oddStrings {
		f.Add(s, oddStrings[len(oddStrings)-1-i], int64(i), float64(i)/3)
	}
	f.Add("a", "b", int64(math.MaxInt64), 1e21)
	f.Add("<", ">", int64(-1), 1e-7)
	f.Fuzz(func(t *testing.T, s, u string, n int64, x float64) {
		ns := allKinds(s)
		ns = append(ns, allKinds(u)...)
		ns.Append(
			NewInput(GroupDefault, InputAttributes{Name: u, Type: s, Value: x, MaxLength: int(n), Options: []InputOption{{Value: n}, {Value: u}}}, nil),
			NewTextNode(GroupTOTP, s, text.Message{ID: int(n), Text: u, Type: s, Context: map[string]any{s: x, u: n, s + u: s}}, nil),
			Node{Group: Group(u), Attributes: &DivAttributes{Data: map[string]string{s: u, u: s}, ID: s}},
		)
		assertSameJSON(t, ns)
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestContainerAppendJSONMatchesMarshal(t *testing.T) {
	for i, s := range oddStrings {
		for _, c := range []Container{
			{Action: s, Method: s, Nodes: allKinds(s), Messages: []text.Message{{ID: 4000001, Text: s, Type: s, Context: map[string]any{s: s}}, {ID: 1}}},
			{Action: s, Method: "POST"},
			{Action: s, Nodes: Nodes{}, Messages: []text.Message{}},
		} {
			want, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := c.AppendJSON(nil); err != nil || !bytes.Equal(got, want) {
				t.Errorf("odd string %d: AppendJSON (%v):\n got %s\nwant %s", i, err, got, want)
			}
		}
	}
	c := Container{Action: "a", Method: "POST", Nodes: recordedNodes(t)}
	want, _ := json.Marshal(c)
	if got, _ := c.AppendJSON(nil); !bytes.Equal(got, want) {
		t.Errorf("recorded settings container differs:\n got %s\nwant %s", got, want)
	}
}
