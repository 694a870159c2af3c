// Package verification is Kratos's verification flow (/self-service/verification/…): a person
// proves they control an address by a one-time code (method code, the default) or a link
// (method link) sent to it, and the identity's verifiable address becomes verified. States:
// choose_method (ask for the address) → sent_email (the message went out; ask for the code) →
// passed_challenge. An address no identity holds gets the same reply, and the same work is
// done for it (a code is made and never sent); it gets the "invalid" message only when
// notify_unknown_recipients is on. Codes and links come from internal/onetime, the messages go
// through the courier's queue. Registration starts a flow here for each new address (Start),
// a settings change for each address it added (StartChanged), and both point to it with
// continue_with show_verification_ui.
package verification
