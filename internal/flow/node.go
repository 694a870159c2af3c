package flow

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/portico-auth/portico/internal/text"
)

// NodeType is a node's kind, mirrored in its attributes' node_type.
type NodeType string

// Node types.
const (
	NodeInput  NodeType = "input"
	NodeText   NodeType = "text"
	NodeImage  NodeType = "img"
	NodeAnchor NodeType = "a"
	NodeScript NodeType = "script"
	NodeDiv    NodeType = "div"
)

// Group names the method a node belongs to.
type Group string

// Node groups.
const (
	GroupDefault         Group = "default"
	GroupProfile         Group = "profile"
	GroupPassword        Group = "password"
	GroupTOTP            Group = "totp"
	GroupLookup          Group = "lookup_secret"
	GroupWebAuthn        Group = "webauthn"
	GroupPasskey         Group = "passkey"
	GroupOIDC            Group = "oidc"
	GroupCode            Group = "code"
	GroupLink            Group = "link"
	GroupIdentifierFirst Group = "identifier_first"
	GroupCaptcha         Group = "captcha"
	// GroupDeleteAccount is Portico's own settings group: deleting the account.
	GroupDeleteAccount Group = "delete_account"
)

// Attributes is one of *InputAttributes, *TextAttributes, *ImageAttributes,
// *AnchorAttributes, *ScriptAttributes, *DivAttributes.
type Attributes interface {
	NodeType() NodeType
	// ID identifies the node within its group: an input's name, another node's id.
	NodeID() string
}

// Meta holds a node's label; it is serialised as {} without one.
type Meta struct {
	Label *text.Message `json:"label,omitempty"`
}

// Node is one element of a flow's UI (Kratos's uiNode).
type Node struct {
	Type       NodeType       `json:"type"`
	Group      Group          `json:"group"`
	Attributes Attributes     `json:"attributes"`
	Messages   []text.Message `json:"messages"`
	Meta       Meta           `json:"meta"`
}

// UnmarshalJSON picks the attribute type from node_type (or, failing that, the node's type).
func (n *Node) UnmarshalJSON(b []byte) error {
	var raw struct {
		Type       NodeType        `json:"type"`
		Group      Group           `json:"group"`
		Attributes json.RawMessage `json:"attributes"`
		Messages   []text.Message  `json:"messages"`
		Meta       Meta            `json:"meta"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	kind, err := attributesNodeType(raw.Attributes)
	if err != nil {
		return err
	}
	if kind == "" {
		kind = raw.Type
	}
	var attrs Attributes
	switch kind {
	case NodeInput:
		attrs = &InputAttributes{}
	case NodeText:
		attrs = &TextAttributes{}
	case NodeImage:
		attrs = &ImageAttributes{}
	case NodeAnchor:
		attrs = &AnchorAttributes{}
	case NodeScript:
		attrs = &ScriptAttributes{}
	case NodeDiv:
		attrs = &DivAttributes{}
	default:
		return fmt.Errorf("decode node: unknown node type %q", kind)
	}
	if len(raw.Attributes) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw.Attributes))
		dec.UseNumber()
		if err := dec.Decode(attrs); err != nil {
			return fmt.Errorf("decode %s attributes: %w", kind, err)
		}
	}
	if raw.Type == "" {
		raw.Type = kind
	}
	*n = Node{Type: raw.Type, Group: raw.Group, Attributes: attrs, Messages: raw.Messages, Meta: raw.Meta}
	return nil
}

// attributesNodeType returns the node_type of a node's attributes object ("" when it has
// none). Every encoder of nodes (ours and Kratos's) writes node_type as the object's last
// member, so it is read from the end, without a decoding pass over the attributes: the object
// ends with "node_type":"<plain string>"} and the key follows a ',' or the '{', so neither
// can be inside a string (a quote there is escaped). A later member wins in encoding/json
// too, and this is the last. Anything else (escapes, spaces, another order) is decoded.
func attributesNodeType(attrs json.RawMessage) (NodeType, error) {
	if len(attrs) == 0 {
		return "", nil
	}
	const key = `"node_type":"`
	if end := len(attrs) - 2; end > len(key) && attrs[end] == '"' && attrs[end+1] == '}' {
		if start := bytes.LastIndexByte(attrs[:end], '"') + 1; start >= len(key) &&
			bytes.IndexByte(attrs[start:end], '\\') < 0 && string(attrs[start-len(key):start]) == key &&
			start > len(key) && (attrs[start-len(key)-1] == ',' || attrs[start-len(key)-1] == '{') {
			return NodeType(attrs[start:end]), nil
		}
	}
	var head struct {
		NodeType NodeType `json:"node_type"`
	}
	if err := json.Unmarshal(attrs, &head); err != nil {
		return "", fmt.Errorf("decode node attributes: %w", err)
	}
	return head.NodeType, nil
}

// Input returns the node's input attributes, or nil for other node types.
func (n *Node) Input() *InputAttributes {
	a, _ := n.Attributes.(*InputAttributes)
	return a
}

// ID is the node's identifier within its group (see Attributes.NodeID).
func (n *Node) ID() string {
	if n.Attributes == nil {
		return ""
	}
	return n.Attributes.NodeID()
}

// InputAttributes are the attributes of an input node. Value is omitted when nil (a password
// input has no value key) and written when set, even to "" (the hidden csrf_token of an API flow).
type InputAttributes struct {
	Name           string        `json:"name"`
	Type           string        `json:"type"`
	Value          any           `json:"value,omitempty"`
	Required       bool          `json:"required,omitempty"`
	Autocomplete   string        `json:"autocomplete,omitempty"`
	Pattern        string        `json:"pattern,omitempty"`
	MaxLength      int           `json:"maxlength,omitempty"`
	Label          *text.Message `json:"label,omitempty"`
	Options        []InputOption `json:"options,omitempty"`
	OnClick        string        `json:"onclick,omitempty"`
	OnClickTrigger string        `json:"onclickTrigger,omitempty"`
	OnLoad         string        `json:"onload,omitempty"`
	OnLoadTrigger  string        `json:"onloadTrigger,omitempty"`
	Disabled       bool          `json:"disabled"`
}

// InputOption is one allowed value of an input whose schema has an enum.
type InputOption struct {
	Value any `json:"value"`
}

// Input types and autocomplete values used by Portico's methods.
const (
	InputText     = "text"
	InputPassword = "password"
	InputEmail    = "email"
	InputHidden   = "hidden"
	InputSubmit   = "submit"
	InputNumber   = "number"
	InputCheckbox = "checkbox"
	InputButton   = "button"
	InputTel      = "tel"
	InputURL      = "url"

	AutocompleteEmail           = "email"
	AutocompleteUsername        = "username"
	AutocompleteCurrentPassword = "current-password"
	AutocompleteNewPassword     = "new-password"
	AutocompleteOneTimeCode     = "one-time-code"
)

// NodeType implements Attributes.
func (*InputAttributes) NodeType() NodeType { return NodeInput }

// ID implements Attributes.
func (a *InputAttributes) NodeID() string { return a.Name }

// TextAttributes are the attributes of a text node.
type TextAttributes struct {
	Text text.Message `json:"text"`
	ID   string       `json:"id"`
}

// NodeType implements Attributes.
func (*TextAttributes) NodeType() NodeType { return NodeText }

// ID implements Attributes.
func (a *TextAttributes) NodeID() string { return a.ID }

// ImageAttributes are the attributes of an img node.
type ImageAttributes struct {
	Src    string `json:"src"`
	ID     string `json:"id"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// NodeType implements Attributes.
func (*ImageAttributes) NodeType() NodeType { return NodeImage }

// ID implements Attributes.
func (a *ImageAttributes) NodeID() string { return a.ID }

// AnchorAttributes are the attributes of an a node.
type AnchorAttributes struct {
	Href  string       `json:"href"`
	Title text.Message `json:"title"`
	ID    string       `json:"id"`
}

// NodeType implements Attributes.
func (*AnchorAttributes) NodeType() NodeType { return NodeAnchor }

// ID implements Attributes.
func (a *AnchorAttributes) NodeID() string { return a.ID }

// ScriptAttributes are the attributes of a script node.
type ScriptAttributes struct {
	Src            string `json:"src"`
	Async          bool   `json:"async"`
	ReferrerPolicy string `json:"referrerpolicy"`
	CrossOrigin    string `json:"crossorigin"`
	Integrity      string `json:"integrity"`
	Type           string `json:"type"`
	ID             string `json:"id"`
	Nonce          string `json:"nonce"`
}

// NodeType implements Attributes.
func (*ScriptAttributes) NodeType() NodeType { return NodeScript }

// ID implements Attributes.
func (a *ScriptAttributes) NodeID() string { return a.ID }

// DivAttributes are the attributes of a div node (a hook for interactive widgets).
type DivAttributes struct {
	Class string            `json:"class,omitempty"`
	Data  map[string]string `json:"data,omitempty"`
	ID    string            `json:"id"`
}

// NodeType implements Attributes.
func (*DivAttributes) NodeType() NodeType { return NodeDiv }

// ID implements Attributes.
func (a *DivAttributes) NodeID() string { return a.ID }
