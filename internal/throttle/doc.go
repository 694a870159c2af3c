// Package throttle limits attempts that guess a secret (passwords, second-factor codes) with
// budgets counted in the database, so limits hold across instances.
//
// An attempt is reserved before it is evaluated: the count goes up first, atomically with the
// check against the limit, and only an admitted attempt may spend a hash. A success then
// clears the subject's count (or, for a budget shared by many subjects, gives back only its own
// attempt); a failure stays counted; an attempt that could not be evaluated is given back. So
// of any number of concurrent attempts exactly Max are evaluated per window.
//
// Password sign-in (Login) charges each attempt to the identifier and to the client address
// (password spraying), or, when the request carries a valid device cookie of that identity,
// to that device alone: an attacker elsewhere can use up the identifier's budget, never the
// owner's trusted device's (OWASP's "device cookies").
package throttle
