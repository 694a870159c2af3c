package courier

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-jsonnet"
	"github.com/google/go-jsonnet/ast"

	"github.com/portico-auth/portico/internal/jsonnetbox"
)

// HTTPOptions configures an HTTP channel (courier.channels[].request_config, or courier.http
// for email): Kratos's way to send an SMS, or an email, through a provider's API.
type HTTPOptions struct {
	URL    string
	Method string // default POST
	// Body is the Jsonnet template of the request body: a function of ctx, which holds
	// Recipient, Subject, Body, TemplateType, TemplateData and MessageType.
	Body    []byte
	Headers map[string]string
	// AuthType is "", "api_key" (APIKeyName/APIKeyValue sent in the header or cookie named by
	// APIKeyIn) or "basic_auth" (User/Password).
	AuthType                string
	User, Password          string
	APIKeyName, APIKeyValue string
	APIKeyIn                string
	Client                  *http.Client
}

const (
	// maxJsonnetOutput bounds the body a template may produce.
	maxJsonnetOutput = 1 << 20
	// maxProviderReply bounds what is read of the provider's answer (it is discarded).
	maxProviderReply = 64 << 10
)

// HTTP delivers messages by calling an HTTP API with a body rendered from a Jsonnet template.
type HTTP struct {
	o    HTTPOptions
	body ast.Node
}

// NewHTTP checks the options and parses the template.
func NewHTTP(o HTTPOptions) (*HTTP, error) {
	if o.Method == "" {
		o.Method = http.MethodPost
	}
	o.Method = strings.ToUpper(o.Method)
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	node, err := jsonnet.SnippetToAST("body.jsonnet", string(o.Body))
	if err != nil {
		return nil, fmt.Errorf("parse the Jsonnet body: %w", err)
	}
	return &HTTP{o: o, body: node}, nil
}

// jsonnetContext is what the template's ctx holds, under Kratos's names.
type jsonnetContext struct {
	Recipient    string
	Subject      string
	Body         string
	TemplateType TemplateType
	TemplateData json.RawMessage
	MessageType  string
}

// Render evaluates the body template for m, within ctx's deadline and maxJsonnetOutput bytes.
func (h *HTTP) Render(ctx context.Context, m Outgoing) ([]byte, error) {
	data := m.TemplateData
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	tla, err := json.Marshal(jsonnetContext{Recipient: m.Recipient, Subject: m.Subject, Body: m.Body,
		TemplateType: m.TemplateType, TemplateData: data, MessageType: m.MessageType})
	if err != nil {
		return nil, err
	}
	out, err := jsonnetbox.Run(ctx, 0, nil, func(vm *jsonnet.VM) (string, error) {
		vm.TLACode("ctx", string(tla))
		return vm.Evaluate(h.body)
	})
	switch {
	case err != nil && errors.Is(err, ctx.Err()):
		return nil, fmt.Errorf("the Jsonnet body took too long: %w", err)
	case err != nil:
		return nil, Permanent(fmt.Errorf("evaluate the Jsonnet body: %s", firstLine(err.Error())))
	case len(out) > maxJsonnetOutput:
		return nil, Permanent(errors.New("the Jsonnet body is over 1 MiB"))
	}
	return []byte(out), nil
}

// Send renders the body and calls the API. A 2xx answer is success; 408, 429 and 5xx are
// retried; any other answer (the provider refuses the request) is permanent.
func (h *HTTP) Send(ctx context.Context, m Outgoing) error {
	var body io.Reader
	if h.o.Method != http.MethodGet && h.o.Method != http.MethodHead {
		b, err := h.Render(ctx, m)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, h.o.Method, h.o.URL, body)
	if err != nil {
		return Permanent(fmt.Errorf("http channel: %w", err))
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range h.o.Headers {
		req.Header.Set(k, v)
	}
	switch h.o.AuthType {
	case "basic_auth":
		req.SetBasicAuth(h.o.User, h.o.Password)
	case "api_key":
		if h.o.APIKeyIn == "cookie" {
			req.AddCookie(&http.Cookie{Name: h.o.APIKeyName, Value: h.o.APIKeyValue})
		} else {
			req.Header.Set(h.o.APIKeyName, h.o.APIKeyValue)
		}
	}
	resp, err := h.o.Client.Do(req)
	if err != nil {
		// The URL is the operator's; the error names it without credentials (net/http
		// redacts a password in the URL).
		return fmt.Errorf("http channel: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxProviderReply))
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c == http.StatusRequestTimeout, c == http.StatusTooManyRequests, c >= 500:
		// The provider's reply body is not kept: it may echo the message.
		return fmt.Errorf("http channel: the provider answered %s", resp.Status)
	default:
		return Permanent(fmt.Errorf("http channel: the provider answered %s", resp.Status))
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
