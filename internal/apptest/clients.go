package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/identity"
)

// Client is an HTTP client acting as one party: a browser (cookie jar) or an app (no jar).
// It never follows redirects by itself, so tests can assert every 303.
type Client struct {
	T    testing.TB
	HTTP *http.Client
	// Header is sent with every request (e.g. Accept, X-Session-Token).
	Header http.Header
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Browser returns a client with its own cookie jar and a browser's Accept header.
func (s *Server) Browser(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	h := http.Header{}
	h.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8")
	return &Client{T: t, HTTP: &http.Client{Jar: jar, CheckRedirect: noRedirect}, Header: h}
}

// SPA returns a client with a cookie jar that asks for JSON, like a single-page app.
func (s *Server) SPA(t testing.TB) *Client {
	c := s.Browser(t)
	c.Header.Set("Accept", "application/json")
	return c
}

// Native returns a client without cookies that asks for JSON, like a native app.
func (s *Server) Native(t testing.TB) *Client {
	h := http.Header{}
	h.Set("Accept", "application/json")
	return &Client{T: t, HTTP: &http.Client{CheckRedirect: noRedirect}, Header: h}
}

// Response is a read reply.
type Response struct {
	*http.Response
	Body []byte
}

// JSON decodes the body into v, failing the test when it is not JSON.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response %d is not JSON: %v\n%s", r.StatusCode, err, r.Body)
	}
}

// Map decodes the body into a generic map.
func (r *Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Do sends a request with the client's headers plus hdr and reads the whole reply.
func (c *Client) Do(method, target string, body io.Reader, hdr http.Header) *Response {
	c.T.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, target, body)
	if err != nil {
		c.T.Fatal(err)
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		c.T.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.T.Fatal(err)
	}
	return &Response{Response: res, Body: b}
}

// Get sends a GET.
func (c *Client) Get(target string) *Response { return c.Do(http.MethodGet, target, nil, nil) }

// PostJSON sends v as a JSON body.
func (c *Client) PostJSON(target string, v any) *Response {
	b, err := json.Marshal(v)
	if err != nil {
		c.T.Fatal(err)
	}
	return c.Do(http.MethodPost, target, bytes.NewReader(b), http.Header{"Content-Type": {"application/json"}})
}

// PostForm sends a form-encoded body, as an HTML form does.
func (c *Client) PostForm(target string, form url.Values) *Response {
	return c.Do(http.MethodPost, target, strings.NewReader(form.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
}

// CreateIdentity creates an identity with the default schema through the identity manager,
// with an e-mail trait, a name and (when password is not empty) a password.
func (s *Server) CreateIdentity(t testing.TB, email, password string) *identity.Identity {
	t.Helper()
	id := &identity.Identity{
		Traits: json.RawMessage(`{"email":` + quote(email) + `,"name":{"first":"Ada","last":"Lovelace"}}`),
	}
	if err := s.App.Identities.Create(context.Background(), id, identity.CreateOptions{Password: password}); err != nil {
		t.Fatalf("create identity %s: %v", email, err)
	}
	return id
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// URL parses a URL or fails the test.
func URL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
