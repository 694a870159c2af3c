package flow

import "github.com/google/uuid"

// ContinueWith is one item of a success reply's continue_with (Kratos's continueWith): the
// action and the one field that goes with it.
type ContinueWith struct {
	Action            string            `json:"action"`
	OrySessionToken   string            `json:"ory_session_token,omitempty"`
	RedirectBrowserTo string            `json:"redirect_browser_to,omitempty"`
	Flow              *ContinueWithFlow `json:"flow,omitempty"`
}

// ContinueWithFlow is the flow a show_verification_ui, show_settings_ui or show_recovery_ui
// item points to: its id, its page (for browsers) and, for verification, the address.
type ContinueWithFlow struct {
	ID                uuid.UUID `json:"id"`
	URL               string    `json:"url,omitempty"`
	VerifiableAddress string    `json:"verifiable_address,omitempty"`
}

// ShowFlow is continue_with's show_<kind>_ui item (kind "verification", "settings" or
// "recovery").
func ShowFlow(kind string, f ContinueWithFlow) ContinueWith {
	return ContinueWith{Action: "show_" + kind + "_ui", Flow: &f}
}

// RedirectBrowserTo is continue_with's redirect_browser_to item: where a browser flow answered
// as JSON would have sent the browser.
func RedirectBrowserTo(target string) ContinueWith {
	return ContinueWith{Action: "redirect_browser_to", RedirectBrowserTo: target}
}

// SetSessionToken is continue_with's set_ory_session_token item of an API flow that issued a
// session.
func SetSessionToken(token string) ContinueWith {
	return ContinueWith{Action: "set_ory_session_token", OrySessionToken: token}
}
