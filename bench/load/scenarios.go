package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// op is one worker's loop body: prep (optional, not timed) readies the next operation, run is
// the timed request. A scenario builds one op per worker so workers share no state.
type op struct {
	prep func(ctx context.Context) error
	run  func(ctx context.Context) (reply, error)
}

// scenario is one named workload and the status every request of it should get.
type scenario struct {
	name  string
	want  int
	needs needs
	// floor scenarios target the -floor URL rather than Portico.
	floor bool
	note  string
	op    func(e *env, w int) op
}

// floorTokens is how many sessions bench/floor seeds, with tokens "floor-token-<i>"; keep it
// equal to the floor's -seed default.
const floorTokens = 1000

func (e *env) user(w int) *user { return e.users[w%len(e.users)] }

func get(e *env, target string, hdr http.Header) func(context.Context) (reply, error) {
	return func(ctx context.Context) (reply, error) {
		return do(ctx, e.client, http.MethodGet, target, nil, hdr)
	}
}

// scenarios lists every scenario in the order they run.
func scenarios() []scenario {
	return []scenario{
		{
			name: "whoami", want: http.StatusOK, needs: needs{identities: true, token: true},
			note: "GET /sessions/whoami with X-Session-Token",
			op: func(e *env, w int) op {
				return op{run: get(e, e.public+"/sessions/whoami", http.Header{"Accept": {"application/json"}, "X-Session-Token": {e.user(w).token}})}
			},
		},
		{
			name: "settings-ajax", want: http.StatusOK, needs: needs{identities: true, browser: true},
			note: "createBrowserSettingsFlow, Accept: application/json, session cookie",
			op: func(e *env, w int) op {
				return op{run: get(e, e.public+"/self-service/settings/browser", http.Header{"Accept": {"application/json"}, "Cookie": {e.user(w).cookie}})}
			},
		},
		{
			name: "settings-browser", want: http.StatusSeeOther, needs: needs{identities: true, browser: true},
			note: "createBrowserSettingsFlow, Accept: text/html, session cookie, redirect not followed",
			op: func(e *env, w int) op {
				return op{run: get(e, e.public+"/self-service/settings/browser", http.Header{"Accept": {"text/html,application/xhtml+xml"}, "Cookie": {e.user(w).cookie}})}
			},
		},
		{
			name: "get-settings-flow", want: http.StatusOK, needs: needs{identities: true, browser: true, browserFlow: true},
			note: "getSettingsFlow of a browser flow made (untimed) when the scenario starts, session cookie",
			op:   getSettingsFlow,
		},
		{
			name: "update-profile-native", want: http.StatusOK, needs: needs{identities: true, token: true, apiFlow: true},
			note: "updateSettingsFlow method=profile on an API flow with X-Session-Token (a fresh flow, untimed, after any failure)",
			op:   updateProfile,
		},
		{
			name: "login-password", want: http.StatusOK, needs: needs{identities: true},
			note: "native password login: the submission is timed, the flow creation before it is not",
			op:   loginPassword,
		},
		{
			name: "floor", want: http.StatusOK, floor: true,
			note: "bench/floor: one indexed session read, one flow insert, a ~6 KB JSON reply",
			op: func(e *env, w int) op {
				hdr := http.Header{"Accept": {"application/json"}, "Cookie": {fmt.Sprintf("ory_kratos_session=floor-token-%d", w%floorTokens)}}
				return op{run: get(e, e.floorURL+"/self-service/settings/browser", hdr)}
			},
		},
	}
}

// getSettingsFlow reads a flow each worker makes when the scenario starts: a flow made in
// setup may be gone by then, as Portico keeps an identity's newest 50 settings flows and the
// scenarios before this one create many.
func getSettingsFlow(e *env, w int) op {
	u := e.user(w)
	flowID := ""
	hdr := http.Header{"Accept": {"application/json"}, "Cookie": {u.cookie}}
	return op{
		prep: func(ctx context.Context) error {
			if flowID != "" {
				return nil
			}
			id, err := e.settingsFlow(ctx, u, true)
			flowID = id
			return err
		},
		run: func(ctx context.Context) (reply, error) {
			r, err := do(ctx, e.client, http.MethodGet, e.public+"/self-service/settings/flows?id="+url.QueryEscape(flowID), nil, hdr)
			if err != nil || r.status != http.StatusOK {
				flowID = ""
			}
			return r, err
		},
	}
}

func updateProfile(e *env, w int) op {
	u := e.user(w)
	// Each worker makes its flow when the scenario starts (see getSettingsFlow).
	flowID := ""
	n := 0
	return op{
		prep: func(ctx context.Context) error {
			if flowID != "" {
				return nil
			}
			id, err := e.settingsFlow(ctx, u, false)
			flowID = id
			return err
		},
		run: func(ctx context.Context) (reply, error) {
			n++
			body := map[string]any{"method": "profile", "traits": map[string]any{
				"email": u.email, "name": map[string]any{"first": fmt.Sprintf("Ada-%d-%d", w, n), "last": "Lovelace"},
			}}
			r, err := postJSON(ctx, e.client, e.public+"/self-service/settings?flow="+url.QueryEscape(flowID), body, jsonHeader("X-Session-Token", u.token))
			if err != nil || r.status != http.StatusOK {
				flowID = ""
			}
			return r, err
		},
	}
}

func loginPassword(e *env, w int) op {
	u := e.user(w)
	flowID := ""
	return op{
		prep: func(ctx context.Context) error {
			r, err := expect(http.StatusOK, "create login flow")(do(ctx, e.client, http.MethodGet, e.public+"/self-service/login/api", nil, jsonAccept))
			if err != nil {
				return err
			}
			f, err := decodeFlow(r)
			flowID = f.ID
			return err
		},
		run: func(ctx context.Context) (reply, error) {
			return postJSON(ctx, e.client, e.public+"/self-service/login?flow="+url.QueryEscape(flowID),
				map[string]any{"method": "password", "identifier": u.email, "password": u.password}, jsonHeader())
		},
	}
}

// selectScenarios resolves the -scenarios list ("" or "all": every Portico scenario, plus the
// floor when a floor URL is given).
func selectScenarios(list string, withFloor bool) ([]scenario, error) {
	all := scenarios()
	if list == "" || list == "all" {
		var out []scenario
		for _, s := range all {
			if !s.floor || withFloor {
				out = append(out, s)
			}
		}
		return out, nil
	}
	byName := map[string]scenario{}
	var names []string
	for _, s := range all {
		byName[s.name] = s
		names = append(names, s.name)
	}
	var out []scenario
	seen := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		s, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("unknown scenario %q (known: %s)", n, strings.Join(names, ", "))
		}
		if s.floor && !withFloor {
			return nil, fmt.Errorf("scenario %q needs -floor URL", n)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, s)
		}
	}
	return out, nil
}
