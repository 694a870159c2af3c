package courier

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	texttemplate "text/template"

	"github.com/Masterminds/sprig/v3"

	"github.com/portico-auth/portico/internal/urlsource"
)

//go:embed templates
var builtin embed.FS

// Parts of a message a template renders, named as the configuration keys under
// courier.templates.<group>.<variant> name them.
const (
	PartEmailSubject   = "email.subject"
	PartEmailHTML      = "email.body.html"
	PartEmailPlaintext = "email.body.plaintext"
	PartSMSBody        = "sms.body.plaintext"
)

// parts maps each part to its file name in a template directory (Kratos's names) and whether it
// is HTML (escaped as such).
var parts = []struct {
	key, file string
	html      bool
}{
	{PartEmailSubject, "email.subject.gotmpl", false},
	{PartEmailHTML, "email.body.gotmpl", true},
	{PartEmailPlaintext, "email.body.plaintext.gotmpl", false},
	{PartSMSBody, "sms.body.gotmpl", false},
}

const (
	// maxTemplateBytes bounds one template source.
	maxTemplateBytes = 1 << 20
	// maxRenderedBytes bounds one rendered part.
	maxRenderedBytes = 1 << 20
)

// TemplateOptions says where templates come from besides the built-in ones.
type TemplateOptions struct {
	// OverridePath is courier.template_override_path: a directory laid out as
	// <group>/<variant>/<file> (recovery_code/valid/email.body.gotmpl); a file found there
	// replaces the built-in one.
	OverridePath string
	// Overrides are courier.templates.<group>.<variant>.<part> keyed by
	// "<group>.<variant>.<part>" (e.g. "recovery_code.valid.email.subject"), each a file://,
	// base64:// or http(s):// URL; they win over OverridePath.
	Overrides map[string]string
	// Client fetches http(s) overrides (nil: a client with a 10 s timeout).
	Client *http.Client
}

type executor interface {
	Execute(w io.Writer, data any) error
}

// Templates renders every template type; it is built once and safe for concurrent use.
type Templates struct {
	byType map[TemplateType]map[string]executor
}

// LoadTemplates parses every template, built-in or overridden. A template that cannot be read
// or parsed is an error naming it, so that a bad override stops the server at start rather
// than a message at send time.
func LoadTemplates(ctx context.Context, o TemplateOptions) (*Templates, error) {
	for key := range o.Overrides {
		if !knownOverride(key) {
			return nil, fmt.Errorf("courier.templates.%s: no such template", key)
		}
	}
	t := &Templates{byType: map[TemplateType]map[string]executor{}}
	for _, tt := range TemplateTypes {
		group, variant := tt.split()
		t.byType[tt] = map[string]executor{}
		for _, p := range parts {
			src, name, err := templateSource(ctx, o, group, variant, p.key, p.file)
			if err != nil {
				return nil, err
			}
			if src == nil {
				continue
			}
			ex, err := parseTemplate(name, string(src), p.html)
			if err != nil {
				return nil, err
			}
			t.byType[tt][p.key] = ex
		}
		for _, need := range []string{PartEmailSubject, PartEmailPlaintext, PartEmailHTML} {
			if t.byType[tt][need] == nil {
				return nil, fmt.Errorf("courier: template %s has no %s", tt, need)
			}
		}
	}
	return t, nil
}

func knownOverride(key string) bool {
	for _, tt := range TemplateTypes {
		group, variant := tt.split()
		for _, p := range parts {
			if key == group+"."+variant+"."+p.key {
				return true
			}
		}
	}
	return false
}

// templateSource finds one part's source: the configured URL, the override directory, the
// built-in file, or nil when there is none (SMS bodies of email-only types).
func templateSource(ctx context.Context, o TemplateOptions, group, variant, key, file string) ([]byte, string, error) {
	if u, ok := o.Overrides[group+"."+variant+"."+key]; ok && u != "" {
		name := "courier.templates." + group + "." + variant + "." + key
		b, err := urlsource.Read(ctx, u, o.Client, maxTemplateBytes)
		if err != nil {
			return nil, "", fmt.Errorf("%s (%s): %w", name, urlsource.Redact(u), err)
		}
		return b, name, nil
	}
	if o.OverridePath != "" {
		p := filepath.Join(o.OverridePath, group, variant, file)
		b, err := readFileMax(p)
		if err == nil {
			return b, p, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("courier.template_override_path: %w", err)
		}
	}
	b, err := builtin.ReadFile("templates/" + group + "/" + variant + "/" + file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", nil
	}
	return b, "built-in " + group + "/" + variant + "/" + file, err
}

func readFileMax(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTemplateBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxTemplateBytes {
		return nil, fmt.Errorf("%s: over %d bytes", path, maxTemplateBytes)
	}
	return b, nil
}

// parseTemplate parses a template with Sprig's hermetic function set, the one Kratos's
// courier offers (so its templates and operators' overrides that use upper, default, trim…
// render here too): no env, no clock, no random, so a message renders the same every time.
func parseTemplate(name, src string, html bool) (executor, error) {
	var (
		ex  executor
		err error
	)
	if html {
		ex, err = htmltemplate.New(name).Funcs(sprig.HermeticHtmlFuncMap()).Parse(src)
	} else {
		ex, err = texttemplate.New(name).Funcs(sprig.HermeticTxtFuncMap()).Parse(src)
	}
	if err != nil {
		return nil, fmt.Errorf("courier: parse template %s: %w", name, err)
	}
	return ex, nil
}

// Render renders the message of type tt for channel from data. The templates see data as its
// JSON form (a map), the form a Jsonnet body sees too.
func (t *Templates) Render(tt TemplateType, channel string, data TemplateData) (Content, error) {
	set, ok := t.byType[tt]
	if !ok {
		return Content{}, fmt.Errorf("courier: unknown template type %q", tt)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return Content{}, fmt.Errorf("courier: template data: %w", err)
	}
	var view map[string]any
	if err := json.Unmarshal(raw, &view); err != nil {
		return Content{}, fmt.Errorf("courier: template data: %w", err)
	}
	c := Content{TemplateData: raw}
	run := func(key string) (string, error) {
		ex := set[key]
		if ex == nil {
			return "", fmt.Errorf("courier: template %s has no %s", tt, key)
		}
		var b bytes.Buffer
		if err := ex.Execute(&limitWriter{w: &b, n: maxRenderedBytes}, view); err != nil {
			return "", fmt.Errorf("courier: render %s %s: %w", tt, key, err)
		}
		return b.String(), nil
	}
	if channel == ChannelEmail {
		if c.Subject, err = run(PartEmailSubject); err != nil {
			return Content{}, err
		}
		c.Subject = strings.Join(strings.Fields(c.Subject), " ") // one line
		if c.Body, err = run(PartEmailPlaintext); err != nil {
			return Content{}, err
		}
		if c.HTMLBody, err = run(PartEmailHTML); err != nil {
			return Content{}, err
		}
		return c, nil
	}
	if c.Body, err = run(PartSMSBody); err != nil {
		return Content{}, err
	}
	return c, nil
}

// HasSMS reports whether tt has an SMS body.
func (t *Templates) HasSMS(tt TemplateType) bool { return t.byType[tt][PartSMSBody] != nil }

var errRenderedTooLarge = errors.New("the rendered message is too large")

// limitWriter fails once more than n bytes are written.
type limitWriter struct {
	w io.Writer
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if len(p) > l.n {
		return 0, errRenderedTooLarge
	}
	l.n -= len(p)
	return l.w.Write(p)
}
