package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"runtime"
)

// cacheMemory measures what the session read's memory of identities (serve.identity_cache_size)
// costs in heap per identity: it empties the cache, bounded at n, reads the sessions of n
// distinct identities (each token's identity is another one) and compares the live heap after
// a collection before and after, then restores the configured bound. The identities are the
// builder's: a password credential (a bcrypt hash) and one e-mail address of both kinds.
func cacheMemory(ctx context.Context, d *db, n, restore int) (string, error) {
	n = min(n, len(d.ds.tokens))
	d.st.SetIdentityCacheSize(n)
	defer d.st.SetIdentityCacheSize(restore)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		h := sha256.Sum256([]byte(d.ds.tokens[i]))
		if _, err := d.st.GetSessionByToken(ctx, h[:]); err != nil {
			return "", err
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := float64(after.HeapAlloc) - float64(before.HeapAlloc)
	return fmt.Sprintf("%d identities remembered: %.1f MB of live heap, %.0f bytes each", n, grew/1e6, grew/float64(n)), nil
}
