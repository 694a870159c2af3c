package text

import (
	"time"
)

// activitySummaries are the English summaries of audit event types (internal/audit) in the
// settings flow's recent activity; {type}, {via} and {method} come from the event's details.
var activitySummaries = map[string]string{
	"sign_in":                     "Signed in with {method}",
	"sign_in_failed":              "Failed sign-in attempt ({method})",
	"sign_in_throttled":           "Sign-in attempts blocked for a while ({method})",
	"credential_added":            "Added {type}",
	"credential_changed":          "Changed {type}",
	"credential_removed":          "Removed {type}",
	"address_added":               "Added an address ({via})",
	"address_changed":             "Changed an address ({via})",
	"address_removed":             "Removed an address ({via})",
	"address_verified":            "Verified an address ({via})",
	"session_revoked":             "Ended a session",
	"identity_created":            "Account created by an administrator",
	"identity_updated":            "Account changed by an administrator",
	"identity_deleted":            "Account deleted by an administrator",
	"identity_credential_deleted": "Removed {type} (by an administrator)",
}

// The device of an event an administrator caused, and of one without a known address.
const (
	deviceAdmin   = "an administrator"
	deviceUnknown = "an unknown address"
)

// NewRecentActivity labels the list of a person's recent account activity in settings.
func NewRecentActivity() Message {
	return New(InfoSettingsRecentActivity, nil)
}

// NewActivityEvent is one entry of a person's recent account activity: what happened (event,
// an audit event type, with its details), when, and from where: the client's address, or
// "an administrator" when details say by admin (the person learns who, not the address of
// the operator's tools). The context keeps the parts (event, created_at, device, the
// details), so a client can word it its own way.
func NewActivityEvent(event string, details map[string]any, at time.Time, address string) Message {
	summary, ok := activitySummaries[event]
	if !ok {
		summary = event
	}
	device := address
	switch {
	case details["by"] == "admin":
		device = deviceAdmin
	case device == "":
		device = deviceUnknown
	}
	ctx := map[string]any{}
	for k, v := range details {
		ctx[k] = v
	}
	ctx["event"], ctx["created_at"], ctx["device"] = event, at.UTC().Format(time.RFC3339), device
	ctx["summary"] = Render(summary, ctx)
	return New(InfoSettingsActivityEvent, ctx)
}
