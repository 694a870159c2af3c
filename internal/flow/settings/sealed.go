package settings

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/store"
)

// A settings flow is stored in two parts. Data, the public document, is the flow as Kratos
// shows it minus two things: its identity (attached from the session when the flow is served,
// as Kratos loads it afresh, so a flow row holds the traits once, in the profile nodes) and
// the nodes that show a secret (see secretnodes.go). Private holds everything no client may
// read from the store (a parked submission, the methods' internal context, the secret nodes),
// sealed with sl and bound to the flow id whenever a cipher or cookie secret is configured.
//
// Private, once opened, is laid out for the read that serves the flow (getSettingsFlow) to
// touch only what it needs:
//
//	{"v":2,"p":<pending>,"s":[<secret node metadata>],"d":<len(Data)>}\n<secret nodes><internal>
//
// a one-line JSON header (json.Marshal writes no raw newline), then each secret node's JSON as
// served (lengths, indexes and splice offsets into Data in the header), then the methods'
// internal context as a JSON object or nothing. Serving a flow decodes the small header and
// splices the nodes into Data at their offsets; the internal context is decoded only for a
// submission. Rows written before this layout hold one JSON object (privateV1) and are read too.

// privateVersion marks the layout above.
const privateVersion = 2

// privateHeader is the first line of the private column.
type privateHeader struct {
	V       int          `json:"v"`
	Pending string       `json:"p,omitempty"`
	Secrets []secretMeta `json:"s,omitempty"`
	// DataLen is len(Data) when the splice offsets were computed: a Data of another length
	// is not the document they point into.
	DataLen int `json:"d"`
}

// secretMeta describes one secret node of the private column.
type secretMeta struct {
	Index  int        `json:"i"`
	Len    int        `json:"l"`
	At     int        `json:"a"`
	Once   bool       `json:"once,omitempty"`
	Reader *uuid.UUID `json:"reader,omitempty"`
}

// privateV1 is the private column as rows written before privateVersion hold it.
type privateV1 struct {
	Pending  string          `json:"portico_pending,omitempty"`
	Internal json.RawMessage `json:"portico_internal,omitempty"`
	Secrets  []secretNode    `json:"portico_secret_nodes,omitempty"`
}

// privateFields are a record's private fields as read.
type privateFields struct {
	Pending string
	// Internal is the methods' internal context, still encoded (decode decodes it).
	Internal json.RawMessage
	Secrets  []secretNode
	// dataLen is privateHeader.DataLen; -1 when the row does not say (privateV1).
	dataLen int
}

// encoded is a flow encoded for the store and for a reply.
type encoded struct {
	rec *store.FlowRecord
	// body is the flow as a reply shows it: every node, the identity attached.
	body []byte
	// nodes is every node's JSON, for a flow that shows the same nodes (see encodeShowing).
	nodes nodeJSON
	// pooled are the pooled buffers (bufpool.go) rec's bytes, body and nodes are in.
	pooled [4]*[]byte
}

// release gives e's buffers back to the pool: the caller is done with e's record (the store
// has returned), its body (written) and its nodes. Without it they are left to the collector.
//
// Every buffer is zeroed on the way back (putCleared): the nodes and the reply show secrets
// (a TOTP key, recovery codes), the stored document the CSRF token, an unsealed private column
// the methods' internal context.
func (e *encoded) release() {
	for i, p := range e.pooled {
		putCleared(p)
		e.pooled[i] = nil
	}
	e.rec, e.body, e.nodes = nil, nil, nodeJSON{}
}

// nodeJSON is the nodes of a flow, each encoded once by flow's hand encoder, one after
// another in all; ends[i] is where node i ends.
type nodeJSON struct {
	all  []byte
	ends []int
	// box is the pooled buffer all is in (nil: not pooled).
	box *[]byte
}

func (n *nodeJSON) at(i int) []byte {
	start := 0
	if i > 0 {
		start = n.ends[i-1]
	}
	return n.all[start:n.ends[i]]
}

// nodeBytesHint is the size of the nodes of the flow encoded last, with an eighth to spare:
// the capacity encode starts with, so that a flow's nodes (a TOTP QR code alone is kilobytes)
// are not copied into ever larger buffers as they are written. maxNodeBytesHint bounds it.
var nodeBytesHint atomic.Int64

const maxNodeBytesHint = 256 << 10

// sealOverhead is what sealing adds before the text encoding: AES-GCM's nonce and tag.
const sealOverhead = 12 + 16

func encodeNodes(nodes flow.Nodes) (nodeJSON, error) {
	box := getBuf(max(512*len(nodes), int(nodeBytesHint.Load())))
	n := nodeJSON{all: *box, ends: make([]int, len(nodes)), box: box}
	for i := range nodes {
		var err error
		if n.all, err = nodes[i].AppendJSON(n.all); err != nil {
			putCleared(box)
			return nodeJSON{}, fmt.Errorf("encode settings flow node: %w", err)
		}
		n.ends[i] = len(n.all)
	}
	*box = n.all
	nodeBytesHint.Store(int64(min(len(n.all)+len(n.all)/8, maxNodeBytesHint)))
	return n, nil
}

// encode returns the flow's store record and its reply body (none when s.bodyless). Every
// node is encoded once (by flow's hand encoder) and the rest of the flow once; Data, the
// reply and the private column are assembled from those bytes.
func encode(s *stored, sl *sealer) (encoded, error) {
	if err := s.restoreDeferred(); err != nil {
		return encoded{}, fmt.Errorf("decode settings flow %s: %w", s.ID, err)
	}
	nodes, err := encodeNodes(s.UI.Nodes)
	if err != nil {
		return encoded{}, err
	}
	e, err := encodeWith(s, sl, nodes)
	if err != nil {
		putCleared(nodes.box)
		return encoded{}, err
	}
	e.pooled[0] = nodes.box
	return e, nil
}

// encodeShowing is encode for s, which shows the very nodes (the same slice, unchanged) that
// other was encoded with: their JSON is taken from other, not made again.
func encodeShowing(s *stored, sl *sealer, other encoded) (encoded, error) {
	if len(other.nodes.ends) != len(s.UI.Nodes) {
		return encode(s, sl)
	}
	// other's nodes stay other's: e does not give them back to the pool.
	nj := other.nodes
	nj.box = nil
	return encodeWith(s, sl, nj)
}

func encodeWith(s *stored, sl *sealer, nj nodeJSON) (encoded, error) {
	owner := s.owner
	if s.Identity != nil {
		id := s.Identity.ID
		owner = &id
	}
	ident, nodes := s.Identity, s.UI.Nodes
	s.Identity, s.UI.Nodes = nil, flow.Nodes{}
	skeleton, err := appendSkeleton(make([]byte, 0, 256+len(s.RequestURL)+len(s.UI.Action)+len(s.ReturnTo)), &s.Flow)
	s.Identity, s.UI.Nodes = ident, nodes
	if err != nil {
		return encoded{}, fmt.Errorf("encode settings flow: %w", err)
	}
	// The first `"nodes":[]` is ui.nodes: no member before ui can hold the sequence (a quote
	// inside a JSON string is escaped).
	const emptyNodes = `"nodes":[]`
	at := bytes.Index(skeleton, []byte(emptyNodes))
	if at < 0 {
		return encoded{}, errors.New("encode settings flow: no ui.nodes")
	}
	head, tail := skeleton[:at+len(emptyNodes)-1], skeleton[at+len(emptyNodes)-1:]
	all, nodeAt := nj.all, nj.at

	var e encoded
	fail := func(err error) (encoded, error) {
		e.release()
		return encoded{}, err
	}
	dataBox := getBuf(len(skeleton) + len(all))
	e.pooled[1] = dataBox
	data := append(*dataBox, head...)
	reply := !s.bodyless
	var body []byte
	var bodyBox *[]byte
	if reply {
		bodyBox = getBuf(len(skeleton) + len(all) + len(nodes) + len(s.shownJSON) + 1024)
		e.pooled[2] = bodyBox
		body = append(*bodyBox, head...)
	}
	var secret []secretNode
	public := 0
	for i := range nodes {
		n := nodeAt(i)
		if reply {
			if i > 0 {
				body = append(body, ',')
			}
			body = append(body, n...)
		}
		m, isSecret := s.secrets[secretKey(&nodes[i])]
		switch {
		case !isSecret:
			if public > 0 {
				data = append(data, ',')
			}
			data = append(data, n...)
			public++
		case m.once && m.reader == nil:
			// Shown in this reply only.
		case m.once:
			secret = append(secret, secretNode{Index: i, Node: n, Once: true, Reader: m.reader, At: -1})
		default:
			// Spliced back in at this offset when the flow is served.
			secret = append(secret, secretNode{Index: i, Node: n, At: len(data)})
		}
	}
	data = append(data, tail...)
	*dataBox = data
	if reply {
		body = append(body, tail...)
	}
	switch {
	case !reply:
	case s.shownJSON != nil:
		if body, err = appendRawMember(body, "identity", s.shownJSON); err != nil {
			return fail(err)
		}
	case ident != nil:
		if body, err = appendMember(body, "identity", ident); err != nil {
			return fail(err)
		}
	}
	if bodyBox != nil {
		*bodyBox = body
	}
	rec := &store.FlowRecord{ID: s.ID, Kind: Kind, IdentityID: owner, ExpiresAt: s.ExpiresAt, Data: data}
	s.Internal = s.internal
	if s.Pending != "" || len(s.Internal) > 0 || len(secret) > 0 {
		privateBox, err := privateBytes(s, secret, len(data))
		if err != nil {
			return fail(err)
		}
		private := *privateBox
		if sl.canSeal() {
			sealedBox := getBuf(base64.RawURLEncoding.EncodedLen(len(private) + sealOverhead))
			sealed, err := sl.appendSeal(*sealedBox, private, s.ID[:])
			putCleared(privateBox)
			*sealedBox = sealed
			privateBox = sealedBox
			if err != nil {
				putBuf(sealedBox)
				return fail(err)
			}
			private = sealed
		}
		e.pooled[3] = privateBox
		rec.Private = private
	}
	e.rec, e.body, e.nodes = rec, body, nj
	return e, nil
}

// privateBytes lays out the private column (before sealing) for s with its secret nodes, in a
// pooled buffer.
func privateBytes(s *stored, secret []secretNode, dataLen int) (*[]byte, error) {
	box := getBuf(privateSize(s, secret))
	out, err := appendPrivate(*box, s, secret, dataLen)
	if err != nil {
		putCleared(box)
		return nil, err
	}
	*box = out
	return box, nil
}

// privateSize is about the size of s's private column (before sealing).
func privateSize(s *stored, secret []secretNode) int {
	size := 64 + 32*len(secret) + 1
	for _, sn := range secret {
		size += len(sn.Node)
	}
	for _, v := range s.Internal {
		size += len(v) + 64
	}
	return size
}

// appendPrivate appends s's private column (before sealing) to out.
func appendPrivate(out []byte, s *stored, secret []secretNode, dataLen int) ([]byte, error) {
	h := privateHeader{V: privateVersion, Pending: s.Pending, DataLen: dataLen}
	for _, sn := range secret {
		h.Secrets = append(h.Secrets, secretMeta{Index: sn.Index, Len: len(sn.Node), At: sn.At, Once: sn.Once, Reader: sn.Reader})
	}
	out, err := appendHeader(out, &h)
	if err != nil {
		return nil, fmt.Errorf("encode settings flow: %w", err)
	}
	out = append(out, '\n')
	for _, sn := range secret {
		out = append(out, sn.Node...)
	}
	if len(s.Internal) == 0 {
		return out, nil
	}
	// The internal context as an object, its values as SetInternal encoded them (json.Marshal
	// of the map would scan every value again).
	keys := make([]string, 0, 8)
	for k := range s.Internal {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out = append(out, '{')
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		var err error
		if out, err = appendKey(out, k); err != nil {
			return nil, fmt.Errorf("encode settings flow: %w", err)
		}
		out = append(append(out, ':'), s.Internal[k]...)
	}
	return append(out, '}'), nil
}

// appendKey appends k as a JSON string, as json.Marshal writes it: the methods' keys
// ("ceremony.settings", "totp_url") are plain ASCII and are copied between quotes; any other
// key goes through json.Marshal.
func appendKey(out []byte, k string) ([]byte, error) {
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			key, err := json.Marshal(k)
			if err != nil {
				return nil, err
			}
			return append(out, key...), nil
		}
	}
	return append(append(append(out, '"'), k...), '"'), nil
}

// decode reads a stored flow: the public document and its private fields (sealed, or plain
// JSON when no secret was configured), with its secret nodes back in place. The identity is
// not stored: owns attaches the reading session's.
func decode(rec *store.FlowRecord, sl *sealer) (*stored, error) {
	return decodeWith(rec, sl, false, nil)
}

// decodeSubmitted is decode for a submission: the kept secret nodes (a TOTP key's QR code,
// recovery codes awaiting confirmation: the largest nodes of a flow) stay encoded in
// st.deferred, out of st.UI.Nodes, until restoreDeferred puts them in place. A submission
// whose method touches only its own nodes and succeeds shows a fresh flow and never needs
// them (see Handler.run); anything that shows or stores st restores them first (encode).
// The private column is opened (its seal verified) here all the same. The public nodes of
// the groups eager refuses stay encoded too, in st.lazy (see lazynodes.go); nil decodes them
// all.
func decodeSubmitted(rec *store.FlowRecord, sl *sealer, eager func(flow.Group) bool) (*stored, error) {
	return decodeWith(rec, sl, true, eager)
}

func decodeWith(rec *store.FlowRecord, sl *sealer, deferSecrets bool, eager func(flow.Group) bool) (*stored, error) {
	var s stored
	data := rec.Data
	if eager != nil {
		var (
			box *[]byte
			err error
		)
		data, s.lazy, box, err = splitNodes(data, eager)
		if err == nil {
			// The decoded flow holds no slice of data (encoding/json copies what it keeps).
			err = json.Unmarshal(data, &s)
		}
		putCleared(box)
		if err != nil {
			return nil, fmt.Errorf("decode settings flow %s: %w", rec.ID, err)
		}
	} else if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("decode settings flow %s: %w", rec.ID, err)
	}
	s.owner = rec.IdentityID
	s.Identity = nil
	p, err := openPrivate(rec, sl)
	if err != nil {
		return nil, err
	}
	s.Pending, s.Internal = p.Pending, nil
	if len(p.Internal) > 0 {
		if err := json.Unmarshal(p.Internal, &s.Internal); err != nil {
			return nil, fmt.Errorf("decode settings flow %s: internal context: %w", rec.ID, err)
		}
	}
	s.deferSecrets(p.Secrets)
	if !deferSecrets {
		if err := s.restoreDeferred(); err != nil {
			return nil, fmt.Errorf("decode settings flow %s: %w", rec.ID, err)
		}
	}
	s.internal = s.Internal
	return &s, nil
}

// openPrivate reads a record's private fields (sealed, or plain when no secret was
// configured); none without a Private column. The internal context is left encoded.
func openPrivate(rec *store.FlowRecord, sl *sealer) (*privateFields, error) {
	p, _, err := openPrivateInto(rec, sl, nil)
	return p, err
}

// openPrivateInto is openPrivate opening sealed fields in buf's storage (grown when short;
// what it held is overwritten), which it returns: the fields point into it, and it holds
// them in clear until the caller clears it.
func openPrivateInto(rec *store.FlowRecord, sl *sealer, buf []byte) (*privateFields, []byte, error) {
	p := &privateFields{dataLen: -1}
	private := rec.Private
	if len(private) == 0 {
		return p, buf, nil
	}
	if private[0] != '{' {
		plain, err := sl.appendOpen(buf[:0], private, rec.ID[:])
		if err != nil {
			return nil, buf, fmt.Errorf("decode settings flow %s: private fields: %w", rec.ID, err)
		}
		private, buf = plain, plain
	}
	p, err := parsePrivate(rec, p, private)
	return p, buf, err
}

// openedSize is the room openPrivateInto needs to open rec's sealed column without growing
// its buffer (seal.AppendOpen decodes the value after room for the plaintext; nothing for a
// plain or missing column).
func openedSize(rec *store.FlowRecord) int {
	if len(rec.Private) == 0 || rec.Private[0] == '{' {
		return 0
	}
	return 2 * base64.RawURLEncoding.DecodedLen(len(rec.Private))
}

// parsePrivate reads the private fields from private, the opened column, into p.
func parsePrivate(rec *store.FlowRecord, p *privateFields, private []byte) (*privateFields, error) {
	fail := func(err error) (*privateFields, error) {
		return nil, fmt.Errorf("decode settings flow %s: private fields: %w", rec.ID, err)
	}
	nl := bytes.IndexByte(private, '\n')
	if nl < 0 {
		var v1 privateV1
		if err := json.Unmarshal(private, &v1); err != nil {
			return fail(err)
		}
		for i := range v1.Secrets {
			v1.Secrets[i].At = -1
		}
		p.Pending, p.Internal, p.Secrets = v1.Pending, v1.Internal, v1.Secrets
		return p, nil
	}
	var h privateHeader
	if err := parseHeader(private[:nl], &h); err != nil {
		return fail(err)
	}
	if h.V != privateVersion {
		return fail(fmt.Errorf("unknown layout %d", h.V))
	}
	rest := private[nl+1:]
	p.Pending, p.dataLen = h.Pending, h.DataLen
	p.Secrets = make([]secretNode, 0, len(h.Secrets))
	for _, m := range h.Secrets {
		if m.Len < 0 || m.Len > len(rest) {
			return fail(errors.New("secret node past the end"))
		}
		p.Secrets = append(p.Secrets, secretNode{Index: m.Index, Node: rest[:m.Len:m.Len], Once: m.Once, Reader: m.Reader, At: m.At})
		rest = rest[m.Len:]
	}
	if len(rest) > 0 {
		p.Internal = rest
	}
	return p, nil
}

// ownedBy reports whether the flow belongs to identity id.
func (s *stored) ownedBy(id uuid.UUID) bool { return s.owner != nil && *s.owner == id }

// appendMember appends member name: v to the JSON object doc, as its last member, without
// decoding and encoding doc again. It appends in place: a caller that must keep doc passes it
// with its capacity clipped (doc[:len(doc):len(doc)]).
func appendMember(doc []byte, name string, v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode settings flow %s: %w", name, err)
	}
	return appendRawMember(doc, name, raw)
}

// appendRawMember is appendMember of a value already encoded (raw), as appendMember appends.
func appendRawMember(doc []byte, name string, raw []byte) ([]byte, error) {
	if len(doc) < 2 || doc[len(doc)-1] != '}' {
		return nil, fmt.Errorf("encode settings flow: document is not an object")
	}
	empty := len(doc) == 2
	out := doc[:len(doc)-1]
	if !empty {
		out = append(out, ',')
	}
	out = append(out, '"')
	out = append(out, name...)
	out = append(out, `":`...)
	out = append(out, raw...)
	return append(out, '}'), nil
}
