package settings

import (
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
	Index int       `json:"i"`
	Node  flow.Node `json:"n"`
	// Once marks a node shown once, readable by Reader only.
	Once   bool       `json:"once,omitempty"`
	Reader *uuid.UUID `json:"reader,omitempty"`
}

func secretKey(n *flow.Node) string { return string(n.Group) + "\x00" + n.ID() }

// AppendSecret appends nodes that show a secret the flow keeps until it is used (a TOTP key
// offered for linking, recovery codes awaiting confirmation): they are stored only sealed and
// shown on every read of the flow.
func (f *Flow) AppendSecret(nodes ...flow.Node) { f.appendMarked(secretMark{}, nodes) }

// AppendOnce appends nodes that show a secret once (revealed recovery codes): in the reply
// to sub's submission and, when that reply is a redirect to the UI, in the next read of the
// flow by sub's session; never again.
func (f *Flow) AppendOnce(sub *Submission, nodes ...flow.Node) {
	m := secretMark{once: true}
	if sub != nil && sub.Session != nil && sub.Request != nil && !flow.WantsJSON(sub.Request) {
		id := sub.Session.ID
		m.reader = &id
	}
	f.appendMarked(m, nodes)
}

func (f *Flow) appendMarked(m secretMark, nodes []flow.Node) {
	if f.secrets == nil {
		f.secrets = map[string]secretMark{}
	}
	for i := range nodes {
		f.secrets[secretKey(&nodes[i])] = m
	}
	f.UI.Nodes.Append(nodes...)
}

// clearSecrets forgets every mark (the nodes are being rebuilt).
func (f *Flow) clearSecrets() { f.secrets = nil }

// splitSecrets returns the flow's nodes without the secret ones, and the secret ones as
// they are to be stored (once-nodes without a reader are shown now and not kept).
func (f *Flow) splitSecrets() (public flow.Nodes, secret []secretNode) {
	if len(f.secrets) == 0 {
		return f.UI.Nodes, nil
	}
	public = make(flow.Nodes, 0, len(f.UI.Nodes))
	for i := range f.UI.Nodes {
		n := &f.UI.Nodes[i]
		m, ok := f.secrets[secretKey(n)]
		if !ok {
			public = append(public, *n)
			continue
		}
		if m.once && m.reader == nil {
			continue
		}
		secret = append(secret, secretNode{Index: i, Node: *n, Once: m.once, Reader: m.reader})
	}
	return public, secret
}

// restoreSecrets puts the kept secret nodes back in place. Once-nodes are not restored:
// they wait in st.once for their one read (takeOnce).
func (st *stored) restoreSecrets(nodes []secretNode) {
	slices.SortFunc(nodes, func(a, b secretNode) int { return a.Index - b.Index })
	for _, sn := range nodes {
		if sn.Once {
			st.once = append(st.once, sn)
			continue
		}
		if st.secrets == nil {
			st.secrets = map[string]secretMark{}
		}
		st.secrets[secretKey(&sn.Node)] = secretMark{}
		i := min(max(sn.Index, 0), len(st.UI.Nodes))
		st.UI.Nodes = slices.Insert(st.UI.Nodes, i, sn.Node)
	}
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
		i := min(max(sn.Index, 0), len(st.UI.Nodes))
		st.UI.Nodes = slices.Insert(st.UI.Nodes, i, sn.Node)
		if st.secrets == nil {
			st.secrets = map[string]secretMark{}
		}
		// Stored again, these are dropped: once-nodes without a reader are never kept.
		st.secrets[secretKey(&sn.Node)] = secretMark{once: true}
		taken = true
	}
	if taken {
		st.once = nil
	}
	return taken
}
