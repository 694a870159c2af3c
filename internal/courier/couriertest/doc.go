// Package couriertest runs a real SMTP server in the test's process (emersion/go-smtp) that
// keeps every message it receives, parsed, so tests read the mail Portico really sent: the
// code in a verification email, the number of arrivals when two workers share a queue. It can
// speak STARTTLS or TLS from the first byte with a certificate made for the test, ask for a
// password, refuse recipients, and be stopped and started again on the same port (an SMTP
// outage). Only tests import it.
package couriertest
