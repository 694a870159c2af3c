package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/golden"
	"github.com/portico-auth/portico/internal/courier"
	"github.com/portico-auth/portico/internal/courier/couriertest"
)

// TestCourierMessagesAPI goes through Kratos's courier admin API: a message queued by a flow is
// listed (filtered by status and recipient, in pages) and read with its dispatches, in Kratos's
// message shape.
func TestCourierMessagesAPI(t *testing.T) {
	box := couriertest.Start(t, couriertest.Options{Reject: []string{"gone@example.com"}})
	s := apptest.Start(t, apptest.WithEnv("COURIER_SMTP_CONNECTION_URI", box.URI()), apptest.WithCourierWorker())
	enqueue := func(to, code string) string {
		s.Clock.Advance(time.Second) // newest first: each message a second after the last
		m, err := s.App.Courier.Enqueue(t.Context(), courier.Request{Template: courier.RecoveryCodeValid, To: to,
			Data: courier.TemplateData{RecoveryCode: code, ExpiresInMinutes: 15}})
		if err != nil {
			t.Fatal(err)
		}
		return m.ID.String()
	}
	first := enqueue("ann@example.com", "135790")
	box.WaitFor("ann@example.com", 10*time.Second)
	gone := enqueue("gone@example.com", "246802")
	enqueue("bob@example.com", "112233")
	box.WaitFor("bob@example.com", 10*time.Second)
	adm := s.Native(t)
	waitStatus := func(id, status string) map[string]any {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			r := adm.Get(s.AdminURL("/admin/courier/messages/" + id))
			if r.StatusCode != http.StatusOK {
				t.Fatalf("get message: %d %s", r.StatusCode, r.Body)
			}
			m := r.Map(t)
			if m["status"] == status {
				if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
					t.Fatalf("Cache-Control = %q", cc)
				}
				return m
			}
			if time.Now().After(deadline) {
				t.Fatalf("message %s is %v, want %s", id, m["status"], status)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	sent := waitStatus(first, "sent")
	if sent["body"] == nil || !strings.Contains(sent["body"].(string), "135790") || sent["subject"] != "Your recovery code" {
		t.Fatalf("sent message = %v", sent)
	}
	golden.Value(t, "testdata/courier-message-sent.golden.json", golden.Normalise(sent))
	abandoned := waitStatus(gone, "abandoned")
	d := abandoned["dispatches"].([]any)[0].(map[string]any)
	if d["status"] != "failed" || !strings.Contains(d["error"].(map[string]any)["message"].(string), "550") {
		t.Fatalf("abandoned message dispatch = %v", d)
	}

	list := func(query string) ([]map[string]any, *apptest.Response) {
		t.Helper()
		r := adm.Get(s.AdminURL("/admin/courier/messages" + query))
		if r.StatusCode != http.StatusOK {
			t.Fatalf("list %s: %d %s", query, r.StatusCode, r.Body)
		}
		var out []map[string]any
		r.JSON(t, &out)
		return out, r
	}
	all, r := list("")
	if len(all) != 3 || all[0]["recipient"] != "bob@example.com" || all[2]["recipient"] != "ann@example.com" ||
		!strings.Contains(r.Header.Get("Cache-Control"), "no-store") {
		t.Fatalf("list = %v", all)
	}
	for _, m := range all {
		if _, ok := m["dispatches"]; ok {
			t.Fatalf("a listed message carries dispatches: %v", m)
		}
	}
	if got, _ := list("?status=abandoned"); len(got) != 1 || got[0]["id"] != gone {
		t.Fatalf("status filter = %v", got)
	}
	if got, _ := list("?recipient=" + url.QueryEscape("ann@example.com")); len(got) != 1 || got[0]["id"] != first {
		t.Fatalf("recipient filter = %v", got)
	}
	page, r := list("?page_size=2")
	link := r.Header.Get("Link")
	if len(page) != 2 || !strings.Contains(link, `rel="next"`) {
		t.Fatalf("first page = %d, Link %q", len(page), link)
	}
	next := link[strings.LastIndex(link, "<")+1 : strings.LastIndex(link, ">")]
	u, err := url.Parse(next)
	if err != nil {
		t.Fatal(err)
	}
	if page2, _ := list("?" + u.RawQuery); len(page2) != 1 || page2[0]["id"] != first {
		t.Fatalf("second page = %v", page2)
	}

	for _, tc := range []struct {
		path string
		code int
	}{
		{"/admin/courier/messages?status=lost", http.StatusBadRequest},
		{"/admin/courier/messages?page_size=0", http.StatusBadRequest},
		{"/admin/courier/messages?page_token=%21%21", http.StatusBadRequest},
		{"/admin/courier/messages?recipient=" + strings.Repeat("a", 400), http.StatusBadRequest},
		{"/admin/courier/messages/not-a-uuid", http.StatusNotFound},
		{"/admin/courier/messages/" + "00000000-0000-4000-8000-000000000000", http.StatusNotFound},
	} {
		r := adm.Get(s.AdminURL(tc.path))
		if r.StatusCode != tc.code || !strings.Contains(string(r.Body), `"error"`) {
			t.Errorf("%s: %d %s, want %d with Kratos's error shape", tc.path, r.StatusCode, r.Body, tc.code)
		}
	}
}
