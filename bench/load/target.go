package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// loopbackURL parses raw and refuses anything that is not an http(s) URL on a loopback host:
// a load tool must never be pointed at someone else's server by accident.
func loopbackURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSuffix(raw, "/"))
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%q: only http and https URLs are supported", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return u, nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%q: only loopback targets (127.0.0.0/8, ::1, localhost) are allowed", raw)
	}
	return u, nil
}

// newClient returns an HTTP client tuned for load: one idle keep-alive connection per worker so
// no request pays for a handshake, and redirects never followed (a 303 is an answer).
func newClient(concurrency int) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        concurrency * 2,
		MaxIdleConnsPerHost: concurrency,
		MaxConnsPerHost:     0,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// reply is a read response: status, headers and (a bounded prefix of) the body.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// maxBody bounds what a reply keeps; flows are a few KB.
const maxBody = 1 << 20

// do sends one request and reads the whole body (so the connection is reused).
func do(ctx context.Context, c *http.Client, method, target string, body io.Reader, hdr http.Header) (reply, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return reply{}, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	res, err := c.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return reply{}, fmt.Errorf("read %s %s: %w", method, req.URL.Path, err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	return reply{status: res.StatusCode, header: res.Header, body: b}, nil
}

// cookies is a minimal cookie store keyed by name. Go's cookiejar will not send Secure cookies
// over plain http, and a production-configured server on loopback sets Secure; a benchmark
// client only needs the name=value pairs back.
type cookies map[string]string

// take records every Set-Cookie of a reply (a cookie cleared by the server is dropped).
func (c cookies) take(h http.Header) {
	for _, k := range (&http.Response{Header: h}).Cookies() {
		if k.MaxAge < 0 || k.Value == "" {
			delete(c, k.Name)
			continue
		}
		c[k.Name] = k.Value
	}
}

// header renders the Cookie header value.
func (c cookies) header() string {
	parts := make([]string, 0, len(c))
	for k, v := range c {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}
