package admin_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/portico-auth/portico/internal/apptest"
)

type batchReply struct {
	Identities []struct {
		Action   string `json:"action"`
		Identity string `json:"identity"`
		PatchID  string `json:"patch_id"`
		Error    *struct {
			Code   int    `json:"code"`
			Reason string `json:"reason"`
		} `json:"error"`
	} `json:"identities"`
}

// batchPerson is one createIdentityBody of a test batch, with an imported bcrypt hash.
func batchPerson(email, hash string, padding int) map[string]any {
	return map[string]any{
		"schema_id": "default",
		"traits":    map[string]any{"email": email},
		"credentials": map[string]any{"password": map[string]any{
			"config": map[string]any{"hashed_password": hash}}},
		"metadata_public": map[string]any{"note": strings.Repeat("n", padding)},
	}
}

func patchBatch(t testing.TB, s *apptest.Server, items []map[string]any) *apptest.Response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"identities": items})
	if err != nil {
		t.Fatal(err)
	}
	return s.Native(t).Do(http.MethodPatch, s.AdminURL("/admin/identities"), strings.NewReader(string(body)),
		http.Header{"Content-Type": {"application/json"}})
}

// TestBatchImportThousand creates 1,000 identities (2 MB of body, past the 1 MiB every other
// route has) in one request, then signs one of them in with the imported password hash.
func TestBatchImportThousand(t *testing.T) {
	s := apptest.Start(t)
	hash, _ := bcrypt.GenerateFromPassword([]byte("batch-imported-password"), 4)
	items := make([]map[string]any, 1000)
	for i := range items {
		items[i] = map[string]any{
			"patch_id": uuid.NewString(),
			"create":   batchPerson(fmt.Sprintf("batch-%04d@example.com", i), string(hash), 2000),
		}
	}
	size, _ := json.Marshal(map[string]any{"identities": items})
	start := time.Now()
	res := patchBatch(t, s, items)
	took := time.Since(start)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("batch: %d %.300s", res.StatusCode, res.Body)
	}
	t.Logf("1,000 identities (%d KB of body) in one PATCH /admin/identities: %s", len(size)/1024, took.Round(time.Millisecond))
	var out batchReply
	res.JSON(t, &out)
	if len(out.Identities) != 1000 {
		t.Fatalf("%d results", len(out.Identities))
	}
	for i, r := range out.Identities {
		if r.Action != "create" || r.Identity == "" || r.PatchID != items[i]["patch_id"] {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	list := s.Native(t).Get(s.AdminURL("/admin/identities?credentials_identifier=BATCH-0500@example.com"))
	var found []struct{ ID string }
	list.JSON(t, &found)
	if len(found) != 1 || found[0].ID != out.Identities[500].Identity {
		t.Errorf("credentials_identifier lookup: %s", list.Body)
	}
	similar := s.Native(t).Get(s.AdminURL("/admin/identities?preview_credentials_identifier_similar=batch-05&page_size=1000"))
	found = nil
	similar.JSON(t, &found)
	if similar.StatusCode != http.StatusOK || len(found) != 100 {
		t.Errorf("preview_credentials_identifier_similar=batch-05: %d, %d identities, want the 100 of batch-05xx", similar.StatusCode, len(found))
	}
	both := s.Native(t).Get(s.AdminURL("/admin/identities?preview_credentials_identifier_similar=b&credentials_identifier=batch-0001@example.com"))
	if both.StatusCode != http.StatusBadRequest {
		t.Errorf("both identifier filters: %d", both.StatusCode)
	}
	s.LoginNative(t, "batch-0999@example.com", "batch-imported-password")
}

// TestBatchPerItemResults: one item per failure kind beside good ones; each answers for
// itself, in order, and the good ones are created.
func TestBatchPerItemResults(t *testing.T) {
	s := apptest.Start(t)
	s.CreateIdentity(t, "taken@example.com", "a-long-enough-password")
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw-pw-pw-pw"), 4)
	pid := uuid.NewString()
	items := []map[string]any{
		{"create": batchPerson("good-1@example.com", string(hash), 0), "patch_id": pid},
		{"create": batchPerson("taken@example.com", string(hash), 0)},
		{"create": map[string]any{"schema_id": "default", "traits": map[string]any{"email": 7}}},
		{"create": map[string]any{"schema_id": "default", "traits": map[string]any{"email": "x@example.com"}, "surprise": true}},
		{"create": batchPerson("bad-hash@example.com", "$md4$nope", 0)},
		{},
		{"create": batchPerson("good-2@example.com", string(hash), 0)},
		{"create": batchPerson("good-1@example.com", string(hash), 0)},
	}
	res := patchBatch(t, s, items)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("batch: %d %s", res.StatusCode, res.Body)
	}
	var out batchReply
	res.JSON(t, &out)
	want := []struct {
		action string
		code   int
	}{{"create", 0}, {"error", 409}, {"error", 400}, {"error", 400}, {"error", 400}, {"error", 400}, {"create", 0}, {"error", 409}}
	if len(out.Identities) != len(want) {
		t.Fatalf("%d results: %s", len(out.Identities), res.Body)
	}
	// Items 0 and 7 name the same address and run concurrently: exactly one is created and
	// the other answers 409, whichever reached the store first.
	if out.Identities[0].Action == "error" {
		want[0], want[7] = want[7], want[0]
	}
	for i, w := range want {
		r := out.Identities[i]
		if r.Action != w.action || (w.code != 0 && (r.Error == nil || r.Error.Code != w.code)) || (w.code == 0 && r.Identity == "") {
			t.Errorf("item %d: %+v (error %+v), want %s %d", i, r, r.Error, w.action, w.code)
		}
	}
	if out.Identities[0].PatchID != pid {
		t.Errorf("patch_id not echoed: %+v", out.Identities[0])
	}
}

// TestBatchRefusals: the whole request is refused when every item fails, when it is too big
// or holds too many identities, and when more than 200 carry plain-text passwords.
func TestBatchRefusals(t *testing.T) {
	s := apptest.Start(t)
	s.CreateIdentity(t, "taken@example.com", "a-long-enough-password")
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw-pw-pw-pw"), 4)

	res := patchBatch(t, s, []map[string]any{{"create": batchPerson("taken@example.com", string(hash), 0)}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(string(res.Body), `"identities"`) {
		t.Errorf("all failed: %d %s", res.StatusCode, res.Body)
	}
	many := make([]map[string]any, 1001)
	for i := range many {
		many[i] = map[string]any{"create": batchPerson(fmt.Sprintf("m%d@example.com", i), string(hash), 0)}
	}
	if res := patchBatch(t, s, many); res.StatusCode != http.StatusBadRequest {
		t.Errorf("1,001 identities: %d", res.StatusCode)
	}
	plain := make([]map[string]any, 201)
	for i := range plain {
		p := batchPerson(fmt.Sprintf("p%d@example.com", i), string(hash), 0)
		if i == 0 {
			p["credentials"] = map[string]any{"password": map[string]any{"config": map[string]any{"password": "a plain one, hashed here"}}}
		}
		plain[i] = map[string]any{"create": p}
	}
	if res := patchBatch(t, s, plain); res.StatusCode != http.StatusBadRequest || !strings.Contains(string(res.Body), "200") {
		t.Errorf("201 with a plain password: %d %s", res.StatusCode, res.Body)
	}
	huge := strings.NewReader(`{"identities":[{"create":{"schema_id":"default","traits":{"email":"` + strings.Repeat("a", 17<<20) + `"}}}]}`)
	if res := s.Native(t).Do(http.MethodPatch, s.AdminURL("/admin/identities"), huge, http.Header{"Content-Type": {"application/json"}}); res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("17 MB body: %d", res.StatusCode)
	}
	for _, body := range []string{`{}`, `{"identities":{}}`, `[]`, `{"identities":[],"x":1}`} {
		r := s.Native(t).Do(http.MethodPatch, s.AdminURL("/admin/identities"), strings.NewReader(body), http.Header{"Content-Type": {"application/json"}})
		if r.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d %s", body, r.StatusCode, r.Body)
		}
	}
	// A body other routes would refuse for its size is still refused there.
	big := strings.NewReader(`{"schema_id":"default","traits":{"email":"` + strings.Repeat("a", 2<<20) + `"}}`)
	if r := s.Native(t).Do(http.MethodPost, s.AdminURL("/admin/identities"), big, http.Header{"Content-Type": {"application/json"}}); r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MB single create: %d", r.StatusCode)
	}
}

// TestBatchConcurrentSameIdentities: 100 concurrent batches of the same 20 people create each
// person exactly once; every other attempt is a 409 item.
func TestBatchConcurrentSameIdentities(t *testing.T) {
	s := apptest.Start(t)
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw-pw-pw-pw"), 4)
	items := make([]map[string]any, 20)
	for i := range items {
		items[i] = map[string]any{"create": batchPerson(fmt.Sprintf("race-%d@example.com", i), string(hash), 0)}
	}
	var (
		wg               sync.WaitGroup
		mu               sync.Mutex
		created, clashes int
		other            []string
	)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := patchBatch(t, s, items)
			var out batchReply
			if res.StatusCode == http.StatusOK || res.StatusCode == http.StatusConflict {
				if res.StatusCode == http.StatusOK {
					_ = json.Unmarshal(res.Body, &out)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			switch res.StatusCode {
			case http.StatusOK:
				for _, r := range out.Identities {
					if r.Action == "create" {
						created++
					} else if r.Error != nil && r.Error.Code == http.StatusConflict {
						clashes++
					} else {
						other = append(other, fmt.Sprintf("%+v", r))
					}
				}
			case http.StatusConflict:
				clashes += len(items)
			default:
				other = append(other, fmt.Sprintf("%d %.200s", res.StatusCode, res.Body))
			}
		}()
	}
	wg.Wait()
	if created != len(items) || clashes != 99*len(items) || len(other) > 0 {
		t.Fatalf("created %d (want %d), clashes %d (want %d), other %v", created, len(items), clashes, 99*len(items), other)
	}
}
