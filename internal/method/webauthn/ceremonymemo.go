package webauthn

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	lib "github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
)

// ceremonyMemoMax bounds the identities a ceremonyMemo remembers (a template is about a
// kilobyte and a half, more with many keys: the server's peak memory is a target of its own).
const ceremonyMemoMax = 256

// ceremonyMemo remembers, per identity version, the encoded registration ceremony a settings
// flow shows (the creation options of the trigger node and the session data sealed with the
// flow) as a template whose only holes are what differs from one flow to the next: the
// challenge, a new passkey user handle and the session's expiry. Everything else (relying
// party, user names, excluded keys, parameters) follows from the identity's stored version
// and the method's configuration, so a new flow of an identity whose ceremony was shown before
// costs a random challenge and a few copies instead of the library's ceremony and two
// reflective JSON encodings (12% of creating a settings flow with WebAuthn and passkeys on).
// Any stored change of an identity (a key added or removed, new traits) gives it a new version.
type ceremonyMemo struct {
	identity.VersionMemo[*ceremonyTemplate]
}

// ceremonyTemplate is one identity version's ceremony, encoded with holes.
type ceremonyTemplate struct {
	version int
	// creation is the creation options' JSON, session the session data's JSON.
	creation, session jsonTemplate
	// newHandle: the user handle is drawn for each ceremony (a passkey's first key).
	newHandle bool
	// timed: the session expires timeout after the ceremony starts.
	timed   bool
	timeout time.Duration
}

// hole is what a jsonTemplate leaves out.
type hole int

const (
	holeChallenge hole = iota // the challenge, base64url without padding, quoted
	holeHandleURL             // the user handle, base64url without padding, quoted
	holeHandleStd             // the user handle, standard base64, quoted
	holeExpires               // the session's expiry as encoding/json writes a time
	holeCount                 // not a hole: the number of hole kinds
)

// jsonTemplate is a JSON document cut at its holes: parts[0] hole[0] parts[1] … parts[n].
type jsonTemplate struct {
	parts [][]byte
	holes []hole
}

// cut makes a template of doc, whose holes are the values given for them (each must occur
// exactly once, else ok is false and no template is made).
func cut(doc []byte, values map[hole][]byte) (jsonTemplate, bool) {
	type at struct {
		pos int
		h   hole
	}
	var found []at
	for h, v := range values {
		i := bytes.Index(doc, v)
		if i < 0 || bytes.Contains(doc[i+1:], v) {
			return jsonTemplate{}, false
		}
		found = append(found, at{i, h})
	}
	slices.SortFunc(found, func(a, b at) int { return a.pos - b.pos })
	var t jsonTemplate
	prev := 0
	for _, f := range found {
		if f.pos < prev {
			return jsonTemplate{}, false // overlapping values
		}
		t.parts = append(t.parts, doc[prev:f.pos])
		t.holes = append(t.holes, f.h)
		prev = f.pos + len(values[f.h])
	}
	t.parts = append(t.parts, doc[prev:])
	return t, true
}

// fill writes the template with the given hole values.
func (t *jsonTemplate) fill(values *[holeCount][]byte) []byte {
	out := make([]byte, 0, t.size(values))
	for i, h := range t.holes {
		out = append(out, t.parts[i]...)
		out = append(out, values[h]...)
	}
	return append(out, t.parts[len(t.parts)-1]...)
}

// fillString is before, the template filled in as fill does, and after, in one string made
// without a copy (the trigger node's onclick, which holds the creation options).
func (t *jsonTemplate) fillString(before, after string, values *[holeCount][]byte) string {
	var b strings.Builder
	b.Grow(len(before) + t.size(values) + len(after))
	b.WriteString(before)
	for i, h := range t.holes {
		b.Write(t.parts[i])
		b.Write(values[h])
	}
	b.Write(t.parts[len(t.parts)-1])
	b.WriteString(after)
	return b.String()
}

// size is the length of the template filled in with values.
func (t *jsonTemplate) size(values *[holeCount][]byte) int {
	n := 0
	for _, p := range t.parts {
		n += len(p)
	}
	for _, h := range t.holes {
		n += len(values[h])
	}
	return n
}

// quoted is s as a JSON string (s holds no character JSON escapes).
func quoted(s string) []byte {
	b := make([]byte, 0, len(s)+2)
	return append(append(append(b, '"'), s...), '"')
}

// holeValues are the values of a ceremony's holes.
func holeValues(challenge string, handle []byte, expires time.Time, timed bool) (*[holeCount][]byte, error) {
	var v [holeCount][]byte
	v[holeChallenge] = quoted(challenge)
	v[holeHandleURL] = quoted(base64.RawURLEncoding.EncodeToString(handle))
	v[holeHandleStd] = quoted(base64.StdEncoding.EncodeToString(handle))
	if timed {
		b, err := expires.MarshalJSON()
		if err != nil {
			return nil, err
		}
		v[holeExpires] = b
	}
	return &v, nil
}

// get is the template of ident's version, if remembered.
func (c *ceremonyMemo) get(id uuid.UUID, version int) *ceremonyTemplate {
	t, _ := c.Get(id, version)
	return t
}

// put remembers t for identity id.
func (c *ceremonyMemo) put(id uuid.UUID, t *ceremonyTemplate) {
	c.Put(id, t.version, ceremonyMemoMax, t)
}

// template makes the template of a ceremony the library began, from its encodings; nil when
// a hole's value does not occur exactly once (the ceremony is then begun anew every time).
func template(version int, creation *protocol.CredentialCreation, sd *lib.SessionData, creationJSON, sessionJSON []byte, newHandle bool) *ceremonyTemplate {
	timed := !sd.Expires.IsZero()
	v, err := holeValues(sd.Challenge, sd.UserID, sd.Expires, timed)
	if err != nil {
		return nil
	}
	t := &ceremonyTemplate{version: version, newHandle: newHandle, timed: timed,
		timeout: time.Duration(creation.Response.Timeout) * time.Millisecond}
	cv := map[hole][]byte{holeChallenge: v[holeChallenge]}
	sv := map[hole][]byte{holeChallenge: v[holeChallenge]}
	if newHandle {
		cv[holeHandleURL] = v[holeHandleURL]
		sv[holeHandleStd] = v[holeHandleStd]
	}
	if timed {
		sv[holeExpires] = v[holeExpires]
	}
	var ok1, ok2 bool
	t.creation, ok1 = cut(creationJSON, cv)
	t.session, ok2 = cut(sessionJSON, sv)
	if !ok1 || !ok2 {
		return nil
	}
	return t
}

// render is a new ceremony from the template: a fresh challenge (as the library draws it), a
// fresh handle when the template draws one, the expiry counted from now as the library does.
// The creation options come between before and after (see Settings.ceremony).
func (t *ceremonyTemplate) render(before, after string) (creation string, sessionJSON []byte, err error) {
	var challenge [protocol.ChallengeLength]byte // as protocol.CreateChallenge draws it
	if _, err := rand.Read(challenge[:]); err != nil {
		return "", nil, err
	}
	var handle [32]byte
	if t.newHandle {
		if _, err := rand.Read(handle[:]); err != nil {
			return "", nil, fmt.Errorf("new passkey user handle: %w", err)
		}
	}
	// The hole values as holeValues writes them, in one buffer.
	var v [holeCount][]byte
	size := base64.RawURLEncoding.EncodedLen(len(challenge)) + 2
	if t.newHandle {
		size += base64.RawURLEncoding.EncodedLen(len(handle)) + base64.StdEncoding.EncodedLen(len(handle)) + 4
	}
	buf := make([]byte, 0, size)
	v[holeChallenge], buf = appendQuoted(buf, base64.RawURLEncoding, challenge[:])
	if t.newHandle {
		v[holeHandleURL], buf = appendQuoted(buf, base64.RawURLEncoding, handle[:])
		v[holeHandleStd], _ = appendQuoted(buf, base64.StdEncoding, handle[:])
	}
	if t.timed {
		// The library's clock, as BeginRegistration reads it.
		if v[holeExpires], err = time.Now().Add(t.timeout).MarshalJSON(); err != nil {
			return "", nil, err
		}
	}
	return t.creation.fillString(before, after, &v), t.session.fill(&v), nil
}

// appendQuoted appends b encoded with enc as a JSON string to buf, and returns that string
// (capacity clipped) and buf.
func appendQuoted(buf []byte, enc *base64.Encoding, b []byte) (quoted, out []byte) {
	start := len(buf)
	buf = append(enc.AppendEncode(append(buf, '"'), b), '"')
	return buf[start:len(buf):len(buf)], buf
}

// encodeCeremony encodes a ceremony the library began: the creation options and the session.
func encodeCeremony(creation *protocol.CredentialCreation, sd *lib.SessionData) ([]byte, []byte, error) {
	c, err := json.Marshal(creation)
	if err != nil {
		return nil, nil, fmt.Errorf("encode webauthn options: %w", err)
	}
	s, err := json.Marshal(sd)
	if err != nil {
		return nil, nil, fmt.Errorf("encode webauthn ceremony: %w", err)
	}
	return c, s, nil
}
