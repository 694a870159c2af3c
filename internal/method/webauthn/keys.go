package webauthn

import (
	"github.com/portico-auth/portico/internal/text"
)

// KeyTakenMessage is the 400 flow message for a creation answer whose credential id is already
// registered, to this identity or another one (the store's unique index refuses it: see
// identity.ErrKeyTaken).
func KeyTakenMessage() text.Message {
	return text.NewGeneric("This security key is already registered.")
}
