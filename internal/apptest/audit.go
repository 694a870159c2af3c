package apptest

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"strconv"
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

// FailedSignIns counts the stored sign_in_failed events of method: those under an identity
// and those under none (an attempt that named no identity). The database may be shared
// (PORTICO_TEST_DSN): compare counts taken before and after.
func (s *Server) FailedSignIns(t testing.TB, method string) (named, anonymous int) {
	t.Helper()
	db := s.App.Store.(interface{ DB() *sql.DB }).DB()
	rows, err := db.Query("SELECT identity_id IS NULL, details FROM audit_events WHERE type = 'sign_in_failed'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var none bool
		var details string
		if err := rows.Scan(&none, &details); err != nil {
			t.Fatal(err)
		}
		var d struct{ Method string }
		if err := json.Unmarshal([]byte(details), &d); err != nil || d.Method != method {
			continue
		}
		if none {
			anonymous++
		} else {
			named++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return named, anonymous
}

// Unstored reads the count of audit events of type typ and method that named no identity and
// were not stored (the portico_audit_events_unstored_total metric), 0 before the first.
func (s *Server) Unstored(t testing.TB, typ, method string) int {
	t.Helper()
	body := string(s.Native(t).Get(s.AdminURL("/admin/metrics/prometheus")).Body)
	prefix := `portico_audit_events_unstored_total{method="` + method + `",type="` + typ + `"} `
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", line, err)
			}
			return int(n)
		}
	}
	return 0
}
