package oidc

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/schema"
	"github.com/portico-auth/portico/internal/text"
)

// create makes a new identity from provider account c: the mapper turns the claims into
// traits (and metadata, and the addresses the provider vouches for), the account becomes its
// oidc credential. A taken identifier (an e-mail address another identity holds) is
// apierr.ErrConflict; traits the schema refuses are a form error.
func (s *Strategy) create(ctx context.Context, p Provider, c *Claims, tok *oauth2.Token) (*identity.Identity, error) {
	mapped, err := s.mappers[p.Config().ID].Map(ctx, c)
	if err != nil {
		return nil, s.providerFailure(ctx, p, err)
	}
	now := s.now()
	ident := &identity.Identity{
		ID: uuid.New(), SchemaID: s.Schemas.Default().ID, Traits: mapped.Traits,
		MetadataPublic: mapped.MetadataPublic, MetadataAdmin: mapped.MetadataAdmin,
	}
	for _, a := range mapped.VerifiedAddresses {
		via := a.Via
		if via == "" {
			via = "email"
		}
		ident.VerifiableAddresses = append(ident.VerifiableAddresses, identity.VerifiableAddress{
			Value: a.Value, Via: via, Verified: true, Status: "completed", VerifiedAt: &now, CreatedAt: now, UpdatedAt: now,
		})
	}
	if err := s.link(ident, p.Config().ID, c.Subject, tok, now); err != nil {
		return nil, err
	}
	err = s.Manager.Create(ctx, ident, identity.CreateOptions{})
	var ve *schema.ValidationError
	switch {
	case errors.As(err, &ve):
		return nil, flow.NewFormError(text.NewGeneric(fmt.Sprintf(
			"The profile %s shared cannot be used to sign up: %s", label(p), strings.Join(problems(ve), "; "))))
	case errors.Is(err, apierr.ErrBadRequest):
		return nil, s.providerFailure(ctx, p, err)
	case err != nil:
		return nil, err
	}
	return ident, nil
}

// problems are a validation error's messages as text.
func problems(ve *schema.ValidationError) []string {
	fe := &flow.FormError{}
	fe.AddProblems(ve)
	var out []string
	for _, m := range fe.Messages {
		out = append(out, m.Text)
	}
	for node, ms := range fe.Nodes {
		for _, m := range ms {
			out = append(out, node+": "+m.Text)
		}
	}
	return out
}
