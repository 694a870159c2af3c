// Command load drives a running Portico (or the bench/floor handler) with a fixed number of
// concurrent clients for a fixed time, per scenario, and prints a Markdown table of throughput,
// latency percentiles, unexpected replies and, given the server's PID, its peak RSS.
//
// It starts nothing itself and talks only to loopback addresses. Setup goes through the public
// API the way apps and browsers do: identities are created on the admin API, then signed in
// natively (session token) and as a browser (session and CSRF cookies).
//
//	go run ./bench/load -public http://127.0.0.1:4433 -admin http://127.0.0.1:4434 -pid 1234
package main
