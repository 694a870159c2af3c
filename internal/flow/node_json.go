package flow

import (
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/portico-auth/portico/internal/text"
)

// This file encodes nodes by hand: one pass appending to one buffer, producing exactly the
// bytes encoding/json produced when every node and attributes type marshalled itself through
// json.Marshal (same key order and omissions, the same string escaping, HTML-safe). Only values
// of arbitrary type (an input's non-scalar value, an option's or a message context's exotic
// values) still go through json.Marshal. node_json_test.go keeps the old encoders as the
// reference and compares the two on a broad table and under fuzzing.

// nodeSizeHint is a typical encoded node's size, used to size buffers up front.
const nodeSizeHint = 512

// AppendJSON appends the JSON encoding of the nodes to b ([] when there are none) and returns
// the extended buffer.
func (ns Nodes) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, '[')
	for i := range ns {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = ns[i].appendJSON(b); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// MarshalJSON writes [] for an empty list.
func (ns Nodes) MarshalJSON() ([]byte, error) {
	return ns.AppendJSON(make([]byte, 0, 2+nodeSizeHint*len(ns)))
}

// AppendJSON appends the container's JSON encoding to b, the same bytes json.Marshal writes
// for it, so that a caller encoding a flow by hand can skip encoding/json's re-scan
// (compaction) of the nodes, which costs several times the appending itself.
func (c *Container) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"action":`...)
	b = appendString(b, c.Action)
	b = append(b, `,"method":`...)
	b = appendString(b, c.Method)
	b = append(b, `,"nodes":`...)
	b, err := c.Nodes.AppendJSON(b)
	if err != nil {
		return b, err
	}
	if len(c.Messages) > 0 {
		b = append(b, `,"messages":[`...)
		for i := range c.Messages {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendMessage(b, &c.Messages[i]); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

// AppendJSON appends the JSON encoding of the node to b and returns the extended buffer.
func (n *Node) AppendJSON(b []byte) ([]byte, error) { return n.appendJSON(b) }

// MarshalJSON writes messages as [] when there are none, and derives type from the
// attributes when it is unset.
func (n Node) MarshalJSON() ([]byte, error) {
	return n.appendJSON(make([]byte, 0, nodeSizeHint))
}

func (n *Node) appendJSON(b []byte) ([]byte, error) {
	typ := n.Type
	if typ == "" && n.Attributes != nil {
		typ = n.Attributes.NodeType()
	}
	b = append(b, `{"type":`...)
	b = appendString(b, string(typ))
	b = append(b, `,"group":`...)
	b = appendString(b, string(n.Group))
	b = append(b, `,"attributes":`...)
	b, err := appendAttributes(b, n.Attributes)
	if err != nil {
		return b, err
	}
	b = append(b, `,"messages":[`...)
	for i := range n.Messages {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendMessage(b, &n.Messages[i]); err != nil {
			return b, err
		}
	}
	b = append(b, `],"meta":{`...)
	if n.Meta.Label != nil {
		b = append(b, `"label":`...)
		if b, err = appendMessage(b, n.Meta.Label); err != nil {
			return b, err
		}
	}
	return append(b, "}}"...), nil
}

// appendAttributes encodes the known attribute types by hand (a nil pointer as null) and any
// other implementation through json.Marshal.
func appendAttributes(b []byte, attrs Attributes) ([]byte, error) {
	switch a := attrs.(type) {
	case nil:
		return append(b, "null"...), nil
	case *InputAttributes:
		if a == nil {
			return append(b, "null"...), nil
		}
		return a.appendJSON(b)
	case *TextAttributes:
		if a == nil {
			return append(b, "null"...), nil
		}
		return a.appendJSON(b)
	case *ImageAttributes:
		if a == nil {
			return append(b, "null"...), nil
		}
		return a.appendJSON(b), nil
	case *AnchorAttributes:
		if a == nil {
			return append(b, "null"...), nil
		}
		return a.appendJSON(b)
	case *ScriptAttributes:
		if a == nil {
			return append(b, "null"...), nil
		}
		return a.appendJSON(b), nil
	case *DivAttributes:
		if a == nil {
			return append(b, "null"...), nil
		}
		return a.appendJSON(b), nil
	default:
		return appendMarshalled(b, attrs)
	}
}

// MarshalJSON appends node_type.
func (a InputAttributes) MarshalJSON() ([]byte, error) {
	return a.appendJSON(make([]byte, 0, nodeSizeHint))
}

func (a *InputAttributes) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"name":`...)
	b = appendString(b, a.Name)
	b = append(b, `,"type":`...)
	b = appendString(b, a.Type)
	if a.Value != nil {
		b = append(b, `,"value":`...)
		if b, err = appendValue(b, a.Value); err != nil {
			return b, err
		}
	}
	if a.Required {
		b = append(b, `,"required":true`...)
	}
	b = appendOptionalString(b, `,"autocomplete":`, a.Autocomplete)
	b = appendOptionalString(b, `,"pattern":`, a.Pattern)
	if a.MaxLength != 0 {
		b = append(b, `,"maxlength":`...)
		b = strconv.AppendInt(b, int64(a.MaxLength), 10)
	}
	if a.Label != nil {
		b = append(b, `,"label":`...)
		if b, err = appendMessage(b, a.Label); err != nil {
			return b, err
		}
	}
	if len(a.Options) > 0 {
		b = append(b, `,"options":[`...)
		for i := range a.Options {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"value":`...)
			if b, err = appendValue(b, a.Options[i].Value); err != nil {
				return b, err
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendOptionalString(b, `,"onclick":`, a.OnClick)
	b = appendOptionalString(b, `,"onclickTrigger":`, a.OnClickTrigger)
	b = appendOptionalString(b, `,"onload":`, a.OnLoad)
	b = appendOptionalString(b, `,"onloadTrigger":`, a.OnLoadTrigger)
	b = append(b, `,"disabled":`...)
	b = strconv.AppendBool(b, a.Disabled)
	return append(b, `,"node_type":"input"}`...), nil
}

// MarshalJSON appends node_type.
func (a TextAttributes) MarshalJSON() ([]byte, error) {
	return a.appendJSON(make([]byte, 0, nodeSizeHint))
}

func (a *TextAttributes) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"text":`...)
	b, err := appendMessage(b, &a.Text)
	if err != nil {
		return b, err
	}
	b = append(b, `,"id":`...)
	b = appendString(b, a.ID)
	return append(b, `,"node_type":"text"}`...), nil
}

// MarshalJSON appends node_type.
func (a ImageAttributes) MarshalJSON() ([]byte, error) {
	return a.appendJSON(make([]byte, 0, 64+len(a.Src)+len(a.ID))), nil
}

func (a *ImageAttributes) appendJSON(b []byte) []byte {
	b = append(b, `{"src":`...)
	b = appendString(b, a.Src)
	b = append(b, `,"id":`...)
	b = appendString(b, a.ID)
	b = append(b, `,"width":`...)
	b = strconv.AppendInt(b, int64(a.Width), 10)
	b = append(b, `,"height":`...)
	b = strconv.AppendInt(b, int64(a.Height), 10)
	return append(b, `,"node_type":"img"}`...)
}

// MarshalJSON appends node_type.
func (a AnchorAttributes) MarshalJSON() ([]byte, error) {
	return a.appendJSON(make([]byte, 0, nodeSizeHint))
}

func (a *AnchorAttributes) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"href":`...)
	b = appendString(b, a.Href)
	b = append(b, `,"title":`...)
	b, err := appendMessage(b, &a.Title)
	if err != nil {
		return b, err
	}
	b = append(b, `,"id":`...)
	b = appendString(b, a.ID)
	return append(b, `,"node_type":"a"}`...), nil
}

// MarshalJSON appends node_type.
func (a ScriptAttributes) MarshalJSON() ([]byte, error) {
	return a.appendJSON(make([]byte, 0, nodeSizeHint)), nil
}

func (a *ScriptAttributes) appendJSON(b []byte) []byte {
	b = append(b, `{"src":`...)
	b = appendString(b, a.Src)
	b = append(b, `,"async":`...)
	b = strconv.AppendBool(b, a.Async)
	b = append(b, `,"referrerpolicy":`...)
	b = appendString(b, a.ReferrerPolicy)
	b = append(b, `,"crossorigin":`...)
	b = appendString(b, a.CrossOrigin)
	b = append(b, `,"integrity":`...)
	b = appendString(b, a.Integrity)
	b = append(b, `,"type":`...)
	b = appendString(b, a.Type)
	b = append(b, `,"id":`...)
	b = appendString(b, a.ID)
	b = append(b, `,"nonce":`...)
	b = appendString(b, a.Nonce)
	return append(b, `,"node_type":"script"}`...)
}

// MarshalJSON appends node_type.
func (a DivAttributes) MarshalJSON() ([]byte, error) {
	return a.appendJSON(make([]byte, 0, 128)), nil
}

func (a *DivAttributes) appendJSON(b []byte) []byte {
	b = append(b, '{')
	if a.Class != "" {
		b = append(b, `"class":`...)
		b = appendString(b, a.Class)
		b = append(b, ',')
	}
	if len(a.Data) > 0 {
		// encoding/json writes map keys in sorted order.
		b = append(b, `"data":{`...)
		for i, k := range slices.Sorted(maps.Keys(a.Data)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, a.Data[k])
		}
		b = append(b, "},"...)
	}
	b = append(b, `"id":`...)
	b = appendString(b, a.ID)
	return append(b, `,"node_type":"div"}`...)
}

// appendMessage encodes a text.Message as encoding/json does from its struct tags.
func appendMessage(b []byte, m *text.Message) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(m.ID), 10)
	b = append(b, `,"text":`...)
	b = appendString(b, m.Text)
	b = append(b, `,"type":`...)
	b = appendString(b, m.Type)
	if len(m.Context) > 0 {
		b = append(b, `,"context":`...)
		var err error
		if b, err = appendContext(b, m.Context); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// maxStackKeys bounds the contexts whose keys are sorted without a heap allocation; larger
// ones (none in the catalogue) still encode correctly, sorting a heap slice.
const maxStackKeys = 8

// appendContext encodes a message context: keys in sorted order (as encoding/json writes map
// keys), scalar values by hand and any other value through json.Marshal.
func appendContext(b []byte, ctx map[string]any) ([]byte, error) {
	var stack [maxStackKeys]string
	keys := stack[:0]
	for k := range ctx {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		var err error
		if b, err = appendValue(b, ctx[k]); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// appendValue encodes an arbitrary value: strings, booleans, integers, nil and the floats
// encoding/json writes without an exponent by hand, anything else through json.Marshal.
func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case uint:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case float64:
		// encoding/json uses the shortest 'f' form for finite values in [1e-6, 1e21) and
		// zero; exponents, NaN and infinities are left to it.
		if abs := math.Abs(x); abs == 0 || (abs >= 1e-6 && abs < 1e21) {
			return strconv.AppendFloat(b, x, 'f', -1, 64), nil
		}
	}
	return appendMarshalled(b, v)
}

// appendMarshalled appends json.Marshal's encoding of v.
func appendMarshalled(b []byte, v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, data...), nil
}

// appendOptionalString appends key and s, a field tagged omitempty, unless s is empty.
func appendOptionalString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(append(b, key...), s)
}

const hexDigits = "0123456789abcdef"

// plainASCII marks the ASCII bytes written as they are: printable characters other than the
// quote, the backslash and the HTML-significant <, > and &.
var plainASCII = func() (t [utf8.RuneSelf]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

// appendString appends s as a JSON string the way encoding/json does with HTML escaping on:
// short escapes for \" \\ \b \f \n \r \t, \u00XX for other control characters and for <, >
// and &, \u2028 and \u2029 for the line and paragraph separators, and \ufffd for each byte of
// invalid UTF-8.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plainASCII[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
