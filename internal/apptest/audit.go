package apptest

import (
	"net/http"
	"strings"
	"testing"
)

// AuditTypes returns the types of the audit events of the identity with the verifiable
// address (as GET /admin/identities/{id}/events lists them, newest first), joined by spaces;
// "" when no identity has it or it has no events.
func (s *Server) AuditTypes(t testing.TB, address string) string {
	t.Helper()
	admin := s.Native(t)
	id := ""
	var all []struct {
		ID        string
		Addresses []struct{ Value string } `json:"verifiable_addresses"`
	}
	admin.Get(s.AdminURL("/admin/identities?page_size=1000")).JSON(t, &all)
	for _, ident := range all {
		for _, a := range ident.Addresses {
			if strings.EqualFold(a.Value, address) {
				id = ident.ID
			}
		}
	}
	if id == "" {
		return ""
	}
	res := admin.Get(s.AdminURL("/admin/identities/" + id + "/events"))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("events: %d %s", res.StatusCode, res.Body)
	}
	var evs []struct{ Type string }
	res.JSON(t, &evs)
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type
	}
	return strings.Join(out, " ")
}
