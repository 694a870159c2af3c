package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/flow"
)

// Some nodes show a secret: the QR code and text of a TOTP key offered for linking, recovery
// codes waiting for confirmation, revealed recovery codes. They reach the client in replies,
// but the flow's stored public document never holds them: encode moves them into the sealed
// private column, and they come back only when the flow is served to a session allowed to
// see them (getSettingsFlow already requires the AAL a settings flow needs).
//
// Two lifetimes:
//   - AppendSecret: kept (sealed) while the flow waits for the secret to be used, and shown
//     on every read of the flow, as the UI must show the QR code or the codes to confirm;
//   - AppendOnce: shown once, in the reply to the submission that revealed it. A browser
//     form's reply is a redirect to the UI, which then reads the flow: for it the nodes are
//     kept (sealed) for one read by the session that revealed them, and dropped after it.
//     Nothing else ever serves them again.

// secretMark says how a secret node is kept; nodes are found by group and id.
type secretMark struct {
	once bool
	// reader is the session that may read a once-node after a redirect; nil drops it
	// from the stored flow at once (the reply itself showed it).
	reader *uuid.UUID
}

// secretNode is a secret node as the sealed private column keeps it.
type secretNode struct {
	// Index is the node's position in the flow's node list.
	Index int `json:"i"`
	// Node is the node's JSON as served, so a read splices it in without decoding the flow.
	Node json.RawMessage `json:"n"`
	// Once marks a node shown once, readable by Reader only.
	Once   bool       `json:"once,omitempty"`
	Reader *uuid.UUID `json:"reader,omitempty"`
	// At is where a kept node goes in the stored document (see encode); -1 when unknown.
	At int `json:"-"`
}

// secretID names a node in Flow.secrets: its group and id (a struct, so that looking a node
// up makes no string).
type secretID struct {
	group flow.Group
	id    string
}

func secretKey(n *flow.Node) secretID { return secretID{n.Group, n.ID()} }

// AppendSecret appends nodes that show a secret the flow keeps until it is used (a TOTP key
// offered for linking, recovery codes awaiting confirmation): they are stored only sealed and
// shown on every read of the flow.
func (f *Flow) AppendSecret(nodes ...flow.Node) { f.appendMarked(secretMark{}, nodes) }

// AppendOnce appends nodes that show a secret once (revealed recovery codes): in the reply
// to sub's submission and, when that reply is a redirect to the UI, in the next read of the
// flow by sub's session; never again.
func (f *Flow) AppendOnce(sub *Submission, nodes ...flow.Node) {
	m := secretMark{once: true}
	if sub != nil && sub.Session != nil && sub.redirected {
		id := sub.Session.ID
		m.reader = &id
	}
	f.appendMarked(m, nodes)
}

func (f *Flow) appendMarked(m secretMark, nodes []flow.Node) {
	if f.secrets == nil {
		f.secrets = map[secretID]secretMark{}
	}
	for i := range nodes {
		f.secrets[secretKey(&nodes[i])] = m
	}
	f.UI.Nodes.Append(nodes...)
}

// clearSecrets forgets every mark (the nodes are being rebuilt).
func (f *Flow) clearSecrets() { f.secrets = nil }

// node decodes the stored node.
func (sn *secretNode) node() (flow.Node, error) {
	var n flow.Node
	if err := json.Unmarshal(sn.Node, &n); err != nil {
		return n, fmt.Errorf("decode settings flow secret node: %w", err)
	}
	return n, nil
}

// deferSecrets sets the private column's secret nodes aside: the kept ones in st.deferred, by
// index, for restoreDeferred; once-nodes in st.once, where they wait for their one read
// (takeOnce).
func (st *stored) deferSecrets(nodes []secretNode) {
	slices.SortFunc(nodes, func(a, b secretNode) int { return a.Index - b.Index })
	for _, sn := range nodes {
		if sn.Once {
			st.once = append(st.once, sn)
			continue
		}
		st.deferred = append(st.deferred, sn)
	}
}

// restoreDeferred decodes the kept secret nodes set aside by deferSecrets and puts them back
// in place, as they were stored; without their messages when the flow's messages were reset
// since (resetMessages). Between the two, nodes may change but none may be added, removed or
// moved: the nodes' indexes are those of the stored list.
//
// The public nodes a submission left encoded (restoreLazy) come back first.
func (st *stored) restoreDeferred() error {
	if err := st.restoreLazy(); err != nil {
		return err
	}
	if len(st.deferred) == 0 {
		return nil
	}
	for _, sn := range st.deferred {
		n, err := sn.node()
		if err != nil {
			return err
		}
		if st.deferredReset {
			n.Messages = nil
		}
		if st.secrets == nil {
			st.secrets = map[secretID]secretMark{}
		}
		st.secrets[secretKey(&n)] = secretMark{}
		i := min(max(sn.Index, 0), len(st.UI.Nodes))
		st.UI.Nodes = slices.Insert(st.UI.Nodes, i, n)
	}
	st.deferred, st.deferredReset = nil, false
	return nil
}

// resetMessages clears the flow's messages and its nodes', the deferred ones' included.
func (st *stored) resetMessages() {
	st.UI.ResetMessages()
	st.deferredReset = len(st.deferred) > 0
	st.lazyReset = len(st.lazy) > 0
}

// hasOnceFor reports whether a once-node waits for reader.
func hasOnceFor(nodes []secretNode, reader uuid.UUID) bool {
	for _, sn := range nodes {
		if sn.Once && sn.Reader != nil && *sn.Reader == reader {
			return true
		}
	}
	return false
}

// appendFilled appends to dst the stored document doc with the kept (not once) secret nodes
// spliced back into ui.nodes at their places, without decoding the rest of the flow. dataLen
// is the length of the document the nodes' offsets were computed for (-1: none were).
func appendFilled(dst, doc []byte, secret []secretNode, dataLen int) ([]byte, error) {
	var few [4]secretNode
	keep := few[:0]
	for _, sn := range secret {
		if !sn.Once {
			keep = append(keep, sn)
		}
	}
	if len(keep) == 0 {
		return append(dst, doc...), nil
	}
	slices.SortFunc(keep, func(a, b secretNode) int { return a.Index - b.Index })
	if out, ok := spliceAt(dst, doc, keep, dataLen); ok {
		return out, nil
	}
	return spliceByIndex(dst, doc, keep)
}

// buildServed builds in buf's storage (grown when short; what it held is overwritten) the
// document getSettingsFlow serves: the stored document doc with its kept secret nodes back in
// place (appendFilled) and ident, the identity's JSON, as its last member. The reply is
// assembled once, in one buffer sized for it.
func buildServed(buf, doc []byte, secret []secretNode, dataLen int, ident []byte) ([]byte, error) {
	out, err := appendFilled(slices.Grow(buf[:0], servedSize(doc, secret, ident)), doc, secret, dataLen)
	if err != nil {
		return nil, err
	}
	// out has the room: the identity is appended in place.
	return appendRawMember(out, "identity", ident)
}

// servedSize is the length of what buildServed builds.
func servedSize(doc []byte, secret []secretNode, ident []byte) int {
	const member = `,"identity":`
	size := len(doc) + len(member) + len(ident)
	for _, sn := range secret {
		if !sn.Once {
			size += len(sn.Node) + 1
		}
	}
	return size
}

// spliceAt appends to dst doc with the nodes inserted at the offsets encode noted; ok is
// false, and dst is returned as it was, when doc is not the document those offsets point into
// (then the nodes are placed by index instead). Nodes at one offset follow each other; at the
// start of the list they come before the first stored node.
func spliceAt(dst, doc []byte, keep []secretNode, dataLen int) (out []byte, ok bool) {
	if dataLen != len(doc) {
		return dst, false
	}
	size := len(doc) + len(keep)
	for i, sn := range keep {
		size += len(sn.Node)
		// At the start of the list, before its first element or its end; or after an
		// element, before a separator or the end: nowhere else can a node be inserted.
		if sn.At <= 0 || sn.At >= len(doc) {
			return dst, false
		}
		switch before, after := doc[sn.At-1], doc[sn.At]; {
		case before == '[' && (after == '{' || after == ']'):
		case before == '}' && (after == ',' || after == ']'):
		default:
			return dst, false
		}
		if i > 0 && sn.At < keep[i-1].At {
			return dst, false
		}
	}
	out = slices.Grow(dst, size)
	last := 0
	for i := 0; i < len(keep); {
		at := keep[i].At
		out = append(out, doc[last:at]...)
		first := doc[at-1] == '['
		j := i
		for ; j < len(keep) && keep[j].At == at; j++ {
			if j > i || !first {
				out = append(out, ',')
			}
			out = append(out, keep[j].Node...)
		}
		if first && doc[at] != ']' {
			out = append(out, ',')
		}
		last, i = at, j
	}
	return append(out, doc[last:]...), true
}

// spliceByIndex appends to dst doc with the nodes inserted at their indexes in ui.nodes,
// finding the nodes' bounds by scanning the list. doc is what encode stored: the first
// `"nodes":[` in it is ui.nodes, as no key before ui can hold that sequence (a quote inside a
// JSON string is escaped).
func spliceByIndex(dst, doc []byte, keep []secretNode) ([]byte, error) {
	const key = `"nodes":`
	at := bytes.Index(doc, []byte(key+"["))
	if at < 0 {
		return nil, errors.New("decode settings flow: stored document has no ui.nodes")
	}
	start := at + len(key)
	dec := json.NewDecoder(bytes.NewReader(doc[start:]))
	var nodes []json.RawMessage
	if err := dec.Decode(&nodes); err != nil {
		return nil, fmt.Errorf("decode settings flow nodes: %w", err)
	}
	end := start + int(dec.InputOffset())
	for _, sn := range keep {
		nodes = slices.Insert(nodes, min(max(sn.Index, 0), len(nodes)), sn.Node)
	}
	size := len(doc)
	for _, sn := range keep {
		size += len(sn.Node) + 1
	}
	out := slices.Grow(dst, size)
	out = append(out, doc[:start]...)
	out = append(out, '[')
	for i, n := range nodes {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, n...)
	}
	out = append(out, ']')
	return append(out, doc[end:]...), nil
}

// takeOnce moves the once-nodes that reader may see into the flow's nodes, to be shown in
// this reply only, and reports whether it did (the stored flow must then drop them). Another
// session's read neither sees nor consumes them.
func (st *stored) takeOnce(reader uuid.UUID) bool {
	taken := false
	for _, sn := range st.once {
		if sn.Reader == nil || *sn.Reader != reader {
			continue
		}
		n, err := sn.node()
		if err != nil {
			continue // a damaged node is not shown; it goes with the others
		}
		i := min(max(sn.Index, 0), len(st.UI.Nodes))
		st.UI.Nodes = slices.Insert(st.UI.Nodes, i, n)
		if st.secrets == nil {
			st.secrets = map[secretID]secretMark{}
		}
		// Stored again, these are dropped: once-nodes without a reader are never kept.
		st.secrets[secretKey(&n)] = secretMark{once: true}
		taken = true
	}
	if taken {
		st.once = nil
	}
	return taken
}
