package oidc

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/google/go-jsonnet"

	"github.com/portico-auth/portico/internal/jsonnetbox"
)

// Mapped is what a Jsonnet mapper returns under "identity".
type Mapped struct {
	Traits            json.RawMessage `json:"traits"`
	MetadataPublic    json.RawMessage `json:"metadata_public,omitempty"`
	MetadataAdmin     json.RawMessage `json:"metadata_admin,omitempty"`
	VerifiedAddresses []struct {
		Value string `json:"value"`
		Via   string `json:"via"`
	} `json:"verified_addresses,omitempty"`
}

// Bounds of one evaluation: the mapper is the operator's code, but it runs on claims anyone
// with an account at the provider chooses, so a slow or runaway mapper must not hold a
// request, and only a few may run at once (go-jsonnet cannot be stopped: a timed-out
// evaluation keeps its slot until it ends).
const (
	mapperTimeout     = 2 * time.Second
	mapperMaxStack    = 500
	mapperMaxOutput   = 256 << 10
	mapperMaxSource   = 256 << 10
	mapperConcurrency = 4
)

// ErrMapper is a mapper that failed or broke a bound; the person sees a generic failure.
var ErrMapper = errors.New("oidc: the claims mapper failed")

// Mapper evaluates one provider's Jsonnet mapper.
type Mapper struct {
	source  string
	slots   chan struct{}
	timeout time.Duration
}

// mapperSlots is shared by every provider's mapper.
var mapperSlots = make(chan struct{}, mapperConcurrency)

// LoadMapper reads a mapper from a file://, base64:// or http(s):// address.
func LoadMapper(ctx context.Context, raw string, client *http.Client) (*Mapper, error) {
	src, err := readMapper(ctx, raw, client)
	if err != nil {
		return nil, fmt.Errorf("oidc: load mapper %s: %w", redact(raw), err)
	}
	if len(src) > mapperMaxSource {
		return nil, fmt.Errorf("oidc: mapper %s is larger than %d bytes", redact(raw), mapperMaxSource)
	}
	// Compile once at start-up, so a syntax error stops the server instead of a sign-in.
	if _, err := jsonnet.SnippetToAST("mapper.jsonnet", string(src)); err != nil {
		return nil, fmt.Errorf("oidc: mapper %s: %w", redact(raw), err)
	}
	return &Mapper{source: string(src), slots: mapperSlots, timeout: mapperTimeout}, nil
}

func redact(raw string) string {
	if strings.HasPrefix(raw, "base64://") {
		return "base64://…"
	}
	return raw
}

func readMapper(ctx context.Context, raw string, client *http.Client) ([]byte, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "base64":
		s := strings.TrimPrefix(raw, "base64://")
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(s); err == nil {
				return b, nil
			}
		}
		return nil, errors.New("not base64")
	case "file":
		path := u.Path
		if u.Host != "" && u.Host != "localhost" {
			path = u.Host + u.Path
		}
		return os.ReadFile(path)
	case "http", "https":
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
		if err != nil {
			return nil, err
		}
		res, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("answered %d", res.StatusCode)
		}
		return io.ReadAll(io.LimitReader(res.Body, mapperMaxSource+1))
	}
	return nil, fmt.Errorf("unsupported scheme %q", u.Scheme)
}

// Map evaluates the mapper with claims as std.extVar('claims').
func (m *Mapper) Map(ctx context.Context, claims *Claims) (*Mapped, error) {
	in, err := json.Marshal(claims)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	select {
	case m.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: no evaluation slot within %s", ErrMapper, m.timeout)
	}
	out, err := jsonnetbox.Run(ctx, mapperMaxStack, func() { <-m.slots }, func(vm *jsonnet.VM) (string, error) {
		vm.ExtCode("claims", string(in))
		return vm.EvaluateAnonymousSnippet("mapper.jsonnet", m.source)
	})
	switch {
	case err != nil && errors.Is(err, ctx.Err()):
		return nil, fmt.Errorf("%w: evaluation took longer than %s", ErrMapper, m.timeout)
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrMapper, err)
	case len(out) > mapperMaxOutput:
		return nil, fmt.Errorf("%w: output larger than %d bytes", ErrMapper, mapperMaxOutput)
	}
	var doc struct {
		Identity *Mapped `json:"identity"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Identity == nil || len(doc.Identity.Traits) == 0 {
		return nil, fmt.Errorf("%w: the output has no identity.traits", ErrMapper)
	}
	id := doc.Identity
	for _, raw := range []*json.RawMessage{&id.Traits, &id.MetadataPublic, &id.MetadataAdmin} {
		if len(*raw) == 0 {
			continue
		}
		var b bytes.Buffer
		if err := json.Compact(&b, *raw); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMapper, err)
		}
		*raw = b.Bytes()
	}
	return id, nil
}
