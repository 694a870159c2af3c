package settings

import (
	"math/bits"
	"sync"
)

// Encoding a new flow writes its bytes several times over (each node's JSON, the stored
// document, the reply, the private column and its sealed text): with TOTP, lookup codes,
// WebAuthn and passkeys on, about 60 KB a flow, dropped as soon as the row is stored and the
// reply written. bufPools keeps those buffers for the next flow instead of leaving them to the
// collector, in classes of powers of two (a buffer of class c holds at least 1<<c bytes).
//
// A pooled buffer goes back only where its last reader is known to be done with it (see
// encoded.release): the store copies a record's bytes into the statement before CreateFlow
// returns, and a reply's bytes are written to the connection before ShowEncoded returns.
const (
	minBufClass = 10 // 1 KiB: smaller buffers are cheap to make
	maxBufClass = 18 // 256 KiB: larger ones are left to the collector
)

var bufPools [maxBufClass + 1]sync.Pool // of *[]byte

// getBuf returns an empty buffer of capacity at least n, in a box putBuf takes back.
func getBuf(n int) *[]byte {
	c := bufClass(n)
	if c > maxBufClass {
		b := make([]byte, 0, n)
		return &b
	}
	if p, _ := bufPools[c].Get().(*[]byte); p != nil {
		*p = (*p)[:0]
		return p
	}
	b := make([]byte, 0, 1<<c)
	return &b
}

// putBuf gives p's buffer back to the pool of the class its capacity fills. The caller must
// hold no slice of it any more.
func putBuf(p *[]byte) {
	if p == nil {
		return
	}
	n := cap(*p)
	if n < 1<<minBufClass {
		return
	}
	c := bits.Len(uint(n)) - 1 // the largest class n fills
	if c > maxBufClass {
		return
	}
	*p = (*p)[:0]
	bufPools[c].Put(p)
}

// bufClass is the smallest class whose buffers hold n bytes.
func bufClass(n int) int {
	if n <= 1<<minBufClass {
		return minBufClass
	}
	return bits.Len(uint(n - 1))
}

// putCleared is putBuf for a buffer that held secrets in clear (an opened private column, a
// reply showing a TOTP key): it is zeroed first, over its whole capacity, so that no secret
// waits in the pool for the next user or a memory dump.
func putCleared(p *[]byte) {
	if p == nil {
		return
	}
	clear((*p)[:cap(*p)])
	putBuf(p)
}
