package sessionapi

import (
	"strings"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/session"
)

// expand says which expandable properties of a session a reply includes.
type expand struct {
	identity bool
	devices  bool
	// adminView keeps metadata_admin on the identity.
	adminView bool
}

var (
	expandPublic = expand{identity: true, devices: true}
	expandAll    = expand{identity: true, devices: true, adminView: true}
)

// parseExpand reads ?expand=identity&expand=devices (any case); without it nothing is expanded.
func parseExpand(values []string) (expand, error) {
	e := expand{adminView: true}
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			switch strings.ToLower(strings.TrimSpace(p)) {
			case "identity":
				e.identity = true
			case "devices":
				e.devices = true
			case "":
			default:
				return e, apierr.ErrBadRequest.WithReason("Unknown expand option %q: use identity or devices.", p)
			}
		}
	}
	return e, nil
}

// render returns the session as it goes on the wire: credentials never shown, schema_url set,
// metadata_admin only in the admin view, unexpanded properties left out.
func (h *Handler) render(s *session.Session, e expand) *session.Session {
	c := *s
	c.Identity = nil
	if e.identity && s.Identity != nil {
		c.Identity = s.Identity.Public(h.publicBaseURL)
		if e.adminView {
			c.Identity.MetadataAdmin = s.Identity.MetadataAdmin
		}
	}
	c.Devices = nil
	if e.devices {
		c.Devices = s.Devices
		if c.Devices == nil {
			c.Devices = []session.Device{}
		}
	}
	if c.AuthenticationMethods == nil {
		c.AuthenticationMethods = []session.AuthenticationMethod{}
	}
	return &c
}

func (h *Handler) renderAll(ss []*session.Session, e expand) []*session.Session {
	out := make([]*session.Session, 0, len(ss))
	for _, s := range ss {
		out = append(out, h.render(s, e))
	}
	return out
}
