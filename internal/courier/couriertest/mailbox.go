package couriertest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mail is one message the server accepted.
type Mail struct {
	From    string
	To      []string
	Raw     []byte
	Header  mail.Header
	Subject string
	// Text and HTML are the decoded text/plain and text/html parts.
	Text, HTML string
}

// Options changes how the server speaks.
type Options struct {
	// ImplicitTLS serves TLS from the first byte (smtps://); otherwise the server offers
	// STARTTLS and the URI asks for it (smtp://…?skip_ssl_verify=true).
	ImplicitTLS bool
	// Cleartext offers no TLS at all (the URI says disable_starttls=true).
	Cleartext bool
	// User and Password, when set, are required (AUTH PLAIN).
	User, Password string
	// Reject refuses these recipients with a permanent 550.
	Reject []string
}

// Mailbox is a running SMTP server and what it received.
type Mailbox struct {
	t    testing.TB
	opts Options
	addr string
	tls  *tls.Config

	mu       sync.Mutex
	srv      *smtp.Server
	ln       net.Listener
	mails    []Mail
	arrived  chan struct{}
	attempts int
}

// Start starts a server on a free local port; it stops when the test ends.
func Start(t testing.TB, o Options) *Mailbox {
	t.Helper()
	m := &Mailbox{t: t, opts: o, tls: selfSigned(t), arrived: make(chan struct{}, 1)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.addr = ln.Addr().String()
	m.serve(ln)
	t.Cleanup(m.Stop)
	return m
}

func (m *Mailbox) serve(ln net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		m.mu.Lock()
		m.attempts++
		m.mu.Unlock()
		return &session{m: m}, nil
	}))
	srv.Domain = "mailbox.test"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 4 << 20
	srv.AllowInsecureAuth = m.opts.Cleartext
	if !m.opts.Cleartext {
		srv.TLSConfig = m.tls
	}
	if m.opts.ImplicitTLS {
		ln = tls.NewListener(ln, m.tls)
	}
	m.mu.Lock()
	m.srv, m.ln = srv, ln
	m.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// URI is the courier.smtp.connection_uri that reaches this server.
func (m *Mailbox) URI() string {
	u := &url.URL{Scheme: "smtp", Host: m.addr, Path: "/", RawQuery: "skip_ssl_verify=true"}
	if m.opts.User != "" {
		u.User = url.UserPassword(m.opts.User, m.opts.Password)
	}
	switch {
	case m.opts.ImplicitTLS:
		u.Scheme = "smtps"
	case m.opts.Cleartext:
		u.RawQuery = "disable_starttls=true"
	}
	return u.String()
}

// Stop stops the server: connections are refused until Restart.
func (m *Mailbox) Stop() {
	m.mu.Lock()
	srv, ln := m.srv, m.ln
	m.srv, m.ln = nil, nil
	m.mu.Unlock()
	if srv != nil {
		// The listener is closed here too: Serve may not have registered it with the server
		// yet, and then Close alone would leave it accepting.
		_ = ln.Close()
		_ = srv.Close()
	}
}

// Restart serves again on the same address.
func (m *Mailbox) Restart() {
	m.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port may linger a moment after Close
		if ln, err = net.Listen("tcp", m.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		m.t.Fatalf("couriertest: listen again on %s: %v", m.addr, err)
	}
	m.serve(ln)
}

// Mails returns a copy of what arrived so far, in order.
func (m *Mailbox) Mails() []Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Mail(nil), m.mails...)
}

// Connections counts the SMTP sessions opened so far.
func (m *Mailbox) Connections() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.attempts
}

// WaitFor waits until a message to recipient has arrived and returns the last one; the test
// fails after timeout.
func (m *Mailbox) WaitFor(recipient string, timeout time.Duration) Mail {
	m.t.Helper()
	deadline := time.After(timeout)
	for {
		for _, x := range slicesReverse(m.Mails()) {
			for _, to := range x.To {
				if strings.EqualFold(to, recipient) {
					return x
				}
			}
		}
		select {
		case <-m.arrived:
		case <-deadline:
			m.t.Fatalf("couriertest: no mail to %s within %s (%d arrived)", recipient, timeout, len(m.Mails()))
			return Mail{}
		}
	}
}

// WaitCount waits until n messages have arrived in all; the test fails after timeout.
func (m *Mailbox) WaitCount(n int, timeout time.Duration) []Mail {
	m.t.Helper()
	deadline := time.After(timeout)
	for {
		if got := m.Mails(); len(got) >= n {
			return got
		}
		select {
		case <-m.arrived:
		case <-deadline:
			m.t.Fatalf("couriertest: %d mails within %s, want %d", len(m.Mails()), timeout, n)
			return nil
		}
	}
}

func slicesReverse(in []Mail) []Mail {
	for i, j := 0, len(in)-1; i < j; i, j = i+1, j-1 {
		in[i], in[j] = in[j], in[i]
	}
	return in
}

func (m *Mailbox) add(x Mail) {
	m.mu.Lock()
	m.mails = append(m.mails, x)
	m.mu.Unlock()
	select {
	case m.arrived <- struct{}{}:
	default:
	}
}

type session struct {
	m      *Mailbox
	authed bool
	from   string
	to     []string
}

func (s *session) AuthMechanisms() []string {
	if s.m.opts.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.m.opts.User || pass != s.m.opts.Password {
			return errors.New("invalid credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.m.opts.User != "" && !s.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	for _, r := range s.m.opts.Reject {
		if strings.EqualFold(r, to) {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x, err := parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "unparsable message: " + err.Error()}
	}
	x.From, x.To = s.from, append([]string(nil), s.to...)
	s.m.add(x)
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

// parse reads a message's subject and its text and HTML parts.
func parse(raw []byte) (Mail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Mail{}, err
	}
	x := Mail{Raw: raw, Header: msg.Header}
	dec := new(mime.WordDecoder)
	if x.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return Mail{}, err
	}
	err = readPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, &x)
	return x, err
}

func readPart(contentType, encoding string, body io.Reader, x *Mail) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := readPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, x); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = newBase64Reader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch mt {
	case "text/plain":
		x.Text = string(b)
	case "text/html":
		x.HTML = string(b)
	}
	return nil
}

// selfSigned makes a certificate for 127.0.0.1 valid for the test.
func selfSigned(t testing.TB) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mailbox.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost", "mailbox.test"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
}

// String describes a mail for test failures (without its body).
func (x Mail) String() string {
	return fmt.Sprintf("mail from %s to %v: %q", x.From, x.To, x.Subject)
}
