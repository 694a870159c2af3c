package urlsource

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// FetchTimeout bounds one http(s) fetch.
const FetchTimeout = 10 * time.Second

// ErrTooLarge is returned for a document over the size it was read with.
var ErrTooLarge = errors.New("urlsource: the document is too large")

// Read returns the document raw names, at most max bytes (ErrTooLarge past that). client
// fetches http(s) URLs; nil means a client with FetchTimeout.
func Read(ctx context.Context, raw string, client *http.Client, max int64) ([]byte, error) {
	switch {
	case strings.HasPrefix(raw, "base64://"):
		b, err := DecodeBase64(strings.TrimPrefix(raw, "base64://"))
		if err != nil {
			return nil, fmt.Errorf("decode base64: %w", err)
		}
		if int64(len(b)) > max {
			return nil, ErrTooLarge
		}
		return b, nil
	case strings.HasPrefix(raw, "http://"), strings.HasPrefix(raw, "https://"):
		return fetch(ctx, raw, client, max)
	}
	path, err := FilePath(raw)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	return readMax(f, max)
}

// FilePath is the local path of a file:// URL or a bare path; file://relative/path is
// relative to the working directory, as in Kratos.
func FilePath(raw string) (string, error) {
	if !strings.HasPrefix(raw, "file://") {
		return raw, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("parse file url: %w", err)
	}
	path := u.Path
	if u.Host != "" && u.Host != "localhost" {
		path = u.Host + u.Path
	}
	return path, nil
}

func fetch(ctx context.Context, raw string, client *http.Client, max int64) ([]byte, error) {
	if client == nil {
		client = &http.Client{Timeout: FetchTimeout}
	}
	ctx, cancel := context.WithTimeout(ctx, FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", raw, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: unexpected status %s", raw, resp.Status)
	}
	return readMax(resp.Body, max)
}

func readMax(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, ErrTooLarge
	}
	return b, nil
}

// DecodeBase64 accepts standard or URL base64, padded or not.
func DecodeBase64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("not standard or URL base64")
}

// Redact shortens raw for messages: a base64 document is named by its scheme only, and an
// http(s) URL loses its user information and query (they may hold credentials).
func Redact(raw string) string {
	if strings.HasPrefix(raw, "base64://") {
		return "base64://…"
	}
	if u, err := url.Parse(raw); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		u.User, u.RawQuery = nil, ""
		return u.String()
	}
	return raw
}
