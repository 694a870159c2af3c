package flow

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// TestReplyEncodedSendsItsLength: an encoded flow (kilobytes, past what net/http buffers
// before it chunks) goes out with its Content-Length, not chunked (a chunked reply costs the
// server a third write to the connection), never cached, varying by Origin and Cookie, and a
// Vary the handler set before is kept.
func TestReplyEncodedSendsItsLength(t *testing.T) {
	body := append(append([]byte(`{"ui":{"nodes":[`), bytes.Repeat([]byte(`{"type":"text"},`), 1000)...), `{}]}}`...)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/vary" {
			w.Header().Set("Vary", "Accept")
		}
		ReplyEncoded(w, http.StatusOK, body)
	}))
	defer srv.Close()
	for path, vary := range map[string][]string{"/": {"Origin", "Cookie"}, "/vary": {"Accept", "Origin", "Cookie"}} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if !bytes.Equal(got, body) || res.ContentLength != int64(len(body)) || len(res.TransferEncoding) > 0 {
			t.Errorf("%s: %d bytes of %d, Content-Length %d, Transfer-Encoding %v", path, len(got), len(body), res.ContentLength, res.TransferEncoding)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "private, no-cache, no-store, must-revalidate" {
			t.Errorf("%s: Cache-Control %q", path, cc)
		}
		if v := res.Header.Values("Vary"); !slices.Equal(v, vary) {
			t.Errorf("%s: Vary %q, want %q", path, v, vary)
		}
	}
}
