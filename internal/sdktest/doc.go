// Package sdktest drives Portico with Ory's own SDKs, clients no one here wrote: the Go SDK
// (github.com/ory/client-go, a test-only dependency), where every reply of the journeys must
// decode into the SDK's models without error, and the JavaScript SDK (@ory/client from npm,
// pinned by testdata/js/package-lock.json and run by Node), which takes a native app through
// verification, recovery and code sign-in with codes read from the real SMTP messages.
package sdktest
