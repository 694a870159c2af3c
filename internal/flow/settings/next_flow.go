package settings

// showNext makes f, a flow whose change has just been applied, show the form of next, the
// fresh flow its action posts to (as Kratos answers a settings success). The nodes are taken
// over as they were built and stored for next, not built again for f: building them again
// cost a second pass of every method (a second TOTP QR code, a second WebAuthn ceremony), and
// the WebAuthn and passkey challenges it made belonged to f, so a key registered from the
// success page failed against next, which had issued other ones. next is not used after.
func (f *Flow) showNext(next *Flow) {
	f.Identity = next.Identity
	f.UI.Nodes = next.UI.Nodes
	f.secrets = next.secrets
	// f shows next's nodes, so it takes over next's internal context too (a TOTP secret
	// offered in both must be one).
	f.internal = cloneInternal(next.internal)
	f.UI.Action = next.UI.Action
}
