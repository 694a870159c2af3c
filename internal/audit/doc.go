// Package audit is the trail of security events Portico keeps beside the data it changes
// (beyond Kratos, which keeps none): sign-ins and failed or throttled attempts, credential and
// address changes, session revocations and an administrator's changes to an identity. Each
// event names the identity and session it concerns, the client's address and user agent, and
// a small JSON object of details; never a secret, and never an identifier someone typed that
// belongs to no identity. An attempt that names no identity is counted, not stored: anyone
// can make as many as they have addresses, and no API lists them.
//
// An event that goes with a change is written in the change's own transaction: the caller
// hands the store a context carrying it (With), and the store writes it before it commits, so
// a change that rolls back leaves no event. An event without a change of its own (a sign-in,
// a failed attempt) is written right after, on its own.
package audit
