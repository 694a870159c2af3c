package settings

import (
	"bytes"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/text"
)

// TestEncodeShowingReusesTheNodes: a success (done) that shows a fresh flow's nodes (next) is
// encoded from next's node JSON, not by encoding every node again, and its Data, reply and
// sealed secret nodes are what encoding it from scratch gives.
func TestEncodeShowingReusesTheNodes(t *testing.T) {
	sl := newSealer([]string{"a-test-cookie-secret-of-32-chars"})
	public, _ := url.Parse("http://localhost/")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	owner := uuid.New()
	mk := func(state State) *stored {
		s := &stored{Flow: Flow{Base: flow.Base{ID: uuid.New(), Type: flow.TypeAPI, ExpiresAt: now.Add(time.Hour), IssuedAt: now,
			RequestURL: public.String(), UI: flow.Container{Action: "http://localhost/self-service/settings?flow=x", Method: "POST"}}, State: state}, owner: &owner}
		return s
	}
	next := mk(StateShowForm)
	next.UI.Nodes.Append(flow.NewCSRFNode("token"))
	next.AppendSecret(flow.NewImageNode(flow.GroupTOTP, "totp_qr", "data:image/png;base64,AAAA", 256, 256, nil),
		flow.NewTextNode(flow.GroupTOTP, "totp_secret_key", text.Message{ID: 1, Text: "JBSWY3DPEHPK3PXP", Type: "info"}, nil))
	next.UI.Nodes.Append(flow.NewTextNode(flow.GroupProfile, "note", text.Message{ID: 2, Text: "public", Type: "info"}, nil))
	next.SetInternalJSON("totp", []byte(`{"secret":"JBSWY3DPEHPK3PXP"}`))
	next.bodyless = true
	ne, err := encode(next, sl)
	if err != nil {
		t.Fatal(err)
	}
	if ne.body != nil {
		t.Error("a bodyless flow got a reply body")
	}

	done := mk(StateSuccess)
	done.showNext(&next.Flow)
	e, err := encodeShowing(done, sl, ne)
	if err != nil {
		t.Fatal(err)
	}
	if &e.nodes.all[0] != &ne.nodes.all[0] {
		t.Error("the nodes were encoded again")
	}
	fresh, err := encode(done, sl)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(e.rec.Data, fresh.rec.Data) || !bytes.Equal(e.body, fresh.body) {
		t.Errorf("from next's nodes:\n%s\n%s\nfrom scratch:\n%s\n%s", e.rec.Data, e.body, fresh.rec.Data, fresh.body)
	}
	back, err := decode(e.rec, sl)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(back.UI.Nodes), len(done.UI.Nodes); got != want || !bytes.Contains(e.body, []byte("JBSWY3DPEHPK3PXP")) ||
		bytes.Contains(e.rec.Data, []byte("JBSWY3DPEHPK3PXP")) {
		t.Errorf("done read back with %d nodes (want %d); secret in reply %v, in Data %v", got, want,
			bytes.Contains(e.body, []byte("JBSWY3DPEHPK3PXP")), bytes.Contains(e.rec.Data, []byte("JBSWY3DPEHPK3PXP")))
	}

	// Nodes that are not the other flow's (another count) are encoded afresh.
	done.UI.Nodes = append(flow.Nodes{}, done.UI.Nodes[:2]...)
	e, err = encodeShowing(done, sl, ne)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.nodes.ends) != 2 {
		t.Errorf("encoded %d nodes, want 2", len(e.nodes.ends))
	}
}
