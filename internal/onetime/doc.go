// Package onetime makes and checks the one-time codes and link tokens of the verification,
// recovery and code sign-in flows (Kratos's code and link methods).
//
// A code is six digits from crypto/rand; a link token 32 random bytes. Neither is stored: the
// store keeps an HMAC-SHA256 of it under a key derived from the cookie secrets (the first
// hashes, every one verifies, so secrets can be rotated), and a code's HMAC covers its flow id
// and purpose, so a code is bound to the flow it was sent for. A code is single use (the store
// marks it used with one conditional update), expires (selfservice.methods.code.config.lifespan,
// 15 minutes by default) and is replaced when sent again.
//
// Guesses are bounded three ways, each reserved before the guess is compared: tries per code
// (a conditional update of the code's row), per flow across codes sent again, and per address
// across flows (internal/throttle). So of any number of concurrent guesses at most MaxTries are
// compared against one code, and an attacker who opens new flows for someone's address is held
// to the address budget.
package onetime
