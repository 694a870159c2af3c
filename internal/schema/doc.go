// Package schema loads the JSON Schemas that describe identity traits, validates traits
// against them and reads Kratos's "ory.sh/kratos" extension to learn which traits are login
// identifiers, verifiable or recovery addresses, and which fields a form must show.
package schema
