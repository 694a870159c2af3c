// Package courier sends Portico's messages: verification and recovery codes, one-time sign-in
// codes, and notices of credential changes. A flow enqueues a message through a Queue, which
// renders it from a template (built in, or overridden as in Kratos) and stores it sealed in the
// database, in the flow's own transaction when it has one; a Worker, run by `serve
// --watch-courier` or by `portico courier watch`, claims due messages (each by exactly one
// worker, however many run) and delivers them over SMTP or an HTTP channel, retrying with
// backoff and abandoning a message after courier.message_retries failed retries.
package courier
