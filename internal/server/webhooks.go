package server

import (
	"context"
	"fmt"

	"github.com/portico-auth/portico/internal/config"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/webhook"
)

// hookedFlows are the flows whose before and after sections may hold web hooks.
var hookedFlows = []string{config.FlowLogin, config.FlowRegistration, config.FlowSettings, config.FlowVerification, config.FlowRecovery}

// newWebHooks builds the one web hook caller and every flow's hooks (a.hooks), loading each
// body template once: a hook whose config or template is wrong stops the server here.
func newWebHooks(ctx context.Context, a *App) error {
	cfg := a.Config
	a.WebHooks = webhook.NewCaller(webhook.Options{
		Log: a.Log, Timeout: cfg.SelfService.WebHooks.Timeout, Attempts: cfg.SelfService.WebHooks.Attempts,
		FlowTimeout: cfg.SelfService.WebHooks.FlowTimeout,
	})
	a.hooks = map[string]*flow.Hooks{}
	for _, kind := range hookedFlows {
		h := &flow.Hooks{Caller: a.WebHooks, After: map[string][]*webhook.Hook{},
			Persists: kind == config.FlowRegistration || kind == config.FlowSettings}
		var err error
		if h.Before, err = loadHooks(ctx, a.WebHooks, "selfservice.flows."+kind+".before", cfg.BeforeHooks(kind)); err != nil {
			return err
		}
		shared := cfg.AfterHooks(kind, "")
		if h.After[""], err = loadHooks(ctx, a.WebHooks, "selfservice.flows."+kind+".after", shared); err != nil {
			return err
		}
		n := len(h.Before) + len(h.After[""])
		for _, m := range config.AfterMethods() {
			all := cfg.AfterHooks(kind, m)
			own, err := loadHooks(ctx, a.WebHooks, "selfservice.flows."+kind+".after."+m, all[:len(all)-len(shared)])
			if err != nil {
				return err
			}
			if len(own) > 0 {
				h.After[m] = append(own, h.After[""]...)
				n += len(own)
			}
		}
		if n > 0 {
			a.hooks[kind] = h
		}
	}
	return nil
}

// loadHooks loads the web_hook entries of hooks (the other hooks are the flows' own).
func loadHooks(ctx context.Context, c *webhook.Caller, path string, hooks []config.Hook) ([]*webhook.Hook, error) {
	var out []*webhook.Hook
	for i, hk := range hooks {
		if hk.Hook != "web_hook" {
			continue
		}
		cfg, err := webhook.ParseConfig(fmt.Sprintf("%s.hooks[%d].config", path, i), hk.Config)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		h, err := c.Load(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("config: %s.hooks[%d].config.%w", path, i, err)
		}
		out = append(out, h)
	}
	return out, nil
}
