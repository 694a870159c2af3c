package flow

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/text"
)

type testFlow struct {
	Base
	State string `json:"state"`
}

func TestNewBaseAndRecord(t *testing.T) {
	public := mustURL("http://127.0.0.1:4433/")
	r := httptest.NewRequest("GET", "/self-service/login/api?refresh=true", nil)
	f := &testFlow{Base: NewBase(TypeAPI, r, public, "/self-service/login", fixedNow, 10*time.Minute), State: "choose_method"}
	if f.RequestURL != "http://127.0.0.1:4433/self-service/login/api?refresh=true" {
		t.Errorf("request_url = %s", f.RequestURL)
	}
	if f.UI.Action != "http://127.0.0.1:4433/self-service/login?flow="+f.ID.String() || f.UI.Method != "POST" {
		t.Errorf("ui = %+v", f.UI)
	}
	if !f.ExpiresAt.Equal(fixedNow.Add(10*time.Minute)) || !f.IssuedAt.Equal(fixedNow) {
		t.Errorf("times %v %v", f.IssuedAt, f.ExpiresAt)
	}
	f.UI.Nodes.Append(NewCSRFNode(""))
	f.UI.AddMessage(text.NewLoginFlowExpired(fixedNow, fixedNow))

	b, _ := json.Marshal(f)
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(b, &keys)
	for _, k := range []string{"id", "organization_id", "type", "expires_at", "issued_at", "request_url", "ui", "state"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("missing key %s in %s", k, b)
		}
	}
	for _, k := range []string{"return_to", "created_at", "updated_at"} {
		if _, ok := keys[k]; ok {
			t.Errorf("unexpected key %s in %s", k, b)
		}
	}
	if string(keys["organization_id"]) != "null" {
		t.Errorf("organization_id = %s", keys["organization_id"])
	}

	rec, err := Record("login", &f.Base, nil, f)
	if err != nil || rec.ID != f.ID || rec.Kind != "login" || !rec.ExpiresAt.Equal(f.ExpiresAt) {
		t.Fatalf("Record = %+v, %v", rec, err)
	}
	var back testFlow
	if err := Decode(rec, &back); err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(back)
	if string(b) != string(b2) {
		t.Errorf("decode round trip:\n%s\n%s", b, b2)
	}
}

func TestValid(t *testing.T) {
	b := Base{ExpiresAt: fixedNow}
	if err := b.Valid(fixedNow.Add(-time.Second)); err != nil {
		t.Errorf("valid flow: %v", err)
	}
	err := b.Valid(fixedNow.Add(90 * time.Second))
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Code != 410 || ae.ID != "self_service_flow_expired" || !strings.Contains(ae.Reason, "1.50 minutes") {
		t.Fatalf("Valid = %#v", err)
	}
	if ae.Details["expired_at"] != "2026-11-24T20:00:00Z" {
		t.Errorf("details = %v", ae.Details)
	}
	if !b.Expired(fixedNow) {
		t.Error("a flow expires at its expires_at")
	}
}
