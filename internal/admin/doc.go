// Package admin serves Portico's admin API on the admin listener: identities (create, list,
// get, update, patch, delete) in the shapes and status codes of Kratos's admin API.
package admin
