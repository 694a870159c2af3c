package totp

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Every settings flow of an identity without an app offers a key to link, with its QR code. A
// user (or an SPA) that opens the settings page again and again would get a new secret and a
// new QR code each time; Portico offers the same key to the flows one identity starts within a
// short window, so the key is generated and its QR code drawn once per window, not per flow.
// Each flow still keeps the key it offered in its own sealed internal context, so a flow
// outlives the window; the window only decides which key a new flow offers.
//
// An entry holds for one version of the identity: any stored change (linking an app,
// unlinking it, new traits) ends it, so a key once linked, or named after old traits, is never
// offered again. The entries live in this process only (another instance offers its own key),
// at most pendingMax of them.

// pendingWindow is how long new flows of one identity offer the same key.
const pendingWindow = 5 * time.Minute

// pendingMax bounds the entries (about 2 KB each: the QR code as a data URI and the URL).
const pendingMax = 1024

// offer is a key offered for linking: its otpauth URL, secret and QR code (a data URI).
type offer struct {
	url, secret, qr string
	// urlJSON is url as a JSON string, as the flow's internal context keeps it (encoded once
	// per offer, not once per flow).
	urlJSON json.RawMessage
}

type pendingEntry struct {
	offer
	version int
	expires time.Time
}

// pendingKeys holds the key each identity's new flows offer, for pendingWindow.
type pendingKeys struct {
	mu sync.Mutex
	m  map[uuid.UUID]pendingEntry
}

// get returns the key offered to identity id at version, if one was made within the window.
func (p *pendingKeys) get(id uuid.UUID, version int, now time.Time) (offer, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.m[id]
	if !ok || e.version != version || !now.Before(e.expires) {
		return offer{}, false
	}
	return e.offer, true
}

// drawn returns the offer of key url if it is the one last offered to identity id (at any
// version, in or past the window): a flow that keeps url reuses its QR code.
func (p *pendingKeys) drawn(id uuid.UUID, url string) (offer, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.m[id]
	if !ok || e.url != url {
		return offer{}, false
	}
	return e.offer, true
}

// put makes o the key identity id's new flows offer until the window ends (or the identity
// changes). Past pendingMax entries the expired ones go, then arbitrary ones.
func (p *pendingKeys) put(id uuid.UUID, version int, o offer, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = make(map[uuid.UUID]pendingEntry)
	}
	if _, ok := p.m[id]; !ok && len(p.m) >= pendingMax {
		for k, e := range p.m {
			if !now.Before(e.expires) {
				delete(p.m, k)
			}
		}
		for k := range p.m {
			if len(p.m) < pendingMax {
				break
			}
			delete(p.m, k)
		}
	}
	p.m[id] = pendingEntry{offer: o, version: version, expires: now.Add(pendingWindow)}
}
