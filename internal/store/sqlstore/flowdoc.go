package sqlstore

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/bits"
	"sync"
	"unsafe"

	"github.com/klauspost/compress/s2"

	"github.com/portico-auth/portico/internal/apierr"
)

// On SQLite and PostgreSQL a flow's documents are stored in a smaller form when they have
// one. SQLite keeps a row that does not fit on its 4 KiB page in a chain of overflow pages: a
// settings flow with every second factor on (data 8.4 KB of JSON, private 4.3 KB of sealed
// base64 text) was three of them, each a WAL frame at every insert and a page the delete that
// trims old flows reads and frees. PostgreSQL received the 12.7 KB over the wire, compressed
// the JSON itself (pglz) at every insert and decompressed it at every read.
//
//   - data, JSON, is stored as an S2 block (klauspost/compress) when that saves an eighth: the
//     8.4 KB document compresses to 2.2 KB in ~3 µs and decodes in ~1 µs.
//   - private, when it is base64url text (sealed bytes: S2 cannot shrink them), is stored as
//     the bytes it encodes: a quarter less (4.3 KB to 3.2 KB).
//
// The row is then 5.5 KB: on SQLite one overflow page, with two rows to a table leaf. MySQL's
// rows are left as they are (text columns), so only SQLite and PostgreSQL (whose columns are
// bytea since migration 0024) write these forms; reads understand them everywhere.
//
// A stored form is a BLOB that starts with a NUL, which no JSON document and no base64 text
// begins with, and a byte naming the form (flowDocS2, flowDocBase64), so rows written before
// (or by other tools) as text are still read as they are. Every read gives the text the
// caller stored: store.FlowRecord does not change. On PostgreSQL a document kept as text is
// bound as its bytes (docText): bytea's text input would read its backslashes as escapes.

// The prefixes of the stored forms: a NUL, then the form.
const (
	// flowDocS2 starts a document stored as one S2 block of its whole text.
	flowDocS2 = "\x00\x01"
	// flowDocBase64 starts a document stored as the bytes its unpadded base64url text encodes.
	flowDocBase64 = "\x00\x02"
)

const (
	// flowDocMinCompress is the smallest document stored in another form: below it a row fits
	// on its page anyway.
	flowDocMinCompress = 1 << 10
	// flowDocMaxCompress is the largest document stored in another form (larger ones, if there
	// were any, are stored as text). It is also the bound of what a read decodes: a stored
	// block that claims more is corrupt, never a huge allocation.
	flowDocMaxCompress = 16 << 20
)

// errFlowDocCorrupt is a stored flow document that cannot be decoded.
var errFlowDocCorrupt = apierr.ErrInternal.WithReason("a stored flow document is corrupt")

// base64Strict decodes unpadded base64url text that is the one encoding of its bytes (no
// stray bits), so that encoding the bytes again gives the text back.
var base64Strict = base64.RawURLEncoding.Strict()

// flowDocArg is the value of a flow's data column as insertFlow and replaceFlow bind it: on
// SQLite and PostgreSQL, when compressing saves at least an eighth, the compressed document in
// a pooled buffer (a []byte, bound as a BLOB), which putFlowDoc gives back once the statement
// ran; otherwise b as text, without a copy (docText).
func (s *Store) flowDocArg(b []byte) any {
	if !s.storedForms(b) {
		return s.docText(b)
	}
	n := len(flowDocS2) + s2.MaxEncodedLen(len(b))
	buf := getFlowDocBuf(n)
	buf = append(buf[:0], flowDocS2...)
	// buf has room for the longest block, so Encode writes into it.
	out := s2.Encode(buf[len(flowDocS2):n], b)
	if len(flowDocS2)+len(out) > len(b)-len(b)/8 {
		putFlowDocBuf(buf)
		return s.docText(b)
	}
	return buf[:len(flowDocS2)+len(out)]
}

// flowPrivateArg is flowDocArg for the private column (NULL when empty): on SQLite and
// PostgreSQL, base64url text (a sealed column) is bound as the bytes it encodes.
func (s *Store) flowPrivateArg(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	if !s.storedForms(b) || bytes.IndexByte(b, '\n') >= 0 || bytes.IndexByte(b, '\r') >= 0 {
		// The decoder skips line breaks: text with them is not the encoding of its bytes.
		return s.docText(b)
	}
	n := len(flowDocBase64) + base64Strict.DecodedLen(len(b))
	buf := getFlowDocBuf(n)
	buf = append(buf[:0], flowDocBase64...)
	out, err := base64Strict.AppendDecode(buf, b)
	if err != nil {
		putFlowDocBuf(buf)
		return s.docText(b)
	}
	return out
}

// storedForms reports whether a document of b's size is stored in another form than text.
func (s *Store) storedForms(b []byte) bool {
	return s.d.name != "mysql" && !s.plainFlowDocs && len(b) >= flowDocMinCompress && len(b) <= flowDocMaxCompress
}

// docText is a document bound as its text: on PostgreSQL, whose columns are bytea, b itself
// (its bytes are the text's; it starts with no NUL, so putFlowDoc leaves it alone), elsewhere
// a string without a copy (textArg).
func (s *Store) docText(b []byte) any {
	if s.d.name == "postgres" {
		if b == nil {
			return []byte{} // data is NOT NULL: an empty document is empty text, as elsewhere
		}
		return b
	}
	return textArg(b)
}

// putFlowDoc gives back the pooled buffers of a flow's arguments (flowDocArg,
// flowPrivateArg) among args once the statement that bound them ran: every driver copies a
// BLOB argument while it runs the statement and keeps no reference to it afterwards (see
// textArg). Other arguments are left alone; a buffer not given back is just garbage.
func putFlowDoc(args ...any) {
	for _, a := range args {
		if b, ok := a.([]byte); ok && len(b) > 0 && b[0] == 0 {
			putFlowDocBuf(b)
		}
	}
}

// decodeFlowDoc returns the text of a stored flow document: b itself when it is text (it does
// not start with a NUL), else its decoding into a new slice. A stored form that is corrupt,
// unknown, or claims to decode to more than flowDocMaxCompress is errFlowDocCorrupt.
func decodeFlowDoc(b []byte) (out []byte, decoded bool, err error) {
	if len(b) == 0 || b[0] != 0 {
		return b, false, nil
	}
	switch {
	case bytes.HasPrefix(b, []byte(flowDocS2)):
		block := b[len(flowDocS2):]
		n, err := s2.DecodedLen(block)
		if err == nil && n > flowDocMaxCompress {
			err = fmt.Errorf("the document claims %d bytes, over %d", n, flowDocMaxCompress)
		}
		if err != nil {
			return nil, true, errFlowDocCorrupt.WithCause(err)
		}
		out, err := s2.Decode(make([]byte, n), block)
		if err != nil {
			return nil, true, errFlowDocCorrupt.WithCause(err)
		}
		return out, true, nil
	case bytes.HasPrefix(b, []byte(flowDocBase64)):
		return base64.RawURLEncoding.AppendEncode(nil, b[len(flowDocBase64):]), true, nil
	}
	return nil, true, errFlowDocCorrupt.WithCause(fmt.Errorf("unknown form %q", b[:min(len(b), 2)]))
}

// DecodeFlowDocument returns the text of a flow document as a SQLite or PostgreSQL flows row
// stores it (the data or private column, read directly): a stored form is decoded, text
// returned as it is.
// It is for tools and tests that read the table without the store.
func DecodeFlowDocument(stored []byte) ([]byte, error) {
	out, _, err := decodeFlowDoc(stored)
	return out, err
}

// flowDocCol scans a flow's data or private column: text, or a stored form it decodes. A
// document that cannot be decoded is not a scan error (a session read that brings its flow
// along must still read the session): it is kept in err for the record to report.
type flowDocCol struct {
	B     []byte
	Valid bool
	err   error
}

func (c *flowDocCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c = flowDocCol{}
	case string:
		// The driver's string, read only: handed over without a copy (textCol).
		b := unsafe.Slice(unsafe.StringData(v), len(v))
		out, _, err := decodeFlowDoc(b)
		*c = flowDocCol{B: out, Valid: true, err: err}
	case []byte:
		// The driver's bytes are valid only until the next scan: text is copied, a stored
		// form decoded into a new slice.
		out, decoded, err := decodeFlowDoc(v)
		if !decoded {
			out = bytes.Clone(v)
		}
		*c = flowDocCol{B: out, Valid: true, err: err}
	default:
		return fmt.Errorf("flow document column: unsupported type %T", src)
	}
	return nil
}

// Pooled buffers of stored forms, in classes of powers of two from 1 KiB to 1 MiB (a
// buffer of class c holds at least 1<<c bytes), as internal/flow/settings/bufpool.go keeps
// the buffers flows are encoded in.
const (
	minFlowDocClass = 10
	maxFlowDocClass = 20
)

var flowDocPools [maxFlowDocClass + 1]sync.Pool // of *[]byte

// flowDocBoxes holds the boxes (*[]byte) a pool stores buffers in, so that giving a buffer
// back allocates none.
var flowDocBoxes sync.Pool

// getFlowDocBuf returns an empty buffer of capacity at least n.
func getFlowDocBuf(n int) []byte {
	c := max(bits.Len(uint(n-1)), minFlowDocClass)
	if c > maxFlowDocClass {
		return make([]byte, 0, n)
	}
	if p, _ := flowDocPools[c].Get().(*[]byte); p != nil {
		b := *p
		*p = nil
		flowDocBoxes.Put(p)
		return b[:0]
	}
	return make([]byte, 0, 1<<c)
}

// putFlowDocBuf gives b back to the pool of the class its capacity fills; the caller holds
// no slice of it any more.
func putFlowDocBuf(b []byte) {
	c := bits.Len(uint(cap(b))) - 1
	if c < minFlowDocClass || c > maxFlowDocClass {
		return
	}
	p, _ := flowDocBoxes.Get().(*[]byte)
	if p == nil {
		p = new([]byte)
	}
	*p = b[:0]
	flowDocPools[c].Put(p)
}
