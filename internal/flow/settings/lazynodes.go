package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
)

// A submission's method mostly reads and changes its own group's nodes only (OwnNodesOnly):
// the profile method never looks at the TOTP form or the password input. Decoding every node
// of the stored flow was a fifth of the CPU of a profile update with the MFA methods on, so a
// submission's flow decodes only the default group's nodes (the CSRF token) and keeps the
// others encoded in st.lazy, by their place in the stored list: the method decodes its own
// group when it reads or changes one of its nodes (Flow.OwnNodes, a refused submission),
// Handler.run all of them when the method may touch any node, and restoreLazy puts the rest
// back before anything shows or stores st (restoreDeferred). A success shows a fresh flow's
// nodes: the submitted flow's nodes other than the CSRF token are never decoded.

// defaultGroup is the group a submission decodes at once: the CSRF token's. The method's own
// nodes follow once it is known (restoreGroup), every other one when the flow is shown or
// stored again, or the method may touch any node (restoreLazy).
func defaultGroup(g flow.Group) bool { return g == flow.GroupDefault }

// lazyNode is a stored public node left encoded.
type lazyNode struct {
	// pos is the node's index in the stored public node list.
	pos   int
	group flow.Group
	raw   json.RawMessage
}

// splitNodes returns doc, a stored public document, with ui.nodes holding only the nodes
// whose group eager accepts, and the others, encoded (slices of doc, which is only read), in
// their stored order. doc is what encode stored: the first `"nodes":[` in it is ui.nodes (see
// spliceByIndex). The list is split by its brackets and strings, without decoding it: what is
// decoded now goes through json.Unmarshal, the rest through restoreLazy, or is dropped with
// the submitted flow's nodes after a success (which shows a fresh flow's). The document
// returned when nodes were left out is in a pooled buffer, box, which the caller gives back
// (putCleared: it holds the CSRF token) once it has decoded it; nil otherwise.
func splitNodes(doc []byte, eager func(flow.Group) bool) (out []byte, lazy []lazyNode, box *[]byte, err error) {
	const key = `"nodes":`
	at := bytes.Index(doc, []byte(key+"["))
	if at < 0 {
		return doc, nil, nil, nil // no list: decoded as it is
	}
	start := at + len(key)
	var kept []byte
	i := start + 1
	for pos := 0; ; pos++ {
		i = skipSpace(doc, i)
		if i < len(doc) && doc[i] == ']' && pos == 0 {
			break
		}
		end, err := skipValue(doc, i)
		if err != nil {
			return nil, nil, box, err
		}
		raw := doc[i:end:end]
		g, err := nodeGroup(raw)
		if err != nil {
			return nil, nil, box, err
		}
		if !eager(g) {
			if lazy == nil {
				// The nodes before this one are all kept.
				box = getBuf(len(doc))
				kept = append((*box)[:0], doc[:i]...)
				kept = bytes.TrimRight(bytes.TrimRightFunc(kept, isSpace), ",")
			}
			lazy = append(lazy, lazyNode{pos: pos, group: g, raw: raw})
		} else if lazy != nil {
			if kept[len(kept)-1] != '[' {
				kept = append(kept, ',')
			}
			kept = append(kept, raw...)
		}
		i = skipSpace(doc, end)
		if i >= len(doc) {
			return nil, nil, box, errors.New("decode settings flow nodes: unexpected end")
		}
		if doc[i] == ']' {
			break
		}
		if doc[i] != ',' {
			return nil, nil, box, fmt.Errorf("decode settings flow nodes: unexpected %q", doc[i])
		}
		i++
	}
	if lazy == nil {
		return doc, nil, nil, nil
	}
	// kept is never longer than doc: it stays in box.
	return append(kept, doc[i:]...), lazy, box, nil
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(rune(b[i])) {
		i++
	}
	return i
}

// skipValue returns the end of the JSON object that starts at b[i]: its brackets balanced
// outside strings, its strings closed. The object's content is checked when it is decoded.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) || b[i] != '{' {
		return 0, errors.New("decode settings flow nodes: a node is not an object")
	}
	var stack [32]byte
	depth := 0
	for ; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if i >= len(b) {
				return 0, errors.New("decode settings flow nodes: unterminated string")
			}
		case '{', '[':
			if depth == len(stack) {
				return 0, errors.New("decode settings flow nodes: nested too deep")
			}
			stack[depth] = c + 2 // '{'+2 == '}', '['+2 == ']'
			depth++
		case '}', ']':
			if depth == 0 || stack[depth-1] != c {
				return 0, fmt.Errorf("decode settings flow nodes: unexpected %q", c)
			}
			depth--
			if depth == 0 {
				return i + 1, nil
			}
		}
	}
	return 0, errors.New("decode settings flow nodes: unexpected end")
}

// nodeGroup returns the group of an encoded node: read from the `{"type":"…","group":"…"`
// the node encoder starts every node with when it is so (plain strings, no escapes), and
// decoded otherwise.
func nodeGroup(raw []byte) (flow.Group, error) {
	const typ, grp = `{"type":"`, `","group":"`
	if rest, ok := bytes.CutPrefix(raw, []byte(typ)); ok {
		if i := bytes.IndexByte(rest, '"'); i >= 0 && bytes.IndexByte(rest[:i], '\\') < 0 {
			if rest, ok = bytes.CutPrefix(rest[i:], []byte(grp)); ok {
				if j := bytes.IndexByte(rest, '"'); j >= 0 && bytes.IndexByte(rest[:j], '\\') < 0 &&
					j+1 < len(rest) && rest[j+1] == ',' {
					return groupOf(rest[:j]), nil
				}
			}
		}
	}
	var n struct {
		Group flow.Group `json:"group"`
	}
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", fmt.Errorf("decode settings flow node: %w", err)
	}
	return n.Group, nil
}

// OwnNodes decodes the nodes of the running method's group when the submission left them
// encoded (see lazynodes.go); a no-op otherwise. A method that touches only its own nodes
// (OwnNodesOnly) calls it before it reads or changes one: a submission it accepts never
// decodes them.
func (f *Flow) OwnNodes() error {
	if len(f.lazy) == 0 || f.ownGroup == "" {
		return nil
	}
	if err := f.restoreGroup(f.ownGroup); err != nil {
		return apierr.ErrInternal.WithCause(fmt.Errorf("decode settings flow %s: %w", f.ID, err))
	}
	return nil
}

// restoreGroup decodes the nodes of group g that splitNodes left encoded and puts them at
// their stored places among the decoded ones, as restoreLazy does for all of them: a method
// that touches only its own group's nodes (OwnNodesOnly) sees them as stored. The others stay
// encoded, restoreLazy's to put back.
func (f *Flow) restoreGroup(g flow.Group) error {
	if !slices.ContainsFunc(f.lazy, func(ln lazyNode) bool { return ln.group == g }) {
		return nil
	}
	rest := make([]lazyNode, 0, len(f.lazy))
	for _, ln := range f.lazy {
		if ln.group != g {
			rest = append(rest, ln)
			continue
		}
		var n flow.Node
		if err := json.Unmarshal(ln.raw, &n); err != nil {
			return fmt.Errorf("decode settings flow node: %w", err)
		}
		if f.lazyReset {
			n.Messages = nil
		}
		// The decoded nodes fill, in order, the places of the stored list that no node still
		// encoded holds: this one goes after the decoded ones before it.
		at := min(max(ln.pos-len(rest), 0), len(f.UI.Nodes))
		f.UI.Nodes = slices.Insert(f.UI.Nodes, at, n)
	}
	f.lazy = rest
	if len(rest) == 0 {
		f.lazy, f.lazyReset = nil, false
	}
	return nil
}

// restoreLazy decodes the nodes splitNodes left encoded and puts them back at their stored
// places; without their messages when the flow's messages were reset since (resetMessages).
// Between the two, the decoded nodes may change but none may be added, removed or moved (a
// node added anyway goes after them).
func (st *stored) restoreLazy() error {
	if len(st.lazy) == 0 {
		return nil
	}
	kept := st.UI.Nodes
	out := make(flow.Nodes, 0, len(kept)+len(st.lazy)+len(st.deferred))
	li, ki := 0, 0
	for li < len(st.lazy) || ki < len(kept) {
		if li < len(st.lazy) && (st.lazy[li].pos <= len(out) || ki == len(kept)) {
			var n flow.Node
			if err := json.Unmarshal(st.lazy[li].raw, &n); err != nil {
				return fmt.Errorf("decode settings flow node: %w", err)
			}
			if st.lazyReset {
				n.Messages = nil
			}
			out = append(out, n)
			li++
			continue
		}
		out = append(out, kept[ki])
		ki++
	}
	st.UI.Nodes, st.lazy, st.lazyReset = out, nil, false
	return nil
}

// groups are the groups a settings flow's nodes are in: groupOf finds a node's without
// making a string.
var groups = []flow.Group{flow.GroupDefault, flow.GroupProfile, flow.GroupPassword, flow.GroupTOTP,
	flow.GroupLookup, flow.GroupWebAuthn, flow.GroupPasskey, flow.GroupOIDC}

func groupOf(b []byte) flow.Group {
	for _, g := range groups {
		if string(b) == string(g) {
			return g
		}
	}
	return flow.Group(b)
}
