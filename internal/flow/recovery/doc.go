// Package recovery is Kratos's account recovery flow (/self-service/recovery/…): a person who
// lost their password proves control of a recovery address with a one-time code (method code,
// the default) or a link (method link) and is signed in with a fresh, privileged session and
// sent to a settings flow to set a new password (continue_with show_settings_ui). States:
// choose_method → sent_email → passed_challenge. An address no identity holds gets the same
// reply after the same work (a code is made and never sent), and the "invalid" message only
// with notify_unknown_recipients. The admin API makes codes and links for an identity
// (POST /admin/recovery/code and /admin/recovery/link, see Admin).
package recovery
