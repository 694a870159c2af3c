package courier

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
)

// SMTPOptions configures the SMTP channel (courier.smtp).
type SMTPOptions struct {
	// ConnectionURI is courier.smtp.connection_uri: smtp://[user:password@]host[:port]/ with
	// STARTTLS required (unless ?disable_starttls=true, cleartext), or smtps:// with TLS from
	// the first byte; ?skip_ssl_verify=true accepts any certificate, ?server_name= names the
	// certificate's host.
	ConnectionURI string
	FromAddress   string
	FromName      string
	// Headers are added to every message (courier.smtp.headers).
	Headers map[string]string
	// LocalName is the HELO/EHLO name (courier.smtp.local_name).
	LocalName string
	// Timeout bounds the connection and each command (default 30 s).
	Timeout time.Duration
}

// SMTP delivers email over SMTP.
type SMTP struct {
	opts    []mail.Option
	host    string
	from    SMTPOptions
	headers map[string]string
}

// NewSMTP checks the connection URI and returns the channel; it does not connect.
func NewSMTP(o SMTPOptions) (*SMTP, error) {
	u, err := url.Parse(o.ConnectionURI)
	if err != nil {
		return nil, errors.New("courier.smtp.connection_uri: not a URL")
	}
	if u.Scheme != "smtp" && u.Scheme != "smtps" {
		return nil, fmt.Errorf("courier.smtp.connection_uri: the scheme must be smtp or smtps, got %q", u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return nil, errors.New("courier.smtp.connection_uri: no host")
	}
	qs := u.Query()
	flag := func(name string) (bool, error) {
		v := qs.Get(name)
		if v == "" {
			return false, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("courier.smtp.connection_uri: %s must be true or false", name)
		}
		return b, nil
	}
	skipVerify, err := flag("skip_ssl_verify")
	if err != nil {
		return nil, err
	}
	noStartTLS, err := flag("disable_starttls")
	if err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultSendTimeout
	}
	serverName := host
	if n := qs.Get("server_name"); n != "" {
		serverName = n
	}
	tlsConf := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12, InsecureSkipVerify: skipVerify} //nolint:gosec // only when the operator asks with skip_ssl_verify=true
	port := 0
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, errors.New("courier.smtp.connection_uri: invalid port")
		}
	}
	opts := []mail.Option{mail.WithTimeout(timeout), mail.WithTLSConfig(tlsConf)}
	switch {
	case u.Scheme == "smtps":
		if port == 0 {
			port = 465
		}
		opts = append(opts, mail.WithSSL())
	case noStartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if port == 0 {
		port = 587
	}
	opts = append(opts, mail.WithPort(port))
	if o.LocalName != "" {
		opts = append(opts, mail.WithHELO(o.LocalName))
	}
	if user := u.User.Username(); user != "" {
		pass, _ := u.User.Password()
		// The best mechanism the server offers; go-mail's PLAIN and LOGIN refuse to send the
		// password over a connection that is not encrypted, unless the server is localhost.
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(user), mail.WithPassword(pass))
	}
	if o.FromAddress == "" {
		return nil, errors.New("courier.smtp.from_address: required")
	}
	for k, v := range o.Headers {
		if strings.ContainsAny(k, "\r\n: ") || strings.ContainsAny(v, "\r\n") {
			return nil, fmt.Errorf("courier.smtp.headers: %q is not a valid header", k)
		}
	}
	return &SMTP{opts: opts, host: host, from: o, headers: o.Headers}, nil
}

// Send delivers m: a text part and, when there is one, an HTML alternative.
func (s *SMTP) Send(ctx context.Context, m Outgoing) error {
	msg := mail.NewMsg()
	if err := msg.FromFormat(s.from.FromName, s.from.FromAddress); err != nil {
		return Permanent(fmt.Errorf("from address: %w", err))
	}
	if err := msg.To(m.Recipient); err != nil {
		return Permanent(fmt.Errorf("recipient: %w", err))
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageIDWithValue(m.ID.String() + "@" + s.host)
	for k, v := range s.headers {
		msg.SetGenHeader(mail.Header(k), v)
	}
	msg.SetBodyString(mail.TypeTextPlain, m.Body)
	if m.HTMLBody != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTMLBody)
	}
	c, err := mail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return smtpError(err)
	}
	return nil
}

// smtpError keeps what the server said and marks a refusal it says is final (5xx) permanent.
// A refused connection or a timeout is temporary: the server may be back soon.
func smtpError(err error) error {
	var se *mail.SendError
	if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
		return Permanent(fmt.Errorf("smtp: %w", err))
	}
	return fmt.Errorf("smtp: %w", err)
}
