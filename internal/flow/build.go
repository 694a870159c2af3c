package flow

import "github.com/portico-auth/portico/internal/text"

func labelled(m *text.Message) Meta {
	if m == nil {
		return Meta{}
	}
	c := *m
	return Meta{Label: &c}
}

// NewInput builds an input node; label may be nil.
func NewInput(group Group, attrs InputAttributes, label *text.Message) Node {
	return Node{Type: NodeInput, Group: group, Attributes: &attrs, Meta: labelled(label)}
}

// NewCSRFNode builds the hidden csrf_token input of the default group, as every flow has one:
// token is the masked token of a browser flow and "" for an API flow.
func NewCSRFNode(token string) Node {
	return NewInput(GroupDefault, InputAttributes{Name: "csrf_token", Type: InputHidden, Value: token, Required: true}, nil)
}

// NewSubmit builds the "method" submit button of a method's group.
func NewSubmit(group Group, value string, label text.Message) Node {
	return NewInput(group, InputAttributes{Name: "method", Type: InputSubmit, Value: value}, &label)
}

// NewTextNode builds a text node.
func NewTextNode(group Group, id string, t text.Message, label *text.Message) Node {
	return Node{Type: NodeText, Group: group, Attributes: &TextAttributes{Text: t, ID: id}, Meta: labelled(label)}
}

// NewImageNode builds an img node.
func NewImageNode(group Group, id, src string, width, height int, label *text.Message) Node {
	return Node{Type: NodeImage, Group: group, Attributes: &ImageAttributes{Src: src, ID: id, Width: width, Height: height}, Meta: labelled(label)}
}

// NewAnchorNode builds an a node.
func NewAnchorNode(group Group, id, href string, title text.Message) Node {
	return Node{Type: NodeAnchor, Group: group, Attributes: &AnchorAttributes{Href: href, Title: title, ID: id}}
}

// NewScriptNode builds a script node.
func NewScriptNode(group Group, attrs ScriptAttributes) Node {
	return Node{Type: NodeScript, Group: group, Attributes: &attrs}
}
