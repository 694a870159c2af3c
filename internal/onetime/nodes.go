package onetime

import (
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/schema"
	"github.com/portico-auth/portico/internal/text"
)

// group is the node group of a method.
func group(method string) flow.Group {
	if method == MethodLink {
		return flow.GroupLink
	}
	return flow.GroupCode
}

// AskAddressNodes are the nodes of a flow choosing its method: the email input (with value
// when the flow knows it) and the method's submit button.
func AskAddressNodes(ns *flow.Nodes, method, email string) {
	g := group(method)
	label := text.New(text.InfoNodeLabelEmail, nil)
	a := flow.InputAttributes{Name: "email", Type: flow.InputEmail, Required: true, Autocomplete: flow.AutocompleteEmail}
	if email != "" {
		a.Value = email
	}
	ns.Append(flow.NewInput(g, a, &label), flow.NewSubmit(g, method, text.New(text.InfoNodeLabelSubmit, nil)))
}

// AskCodeNodes are the nodes of a flow that sent a code to email: the code input (labelled
// codeLabel), the method, the submit button, and a button that sends a new code.
func AskCodeNodes(ns *flow.Nodes, email string, codeLabel text.Message) {
	resend := text.New(text.InfoNodeLabelResendOTP, nil)
	ns.Append(
		flow.NewInput(flow.GroupCode, flow.InputAttributes{Name: "code", Type: flow.InputText, Required: true,
			Pattern: "[0-9]+", MaxLength: Digits, Autocomplete: flow.AutocompleteOneTimeCode}, &codeLabel),
		flow.NewInput(flow.GroupCode, flow.InputAttributes{Name: "method", Type: flow.InputHidden, Value: MethodCode}, nil),
		flow.NewSubmit(flow.GroupCode, MethodCode, text.New(text.InfoNodeLabelSubmit, nil)),
		flow.NewInput(flow.GroupCode, flow.InputAttributes{Name: "email", Type: flow.InputSubmit, Value: email}, &resend),
	)
}

// ContinueNode is the link a completed flow offers to where the person goes next.
func ContinueNode(ns *flow.Nodes, method, href string) {
	ns.Append(flow.NewAnchorNode(group(method), "continue", href, text.New(text.InfoNodeLabelContinue, nil)))
}

// NormalizeEmail is a submitted address in the form addresses are stored in (see
// schema.NormalizeValue), and whether it has the shape of an email address at all.
func NormalizeEmail(s string) (string, bool) {
	if len(s) > 320 {
		return "", false
	}
	a := schema.NormalizeValue(s, true)
	return a, schema.LooksLikeEmail(a)
}

// CheckEmail reads the address a person typed into the input named input: the address as
// stored (NormalizeEmail), or a form error on that input (required, or not an address) with
// the typed value kept on the flow's nodes.
func CheckEmail(ns flow.Nodes, input, raw string) (string, *flow.FormError) {
	address, ok := NormalizeEmail(raw)
	if ok {
		return address, nil
	}
	fe := &flow.FormError{}
	if raw == "" {
		fe.AddNode(input, text.NewRequired(input))
	} else {
		fe.AddNode(input, text.NewInvalidEmail(raw))
	}
	ns.SetValue(input, raw)
	return "", fe
}
