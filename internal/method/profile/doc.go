// Package profile is the settings method that changes an identity's traits: it shows one
// input per trait of the identity schema and validates and stores submitted traits, asking
// for a privileged session only when a login identifier changes.
package profile
