package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/httpx"
)

// Bounds of batchPatchIdentities, as Kratos documents them: up to 1,000 identities per
// request, or 200 when one of them carries a plain-text password (each is hashed here).
const (
	MaxBatchIdentities           = 1000
	MaxBatchPlainPasswords       = 200
	maxBatchIdentityBytes        = 16 << 10
	batchWorkers                 = 8
	MaxBatchBodyBytes      int64 = MaxBatchIdentities * maxBatchIdentityBytes
)

// batchLimits bound the whole batch body before anything is decoded: each identity is then
// held to httpx.DefaultLimits on its own.
var batchLimits = httpx.Limits{
	MaxDepth:       httpx.DefaultLimits.MaxDepth + 3,
	MaxFields:      MaxBatchIdentities * httpx.DefaultLimits.MaxFields,
	MaxNameBytes:   httpx.DefaultLimits.MaxNameBytes,
	MaxStringBytes: httpx.DefaultLimits.MaxStringBytes,
}

// patchItem is identityPatch; only create is defined by Kratos.
type patchItem struct {
	Create  json.RawMessage `json:"create"`
	PatchID *uuid.UUID      `json:"patch_id"`
}

// patchResult is identityPatchResponse.
type patchResult struct {
	Action   string        `json:"action"`
	Identity *uuid.UUID    `json:"identity,omitempty"`
	PatchID  *uuid.UUID    `json:"patch_id,omitempty"`
	Error    *apierr.Error `json:"error,omitempty"`
}

// batchPatch is batchPatchIdentities (PATCH /admin/identities): it creates each identity of
// the body as createIdentity would, each in its own transaction, and answers 200 with one
// result per item in the body's order (action "create" with the new id, or "error" with
// Kratos's error object). When not one identity was created the reply is the first item's
// error (400, or 409 for a conflict), as Kratos answers, with every item's result in
// details.identities.
func (h *IdentityHandler) batchPatch(w http.ResponseWriter, r *http.Request) error {
	items, err := decodeBatch(r)
	if err != nil {
		return err
	}
	results := make([]patchResult, len(items))
	var (
		mu      sync.Mutex
		stop    error // an outage: the items not started yet are not tried
		next    int
		created int
		wg      sync.WaitGroup
	)
	// A few creates at a time: each is its own transaction, and on PostgreSQL and MySQL their
	// round trips overlap (SQLite's single writer takes them in turn).
	for range min(batchWorkers, len(items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i, failed := next, stop
				next++
				mu.Unlock()
				if i >= len(items) {
					return
				}
				res := &results[i]
				res.PatchID = items[i].PatchID
				err := failed
				if err == nil {
					var id uuid.UUID
					if id, err = h.batchCreate(r, items[i]); err == nil {
						res.Action, res.Identity = "create", &id
						mu.Lock()
						created++
						mu.Unlock()
						continue
					}
				}
				res.Action, res.Error = "error", publicError(err)
				if errors.Is(err, apierr.ErrUnavailable) {
					mu.Lock()
					stop = err
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if created == 0 && len(results) > 0 {
		first := *results[0].Error
		return first.WithDetail("identities", results)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"identities": results})
	return nil
}

// batchCreate creates one item and returns its id.
func (h *IdentityHandler) batchCreate(r *http.Request, it patchItem) (uuid.UUID, error) {
	if len(bytes.TrimSpace(it.Create)) == 0 || string(bytes.TrimSpace(it.Create)) == "null" {
		return uuid.Nil, apierr.ErrBadRequest.WithReason("The patch has no create payload.")
	}
	if err := httpx.DefaultLimits.CheckJSON(it.Create); err != nil {
		return uuid.Nil, err
	}
	var body createBody
	if err := strictUnmarshal(it.Create, &body); err != nil {
		return uuid.Nil, err
	}
	id, err := h.createFrom(r, &body)
	if err != nil {
		return uuid.Nil, err
	}
	return id.ID, nil
}

// decodeBatch reads and bounds patchIdentitiesBody.
func decodeBatch(r *http.Request) ([]patchItem, error) {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBatchBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, apierr.ErrTooLarge.WithReason("The request body exceeds %d bytes.", MaxBatchBodyBytes)
		}
		return nil, apierr.ErrBadRequest.WithReason("Unable to read the request body.").WithCause(err)
	}
	if err := batchLimits.CheckJSON(data); err != nil {
		return nil, err
	}
	var body struct {
		Identities []patchItem `json:"identities"`
	}
	if err := strictUnmarshal(data, &body); err != nil {
		return nil, err
	}
	if body.Identities == nil {
		return nil, apierr.ErrBadRequest.WithReason("The field identities is required.")
	}
	if len(body.Identities) > MaxBatchIdentities {
		return nil, apierr.ErrBadRequest.WithReason("A batch may hold at most %d identities.", MaxBatchIdentities)
	}
	plain := 0
	for _, it := range body.Identities {
		if hasPlainPassword(it.Create) {
			plain++
		}
	}
	if plain > 0 && len(body.Identities) > MaxBatchPlainPasswords {
		return nil, apierr.ErrBadRequest.WithReason("A batch with plain-text passwords may hold at most %d identities (hash them first to send up to %d).", MaxBatchPlainPasswords, MaxBatchIdentities)
	}
	return body.Identities, nil
}

// hasPlainPassword reports whether a create payload carries credentials.password.config.password.
func hasPlainPassword(raw json.RawMessage) bool {
	var b struct {
		Credentials struct {
			Password struct {
				Config struct {
					Password string `json:"password"`
				} `json:"config"`
			} `json:"password"`
		} `json:"credentials"`
	}
	return json.Unmarshal(raw, &b) == nil && b.Credentials.Password.Config.Password != ""
}

// strictUnmarshal decodes raw into v, refusing unknown fields.
func strictUnmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apierr.ErrBadRequest.WithReason("Unable to decode JSON body: %s", strings.TrimPrefix(err.Error(), "json: ")).WithCause(err)
	}
	return nil
}

// publicError is err as Kratos's error object, without its cause (what WriteError sends).
func publicError(err error) *apierr.Error {
	e := *apierr.From(err)
	return &e
}
