package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-jsonnet"
	"github.com/google/go-jsonnet/ast"

	"github.com/portico-auth/portico/internal/jsonnetbox"
	"github.com/portico-auth/portico/internal/urlsource"
)

// Bounds of a body template. The template is the operator's, but it runs on what people
// type into forms, so one evaluation may not hold a request for long or build a huge body,
// and only a few run at once: go-jsonnet cannot be stopped, so an evaluation past its time
// keeps its slot until it ends on its own. The calls a flow waits for and the background
// calls draw on pools of their own (each Caller's), so up to maxBackground background
// renders queued behind each other never keep a person's flow from its template: a waited
// render waits at most templateTimeout for a slot and its evaluation together, a background
// one may queue up to backgroundSlotWait for a slot before its own templateTimeout. The
// OIDC claims mappers have their own pool (oidc.Mapper).
const (
	maxTemplateSource  = 256 << 10
	maxBody            = 1 << 20
	templateStack      = 500
	templateTimeout    = 2 * time.Second
	waitedSlots        = 4
	backgroundSlots    = 2
	backgroundSlotWait = time.Minute
)

// ErrCancel is a template that answered `error "cancel"`: Kratos's way for a template to
// skip the call.
var ErrCancel = errors.New("webhook: the template cancelled the call")

// pool bounds the evaluations of templates that run at once.
type pool struct {
	slots chan struct{}
	// wait bounds the wait for a slot; 0 counts it in templateTimeout.
	wait time.Duration
}

func newPool(n int, wait time.Duration) *pool {
	return &pool{slots: make(chan struct{}, n), wait: wait}
}

// acquire takes a slot, waiting at most p.wait (or until ctx is done).
func (p *pool) acquire(ctx context.Context) error {
	if p.wait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.wait)
		defer cancel()
	}
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("webhook: no Jsonnet slot free: %w", ctx.Err())
	}
}

// template is a parsed body template.
type template struct {
	name string
	node ast.Node
}

// loadTemplate reads and parses the template raw names (nil for none).
func loadTemplate(ctx context.Context, raw string, client *http.Client) (*template, error) {
	if raw == "" {
		return nil, nil
	}
	src, err := urlsource.Read(ctx, raw, client, maxTemplateSource)
	if err != nil {
		return nil, fmt.Errorf("body %s: %w", urlsource.Redact(raw), err)
	}
	name := urlsource.Redact(raw)
	node, err := jsonnet.SnippetToAST(name, string(src))
	if err != nil {
		return nil, fmt.Errorf("body %s: %w", name, err)
	}
	return &template{name: name, node: node}, nil
}

// render evaluates the template with ctxJSON as its argument ctx, in a slot of p. It sees
// nothing else: no files, no environment.
func (t *template) render(ctx context.Context, p *pool, ctxJSON []byte) ([]byte, error) {
	if p.wait > 0 {
		if err := p.acquire(ctx); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, templateTimeout)
	defer cancel()
	if p.wait == 0 {
		if err := p.acquire(ctx); err != nil {
			return nil, err
		}
	}
	out, err := jsonnetbox.Run(ctx, templateStack, func() { <-p.slots }, func(vm *jsonnet.VM) (string, error) {
		vm.TLACode("ctx", string(ctxJSON))
		return vm.Evaluate(t.node)
	})
	var line string
	if err != nil {
		// go-jsonnet returns its errors formatted, so the cancel is told by its text.
		line, _, _ = strings.Cut(err.Error(), "\n")
	}
	switch {
	case err != nil && errors.Is(err, ctx.Err()):
		return nil, fmt.Errorf("webhook: the body template %s ran past %s", t.name, templateTimeout)
	case err != nil && line == (jsonnet.RuntimeError{Msg: "cancel"}).Error():
		return nil, ErrCancel
	case err != nil:
		return nil, fmt.Errorf("webhook: the body template %s failed: %s", t.name, line)
	case len(out) > maxBody:
		return nil, fmt.Errorf("webhook: the body template %s built more than %d bytes", t.name, maxBody)
	}
	return []byte(out), nil
}
