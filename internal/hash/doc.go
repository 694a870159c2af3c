// Package hash hashes and verifies passwords. New hashes are bcrypt or argon2id (PHC strings);
// verification also accepts older formats that identities may have been imported with
// (argon2i, pbkdf2, scrypt, salted SHA), so a login can upgrade them with NeedsRehash.
package hash
