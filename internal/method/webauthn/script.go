package webauthn

import (
	"crypto/rand"
	"crypto/sha512"
	_ "embed"
	"encoding/base64"
	"net/http"
	"net/url"

	"github.com/portico-auth/portico/internal/flow"
)

// ScriptPath is where the browser script is served on the public listener.
const ScriptPath = "/.well-known/ory/webauthn.js"

//go:embed assets/webauthn.js
var script []byte

// scriptIntegrity is the Subresource Integrity value of the script.
var scriptIntegrity = func() string {
	sum := sha512.Sum512(script)
	return "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
}()

// Script returns the script's bytes and its integrity value.
func Script() ([]byte, string) { return script, scriptIntegrity }

// RegisterScript serves the script at ScriptPath.
func RegisterScript(mux *http.ServeMux) {
	mux.HandleFunc("GET "+ScriptPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("Access-Control-Allow-Origin", "*") // loaded with crossorigin="anonymous"
		_, _ = w.Write(script)
	})
}

// ScriptNode is the script node that loads the helper, in group g.
func ScriptNode(public *url.URL, g flow.Group) flow.Node {
	return flow.NewScriptNode(g, flow.ScriptAttributes{
		Src:            flow.JoinPath(public, ScriptPath),
		Async:          true,
		ReferrerPolicy: "no-referrer",
		CrossOrigin:    "anonymous",
		Integrity:      scriptIntegrity,
		Type:           "text/javascript",
		ID:             "webauthn_script",
		Nonce:          nonce(),
	})
}

func nonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
