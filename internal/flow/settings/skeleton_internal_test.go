package settings

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/text"
)

// skeletonFlow is a settings flow with every member appendSkeleton writes set from the
// arguments.
func skeletonFlow(url, returnTo, active, msg string, issued, created int64, withOrg, withCW bool) *Flow {
	at := time.Unix(0, issued).In(time.FixedZone("", 5*3600+30*60))
	f := &Flow{Base: flow.Base{ID: uuid.New(), Type: flow.TypeBrowser, IssuedAt: at, ExpiresAt: at.Add(time.Hour).UTC(),
		RequestURL: url, ReturnTo: returnTo,
		UI: flow.Container{Action: url + "?flow=x&y=<z>", Method: "POST", Nodes: flow.Nodes{}}},
		State: StateShowForm, Active: active}
	if withOrg {
		org := uuid.New()
		f.OrganizationID = &org
	}
	if created != 0 {
		f.CreatedAt, f.UpdatedAt = time.Unix(0, created).UTC(), time.Unix(0, created+1)
	}
	if msg != "" {
		f.UI.AddMessage(text.Message{ID: 1050001, Text: msg, Type: "info", Context: map[string]any{"reason": msg, "n": 1.5}})
	}
	if withCW {
		f.State = StateSuccess
		f.ContinueWith = []any{flow.RedirectBrowserTo(returnTo), map[string]any{"action": msg}}
	}
	return f
}

// TestSkeletonIsJSONMarshal: the hand-written skeleton is json.Marshal's, byte for byte, for
// every member set or left out, strings that need escaping (HTML, U+2028, invalid UTF-8),
// times in other zones and with nanoseconds, messages, continue_with, an identity, and a node
// list; a time json.Marshal refuses is refused too.
func TestSkeletonIsJSONMarshal(t *testing.T) {
	flows := []*Flow{
		skeletonFlow("http://127.0.0.1:4433/self-service/settings/browser", "", "", "", 1767225600123456789, 0, false, false),
		skeletonFlow("https://a.example/?q=1&r=<2>", "https://app.example/x?a=b&c=\u2028\"'\\", "profile", "saved <b>&</b>", 1, 1767225600000000000, true, true),
		skeletonFlow("http://x/\xff\xfe", "\x00\x1f\u2029é", "totp", "\xc3", -1767225600000000001, -5, true, false),
	}
	withIdentity := skeletonFlow("http://x/", "", "", "", 0, 0, false, false)
	withIdentity.Identity = &identity.Identity{ID: uuid.New(), SchemaID: "default", Traits: json.RawMessage(`{"email":"a@example.com"}`)}
	flows = append(flows, withIdentity)
	withNodes := skeletonFlow("http://x/", "", "", "m", 0, 0, false, false)
	withNodes.UI.Nodes.Append(flow.NewCSRFNode("tok<en>"))
	flows = append(flows, withNodes)
	for i, f := range flows {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendSkeleton([]byte("prefix"), f)
		if err != nil {
			t.Fatalf("flow %d: %v", i, err)
		}
		if !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Errorf("flow %d:\n got %s\nwant prefix%s", i, got, want)
		}
	}
	bad := skeletonFlow("http://x/", "", "", "", 0, 0, false, false)
	bad.ExpiresAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := json.Marshal(bad); err == nil {
		t.Fatal("json.Marshal took the year 10000")
	}
	if _, err := appendSkeleton(nil, bad); err == nil {
		t.Error("appendSkeleton took the year 10000")
	}
}

// FuzzSkeletonIsJSONMarshal: any strings and times give json.Marshal's bytes, or an error
// where it errs.
func FuzzSkeletonIsJSONMarshal(f *testing.F) {
	f.Add("http://x/", "https://app/<x>", "profile", "msg & <b>", int64(1767225600123456789), int64(0), true, true)
	f.Add("\xff", "\u2028", "", "", int64(-1), int64(7), false, false)
	f.Fuzz(func(t *testing.T, url, returnTo, active, msg string, issued, created int64, withOrg, withCW bool) {
		fl := skeletonFlow(url, returnTo, active, msg, issued, created, withOrg, withCW)
		want, wantErr := json.Marshal(fl)
		got, err := appendSkeleton(nil, fl)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("error %v, json.Marshal's %v", err, wantErr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	})
}

// TestSkeletonWritesEveryMember: appendSkeleton (with Base.AppendJSONMembers) names the JSON
// members it writes one by one, so a member added to Flow or flow.Base would be left out of
// every stored flow and reply without a word. The comparison with json.Marshal above cannot
// see one that is omitempty and unset in skeletonFlow; this lists the struct's members instead.
func TestSkeletonWritesEveryMember(t *testing.T) {
	var names []string
	var walk func(reflect.Type)
	walk = func(rt reflect.Type) {
		for i := range rt.NumField() {
			f := rt.Field(i)
			if f.Anonymous {
				walk(f.Type)
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			names = append(names, name)
		}
	}
	walk(reflect.TypeFor[Flow]())
	slices.Sort(names)
	// What appendSkeleton writes; "identity" through json.Marshal.
	want := []string{"active", "continue_with", "created_at", "expires_at", "id", "identity", "issued_at",
		"organization_id", "request_url", "return_to", "state", "type", "ui", "updated_at"}
	if !slices.Equal(names, want) {
		t.Errorf("settings.Flow's JSON members are %v; appendSkeleton writes %v: teach it the new ones", names, want)
	}
}
