package settings

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/text"
)

// TestBufPoolClasses checks that getBuf gives at least the capacity asked for, from the class
// putBuf files a buffer under, and that putBuf keeps no buffer outside the pooled classes.
func TestBufPoolClasses(t *testing.T) {
	for _, n := range []int{0, 1, 1023, 1024, 1025, 4096, 5000, 12345, 1 << 18, 1<<18 + 1} {
		p := getBuf(n)
		if cap(*p) < n || len(*p) != 0 {
			t.Errorf("getBuf(%d): len %d cap %d", n, len(*p), cap(*p))
		}
		*p = append(*p, "filled"...)
		putBuf(p)
		q := getBuf(n)
		if len(*q) != 0 || cap(*q) < n {
			t.Errorf("getBuf(%d) after putBuf: len %d cap %d", n, len(*q), cap(*q))
		}
	}
	// A buffer grown past its class is filed under the class its capacity fills, so that a
	// later getBuf of that class never gets less than the class promises.
	for _, c := range []int{1500, 3000, 9000, 70000} {
		b := make([]byte, 0, c)
		putBuf(&b)
		for k := minBufClass; k <= maxBufClass; k++ {
			if p, _ := bufPools[k].Get().(*[]byte); p != nil && cap(*p) < 1<<k {
				t.Errorf("class %d holds a buffer of capacity %d", k, cap(*p))
			}
		}
	}
	putBuf(nil)
	small := make([]byte, 0, 100)
	putBuf(&small) // below the smallest class: dropped, not filed
	if p, _ := bufPools[minBufClass].Get().(*[]byte); p != nil && cap(*p) < 1<<minBufClass {
		t.Errorf("smallest class holds a buffer of capacity %d", cap(*p))
	}
}

// TestPutClearedClears: a buffer that held secrets goes back to the pool zeroed over its whole
// capacity, not only its length.
func TestPutClearedClears(t *testing.T) {
	p := getBuf(2048)
	*p = append(*p, "otpauth://totp/Portico:ada?secret=JBSWY3DPEHPK3PXP"...)
	whole := (*p)[:cap(*p)]
	*p = (*p)[:10]
	putCleared(p)
	for i, c := range whole {
		if c != 0 {
			t.Fatalf("byte %d is %q after putCleared", i, c)
		}
	}
	putCleared(nil)
}

// TestReleaseClearsTheBuffers: an encoded flow's buffers (nodes, stored document, reply) go
// back zeroed, so that the TOTP key the reply showed does not wait in the pool; and encodeShowing
// does not give back the nodes it borrowed.
func TestReleaseClearsTheBuffers(t *testing.T) {
	sl := newSealer([]string{"a-test-cookie-secret-of-32-chars"})
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	owner := uuid.New()
	st := &stored{Flow: Flow{Base: flow.Base{ID: uuid.New(), Type: flow.TypeBrowser, ExpiresAt: now.Add(time.Hour), IssuedAt: now,
		RequestURL: "http://localhost/", UI: flow.Container{Action: "http://localhost/self-service/settings?flow=x", Method: "POST"}},
		State: StateShowForm}, owner: &owner}
	st.UI.Nodes.Append(flow.NewCSRFNode("token"))
	st.AppendSecret(flow.NewTextNode(flow.GroupTOTP, "totp_secret_key", text.Message{ID: 1, Text: "JBSWY3DPEHPK3PXP", Type: "info"}, nil))
	st.SetInternalJSON("totp", []byte(`{"secret":"JBSWY3DPEHPK3PXP"}`))
	e, err := encode(st, sl)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(e.body, []byte("JBSWY3DPEHPK3PXP")) {
		t.Fatalf("the reply does not show the key: %s", e.body)
	}
	shown, err := encodeShowing(st, sl, e)
	if err != nil {
		t.Fatal(err)
	}
	if shown.pooled[0] != nil {
		t.Error("encodeShowing would give back the nodes it borrowed")
	}
	var held [][]byte
	for _, p := range e.pooled {
		if p != nil {
			held = append(held, (*p)[:cap(*p)])
		}
	}
	if len(held) != len(e.pooled) {
		t.Fatalf("%d pooled buffers, want %d (nodes, data, body, private)", len(held), len(e.pooled))
	}
	e.release()
	for i, b := range held {
		if bytes.ContainsFunc(b, func(r rune) bool { return r != 0 }) {
			t.Errorf("buffer %d was given back with %q…", i, b[:min(len(b), 40)])
		}
	}
}

// TestAppendKeyIsJSONMarshal: the internal context's keys are written as json.Marshal writes
// them, plain or not.
func TestAppendKeyIsJSONMarshal(t *testing.T) {
	for _, k := range []string{"", "totp_url", "ceremony.settings", `a"b`, `a\b`, "<tag>&", "tab\there", "é", "\u2028", "\x7f", "\xff"} {
		want, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendKey([]byte("x"), k)
		if err != nil || string(got) != "x"+string(want) {
			t.Errorf("appendKey(%q) = %s, %v; want x%s", k, got, err, want)
		}
	}
}

// TestSuccessReleaseClearsBoth: a success gives back the buffers of both its encodings, the
// submitted flow's (its stored document, reply and private column) and the fresh flow's (its
// nodes, which the success shows too, its stored document and private column), all zeroed;
// the success holds none of them after.
func TestSuccessReleaseClearsBoth(t *testing.T) {
	sl := newSealer([]string{"a-test-cookie-secret-of-32-chars"})
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	owner := uuid.New()
	newFlow := func(bodyless bool) *stored {
		st := &stored{Flow: Flow{Base: flow.Base{ID: uuid.New(), Type: flow.TypeAPI, ExpiresAt: now.Add(time.Hour), IssuedAt: now,
			RequestURL: "http://localhost/", UI: flow.Container{Action: "http://localhost/self-service/settings?flow=x", Method: "POST"}},
			State: StateShowForm}, owner: &owner, bodyless: bodyless}
		st.UI.Nodes.Append(flow.NewCSRFNode("token"))
		st.AppendSecret(flow.NewTextNode(flow.GroupTOTP, "totp_secret_key", text.Message{ID: 1, Text: "JBSWY3DPEHPK3PXP", Type: "info"}, nil))
		st.SetInternalJSON("totp", []byte(`{"secret":"JBSWY3DPEHPK3PXP"}`))
		return st
	}
	next := newFlow(true)
	ne, err := encode(next, sl)
	if err != nil {
		t.Fatal(err)
	}
	done := newFlow(false)
	done.UI.Nodes = next.UI.Nodes
	done.State = StateSuccess
	e, err := encodeShowing(done, sl, ne)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(e.body, []byte("JBSWY3DPEHPK3PXP")) {
		t.Fatalf("the success reply does not show the key: %s", e.body)
	}
	sc := &success{st: done, rec: e.rec, body: e.body, nextRec: ne.rec, e: e, next: ne}
	var held [][]byte
	for _, enc := range []encoded{e, ne} {
		for _, p := range enc.pooled {
			if p != nil {
				held = append(held, (*p)[:cap(*p)])
			}
		}
	}
	// The success's data, reply and private column; the fresh flow's nodes, data and private
	// column (it has no reply: it is built bodyless).
	if len(held) != 6 {
		t.Fatalf("%d pooled buffers, want 6", len(held))
	}
	sc.release()
	for i, b := range held {
		if bytes.ContainsFunc(b, func(r rune) bool { return r != 0 }) {
			t.Errorf("buffer %d was not given back (or not zeroed): %q…", i, b[:min(len(b), 40)])
		}
	}
	if sc.rec != nil || sc.body != nil || sc.nextRec != nil || sc.e.pooled != [4]*[]byte{} || sc.next.pooled != [4]*[]byte{} {
		t.Error("the success still holds its buffers after release")
	}
	var none *success
	none.release()
}
