package main

import (
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"
)

// The reply mirrors a Kratos settings flow closely enough in shape and size (~6 KB) that
// encoding it costs what encoding Portico's costs.
type (
	flowReply struct {
		ID         string    `json:"id"`
		Type       string    `json:"type"`
		ExpiresAt  time.Time `json:"expires_at"`
		IssuedAt   time.Time `json:"issued_at"`
		RequestURL string    `json:"request_url"`
		UI         ui        `json:"ui"`
		Identity   identity  `json:"identity"`
		State      string    `json:"state"`
		OrgID      *string   `json:"organization_id"`
	}
	ui struct {
		Action string `json:"action"`
		Method string `json:"method"`
		Nodes  []node `json:"nodes"`
	}
	node struct {
		Type       string         `json:"type"`
		Group      string         `json:"group"`
		Attributes map[string]any `json:"attributes"`
		Messages   []any          `json:"messages"`
		Meta       map[string]any `json:"meta"`
	}
	identity struct {
		ID             string          `json:"id"`
		SchemaID       string          `json:"schema_id"`
		SchemaURL      string          `json:"schema_url"`
		State          string          `json:"state"`
		Traits         json.RawMessage `json:"traits"`
		MetadataPublic any             `json:"metadata_public"`
	}
)

type handler struct {
	db     *db
	public string
	now    func() time.Time
	// qr stands in for the TOTP QR code image Kratos puts in every settings flow; a real
	// handler would render it per flow, the floor makes it once.
	qr string
}

func newHandler(d *db, public string, now func() time.Time) (http.Handler, error) {
	img := make([]byte, 2000)
	if _, err := rand.Read(img); err != nil {
		return nil, err
	}
	h := &handler{db: d, public: public, now: now, qr: "data:image/png;base64," + base64.StdEncoding.EncodeToString(img)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /self-service/settings/browser", h.settings)
	mux.HandleFunc("GET /health/alive", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"status":"ok"}`)) })
	return mux, nil
}

func label(id int, text, typ string) map[string]any {
	return map[string]any{"label": map[string]any{"id": id, "text": text, "type": typ}}
}

func input(group, name, typ string, value any, meta map[string]any) node {
	a := map[string]any{"name": name, "type": typ, "disabled": false, "node_type": "input"}
	if value != nil {
		a["value"] = value
	}
	if meta == nil {
		meta = map[string]any{}
	}
	return node{Type: "input", Group: group, Attributes: a, Messages: []any{}, Meta: meta}
}

func writeErr(w http.ResponseWriter, status int, id, reason string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"id": id, "code": status, "status": http.StatusText(status), "reason": reason}})
}

// settings is createBrowserSettingsFlow over AJAX, reduced to its floor.
func (h *handler) settings(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	token := r.Header.Get("X-Session-Token")
	if c, err := r.Cookie("ory_kratos_session"); err == nil {
		token = c.Value
	}
	now := h.now().UTC()
	s, err := h.db.session(ctx, token)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !s.expiresAt.After(now)) {
		writeErr(w, http.StatusUnauthorized, "session_inactive", "No active session was found in this request.")
		return
	}
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "", "could not read the session")
		return
	}
	var raw [32]byte
	_, _ = rand.Read(raw[:])
	csrf := base64.StdEncoding.EncodeToString(raw[:])
	id := uuid.NewString()
	expires := now.Add(time.Hour)
	var traits struct {
		Email string `json:"email"`
		Name  struct{ First, Last string }
	}
	_ = json.Unmarshal([]byte(s.traits), &traits)
	f := flowReply{
		ID: id, Type: "browser", ExpiresAt: expires, IssuedAt: now, RequestURL: h.public + r.URL.RequestURI(), State: "show_form",
		UI: ui{Action: h.public + "/self-service/settings?flow=" + id, Method: "POST", Nodes: []node{
			input("default", "csrf_token", "hidden", csrf, nil),
			input("profile", "traits.email", "email", traits.Email, label(1070002, "E-Mail", "info")),
			input("profile", "traits.name.first", "text", traits.Name.First, label(1070002, "First Name", "info")),
			input("profile", "traits.name.last", "text", traits.Name.Last, label(1070002, "Last Name", "info")),
			input("profile", "method", "submit", "profile", label(1070003, "Save", "info")),
			input("password", "password", "password", nil, label(1070001, "Password", "info")),
			input("password", "method", "submit", "password", label(1070003, "Save", "info")),
			input("lookup_secret", "lookup_secret_regenerate", "submit", true, label(1050008, "Generate new backup recovery codes", "info")),
			{Type: "img", Group: "totp", Attributes: map[string]any{"id": "totp_qr", "src": h.qr, "width": 256, "height": 256, "node_type": "img"},
				Messages: []any{}, Meta: label(1050005, "Authenticator app QR code", "info")},
			{Type: "text", Group: "totp", Attributes: map[string]any{"id": "totp_secret_key", "text": map[string]any{"id": 1050006, "text": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "type": "info"}, "node_type": "text"},
				Messages: []any{}, Meta: label(1050017, "This is your authenticator app secret. Use it if you can not scan the QR code.", "info")},
			input("totp", "totp_code", "text", nil, label(1070006, "Verify code", "info")),
			input("totp", "method", "submit", "totp", label(1070003, "Save", "info")),
		}},
		Identity: identity{ID: s.identityID, SchemaID: "default", SchemaURL: h.public + "/schemas/ZGVmYXVsdA", State: "active", Traits: json.RawMessage(s.traits)},
	}
	body, err := json.Marshal(f)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "", "could not encode the flow")
		return
	}
	if err := h.db.createFlow(ctx, id, s.identityID, expires, body); err != nil {
		writeErr(w, http.StatusInternalServerError, "", "could not store the flow")
		return
	}
	csrfHash := sha256.Sum256([]byte(h.public))
	http.SetCookie(w, &http.Cookie{Name: "csrf_token_" + hex.EncodeToString(csrfHash[:]), Value: csrf, Path: "/", MaxAge: 31536000, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "private, no-cache, no-store, must-revalidate")
	_, _ = w.Write(body)
}
