// Package seal encrypts small secrets kept at rest (a settings flow's private fields, the
// plain recovery codes kept for reveal) with AES-256-GCM. A Sealer holds keys derived from the
// configured secrets for one purpose, so a ciphertext made for one purpose never opens as
// another; the first secret seals and every secret opens, so secrets can be rotated; the
// caller binds each ciphertext to its owner (a flow id, an identity id) with associated data,
// so a sealed value copied into another row does not open there.
package seal
