package profile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/settings"
	"github.com/portico-auth/portico/internal/schema"
	"github.com/portico-auth/portico/internal/text"
)

// OwnNodesOnly implements settings.OwnNodesOnly: Update changes only the profile nodes' values
// and messages (a problem's path always starts with "traits"), decoded first (f.OwnNodes),
// and the flow's messages.
func (m *Method) OwnNodesOnly() {}

// Update implements settings.Method: it validates the submitted traits against the schema,
// asks for a privileged session when a login identifier changes, and stores them.
func (m *Method) Update(ctx context.Context, f *settings.Flow, sub *settings.Submission) error {
	s, err := m.schemaOf(sub.Identity)
	if err != nil {
		return err
	}
	fields := s.TraitFields()
	traits, ok := sub.Body["traits"].(map[string]any)
	if !ok {
		f.UI.AddMessage(text.NewRequired("traits"))
		return settings.ErrInvalid
	}
	if sub.Body.IsForm() {
		s.CoerceForm(traits)
	}
	// A refused form shows what was submitted, so that the value can be corrected.
	refuse := func() error {
		if err := f.OwnNodes(); err != nil {
			return err
		}
		for _, fld := range fields {
			if n := f.UI.Nodes.FindIn(flow.GroupProfile, fld.Path); n != nil && n.Input() != nil {
				n.Input().Value = valueAt(traits, fld.Path)
			}
		}
		return settings.ErrInvalid
	}
	raw, err := json.Marshal(traits)
	if err != nil {
		return apierr.ErrBadRequest.WithReason("The traits could not be encoded.").WithCause(err)
	}
	if err := s.ValidateTraits(raw); err != nil {
		if err := f.OwnNodes(); err != nil {
			return err
		}
		if showProblems(f, err) {
			return refuse()
		}
		return err
	}
	changed, err := changedIdentifiers(s, sub.Identity.Traits, raw)
	if err != nil {
		return err
	}
	if len(changed) > 0 {
		if err := sub.RequirePrivileged(); err != nil {
			return err
		}
	}
	updated := *sub.Identity
	updated.Traits = raw
	if err := sub.Finish(ctx, &updated); err != nil {
		if err := f.OwnNodes(); err != nil {
			return err
		}
		switch {
		case errors.Is(err, apierr.ErrConflict) && !isStale(err):
			node := firstIdentifierNode(fields, changed)
			if node == "" || !f.UI.Nodes.AddMessage(node, text.NewDuplicateCredentials()) {
				f.UI.AddMessage(text.NewDuplicateCredentials())
			}
			return refuse()
		case showProblems(f, err):
			return refuse()
		}
		return fmt.Errorf("update traits: %w", err)
	}
	*sub.Identity = updated
	return nil
}

// isStale tells a concurrent-update conflict (version mismatch) from a duplicate identifier.
func isStale(err error) bool {
	r := strings.ToLower(apierr.From(err).Reason)
	return strings.Contains(r, "concurrent") || strings.Contains(r, "someone else")
}

// showProblems puts schema problems on their nodes (or on the flow) and reports whether err
// was a validation error.
func showProblems(f *settings.Flow, err error) bool {
	var ve *schema.ValidationError
	if !errors.As(err, &ve) {
		return false
	}
	for _, p := range ve.Problems {
		msg := text.New(p.MessageID, p.Context)
		if p.Path == "" || !f.UI.Nodes.AddMessage(p.Path, msg) {
			f.UI.AddMessage(msg)
		}
	}
	return true
}

// changedIdentifiers lists the login identifiers that differ between the old and new traits.
func changedIdentifiers(s *schema.Schema, old, new json.RawMessage) ([]string, error) {
	a, err := s.Extract(old)
	if err != nil {
		return nil, err
	}
	b, err := s.Extract(new)
	if err != nil {
		return nil, err
	}
	var out []string
	diff := func(x, y []string) {
		for _, v := range y {
			if !slices.Contains(x, v) {
				out = append(out, v)
			}
		}
		for _, v := range x {
			if !slices.Contains(y, v) {
				out = append(out, v)
			}
		}
	}
	diff(a.PasswordIdentifiers, b.PasswordIdentifiers)
	diff(a.WebAuthnIdentifiers, b.WebAuthnIdentifiers)
	codes := func(as []schema.Address) []string {
		vs := make([]string, len(as))
		for i, c := range as {
			vs[i] = c.Via + ":" + c.Value
		}
		return vs
	}
	diff(codes(a.CodeIdentifiers), codes(b.CodeIdentifiers))
	return out, nil
}

// firstIdentifierNode names the node to blame for a duplicate identifier: the first identifier
// trait (a changed one is the likely culprit, but the store does not say which).
func firstIdentifierNode(fields []schema.TraitField, changed []string) string {
	for _, fld := range fields {
		if fld.IsPasswordIdentifier || fld.IsWebAuthnIdentifier || fld.IsCodeIdentifier {
			return fld.Path
		}
	}
	return ""
}
