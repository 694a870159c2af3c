package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/portico-auth/portico/internal/config"
	"github.com/portico-auth/portico/internal/courier"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/urlsource"
)

// maxJsonnetBodyBytes bounds an HTTP channel's body template.
const maxJsonnetBodyBytes = 1 << 20

// NewCourier builds the courier's queue (what flows enqueue with) and its worker from the
// configuration. The worker is nil when no channel can send email (no courier.smtp
// connection_uri, no HTTP email channel): messages are then queued, visible in the admin API,
// and wait for a worker that can send them.
func NewCourier(ctx context.Context, cfg *config.Config, st store.Messages, log *slog.Logger, now func() time.Time) (*courier.Queue, *courier.Worker, error) {
	if now == nil {
		now = time.Now
	}
	client := &http.Client{Timeout: urlsource.FetchTimeout}
	tpl, err := courier.LoadTemplates(ctx, courier.TemplateOptions{
		OverridePath: cfg.Courier.TemplateOverridePath, Overrides: cfg.TemplateOverrides(), Client: client,
	})
	if err != nil {
		return nil, nil, err
	}
	channels := map[string]courier.Channel{}
	for i, ch := range cfg.Courier.Channels {
		c, err := newHTTPChannel(ctx, ch.RequestConfig, client)
		if err != nil {
			return nil, nil, fmt.Errorf("courier.channels[%d]: %w", i, err)
		}
		channels[ch.ID] = c
	}
	if _, ok := channels[courier.ChannelEmail]; !ok {
		switch {
		case cfg.EmailOverHTTP():
			c, err := newHTTPChannel(ctx, cfg.Courier.HTTP.RequestConfig, client)
			if err != nil {
				return nil, nil, fmt.Errorf("courier.http: %w", err)
			}
			channels[courier.ChannelEmail] = c
		case cfg.Courier.SMTP.ConnectionURI != "":
			s := cfg.Courier.SMTP
			c, err := courier.NewSMTP(courier.SMTPOptions{ConnectionURI: s.ConnectionURI, FromAddress: s.FromAddress,
				FromName: s.FromName, Headers: s.Headers, LocalName: s.LocalName})
			if err != nil {
				return nil, nil, err
			}
			channels[courier.ChannelEmail] = c
		}
	}
	ids := make([]string, 0, len(channels))
	for id := range channels {
		ids = append(ids, id)
	}
	q := courier.NewQueue(courier.QueueOptions{
		Store: st, Templates: tpl, Secrets: cfg.SealSecrets(),
		Channels: ids, Now: now, Log: log, Dev: cfg.Dev,
	})
	if len(channels) == 0 {
		return q, nil, nil
	}
	w := &courier.Worker{
		Store: st, Queue: q, Channels: channels, Log: log, Now: now, Retries: cfg.Courier.MessageRetries,
		PullCount: cfg.Courier.Worker.PullCount, PullWait: cfg.Courier.Worker.PullWait, Dev: cfg.Dev,
	}
	return q, w, nil
}

func newHTTPChannel(ctx context.Context, r config.HTTPRequestConfig, client *http.Client) (*courier.HTTP, error) {
	body, err := urlsource.Read(ctx, r.Body, client, maxJsonnetBodyBytes)
	if err != nil {
		return nil, fmt.Errorf("request_config.body (%s): %w", urlsource.Redact(r.Body), err)
	}
	a := r.Auth
	return courier.NewHTTP(courier.HTTPOptions{
		URL: r.URL, Method: r.Method, Body: body, Headers: r.Headers, AuthType: a.Type,
		User: a.Config.User, Password: a.Config.Password, APIKeyName: a.Config.Name, APIKeyValue: a.Config.Value,
		APIKeyIn: a.Config.In, Client: &http.Client{},
	})
}

// StartCourier runs the courier's worker until ctx ends; stop waits for the message being sent.
// It does nothing when no channel can send (see NewCourier).
func (a *App) StartCourier(ctx context.Context) (stop func()) {
	if a.CourierWorker == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = a.CourierWorker.Run(ctx)
	}()
	return func() { cancel(); <-done }
}
