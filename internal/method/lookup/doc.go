// Package lookup is the backup recovery code second factor (Kratos's lookup_secret): twelve
// single-use codes generated in the settings flow, shown once, confirmed, revealed again on
// request, and each accepted once at an aal2 login, its use recorded. Codes are stored as
// salted SHA-256 hashes for checking; a copy sealed with AES-256-GCM under secrets.cipher lets
// the owner reveal them again (without a secret, reveal is not offered).
package lookup
