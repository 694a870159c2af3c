package schema

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/urlsource"
)

// Source names one configured identity schema: its id and where to load it from
// (file://path, a bare path, base64://<JSON>, http:// or https://).
type Source struct {
	ID  string
	URL string
}

// Schema is one loaded, compiled identity schema.
type Schema struct {
	ID  string
	URL string
	// Raw is the schema document as loaded.
	Raw json.RawMessage

	compiled *jsonschema.Schema
	fields   []TraitField
	// maxTraits bounds the traits' JSON size (see LimitTraits).
	maxTraits int
}

// Registry holds every configured identity schema, loaded once at start.
type Registry struct {
	byID      map[string]*Schema
	order     []*Schema
	defaultID string
}

// fetchTimeout bounds the load of one remote schema document.
const fetchTimeout = 10 * time.Second

// NewRegistry loads and compiles every schema. A schema that cannot be loaded or compiled
// fails the whole registry with an error naming its id and URL. fetch is used for http(s)
// schemas and remote $refs; nil means a client with a short timeout.
func NewRegistry(ctx context.Context, schemas []Source, defaultID string, fetch *http.Client) (*Registry, error) {
	if fetch == nil {
		fetch = &http.Client{Timeout: fetchTimeout}
	}
	r := &Registry{byID: map[string]*Schema{}, defaultID: defaultID}
	for _, src := range schemas {
		if src.ID == "" {
			return nil, fmt.Errorf("identity schema with url %q has no id", src.URL)
		}
		if _, dup := r.byID[src.ID]; dup {
			return nil, fmt.Errorf("identity schema id %q is configured twice", src.ID)
		}
		s, err := load(ctx, src, fetch)
		if err != nil {
			return nil, fmt.Errorf("load identity schema %q from %q: %w", src.ID, redactURL(src.URL), err)
		}
		r.byID[src.ID] = s
		r.order = append(r.order, s)
	}
	if _, ok := r.byID[defaultID]; !ok {
		return nil, fmt.Errorf("default identity schema %q is not among the configured schemas", defaultID)
	}
	return r, nil
}

// Get returns the schema with the given id; an unknown id is apierr.ErrNotFound.
func (r *Registry) Get(id string) (*Schema, error) {
	s, ok := r.byID[id]
	if !ok {
		return nil, apierr.ErrNotFound.WithReason("Identity schema %q does not exist.", id)
	}
	return s, nil
}

// Default returns the default schema.
func (r *Registry) Default() *Schema { return r.byID[r.defaultID] }

// DefaultID returns the id of the default schema.
func (r *Registry) DefaultID() string { return r.defaultID }

// List returns every schema in configuration order.
func (r *Registry) List() []*Schema { return append([]*Schema(nil), r.order...) }

// redactURL keeps error messages short: a base64 schema is named by its scheme only.
func redactURL(u string) string {
	if strings.HasPrefix(u, "base64://") {
		return "base64://…"
	}
	return u
}

func load(ctx context.Context, src Source, fetch *http.Client) (*Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.AssertFormat()
	httpLoader := &httpLoader{ctx: ctx, client: fetch}
	c.UseLoader(jsonschema.SchemeURLLoader{
		"file":  jsonschema.FileLoader{},
		"http":  httpLoader,
		"https": httpLoader,
	})

	var raw []byte
	var loc string
	switch {
	case strings.HasPrefix(src.URL, "base64://"):
		b, err := urlsource.DecodeBase64(strings.TrimPrefix(src.URL, "base64://"))
		if err != nil {
			return nil, fmt.Errorf("decode base64: %w", err)
		}
		raw, loc = b, "mem:///"+url.PathEscape(src.ID)+".schema.json"
	case strings.HasPrefix(src.URL, "http://"), strings.HasPrefix(src.URL, "https://"):
		b, err := httpLoader.get(src.URL)
		if err != nil {
			return nil, err
		}
		raw, loc = b, src.URL
	default:
		path, err := urlsource.FilePath(src.URL)
		if err != nil {
			return nil, err
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("resolve path: %w", err)
		}
		b, err := os.ReadFile(abs)
		if err != nil {
			return nil, fmt.Errorf("read schema file: %w", err)
		}
		raw, loc = b, (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	}

	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parse schema JSON: %w", err)
	}
	if err := c.AddResource(loc, doc); err != nil {
		return nil, fmt.Errorf("add schema: %w", err)
	}
	compiled, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("compile schema: %w", err)
	}
	root, err := parseOrdered(raw)
	if err != nil {
		return nil, fmt.Errorf("parse schema JSON: %w", err)
	}
	fields, err := collectFields(root)
	if err != nil {
		return nil, fmt.Errorf("read trait properties: %w", err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, fmt.Errorf("parse schema JSON: %w", err)
	}
	return &Schema{ID: src.ID, URL: src.URL, Raw: compact.Bytes(), compiled: compiled, fields: fields}, nil
}

// httpLoader fetches remote schema documents (the schema itself and any remote $ref).
type httpLoader struct {
	ctx    context.Context
	client *http.Client
}

// maxSchemaBytes bounds a remote schema document.
const maxSchemaBytes = 4 << 20

func (l *httpLoader) get(u string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(l.ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json, application/schema+json")
	resp, err := l.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch schema: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch schema: unexpected status %s", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxSchemaBytes))
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	return b, nil
}

// Load implements jsonschema.URLLoader.
func (l *httpLoader) Load(u string) (any, error) {
	b, err := l.get(u)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}
