// Package sdktest drives Portico with Ory's own Go SDK (github.com/ory/client-go, a test-only
// dependency): every reply of the journeys must decode into the SDK's models without error.
package sdktest
