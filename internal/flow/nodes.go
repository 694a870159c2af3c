package flow

import "github.com/portico-auth/portico/internal/text"

// Nodes is a flow's node list, kept in the order nodes were appended; it is serialised as []
// when empty.
type Nodes []Node

// Find returns the first node whose id (an input's name) is name, or nil.
func (ns Nodes) Find(name string) *Node {
	for i := range ns {
		if ns[i].ID() == name {
			return &ns[i]
		}
	}
	return nil
}

// CSRFToken is the value of the csrf_token input (see NewCSRFNode), "" when there is none.
func (ns Nodes) CSRFToken() string {
	if n := ns.Find("csrf_token"); n != nil {
		if in := n.Input(); in != nil {
			s, _ := in.Value.(string)
			return s
		}
	}
	return ""
}

// FindIn returns the node with the given id in group, or nil. Use it for ids that several
// groups share, such as the "method" submit buttons.
func (ns Nodes) FindIn(group Group, name string) *Node {
	for i := range ns {
		if ns[i].Group == group && ns[i].ID() == name {
			return &ns[i]
		}
	}
	return nil
}

// Append adds nodes at the end.
func (ns *Nodes) Append(n ...Node) { *ns = append(*ns, n...) }

// Upsert replaces the node with the same group and id in place, or appends n.
func (ns *Nodes) Upsert(n Node) {
	if old := ns.FindIn(n.Group, n.ID()); old != nil {
		*old = n
		return
	}
	*ns = append(*ns, n)
}

// SetValue sets the value of the first input named name (in any group) and reports whether
// there was one.
func (ns Nodes) SetValue(name string, v any) bool {
	for i := range ns {
		if in := ns[i].Input(); in != nil && in.Name == name {
			in.Value = v
			return true
		}
	}
	return false
}

// AddMessage adds msg to the first node whose id is name and reports whether there was one.
func (ns Nodes) AddMessage(name string, msg ...text.Message) bool {
	if n := ns.Find(name); n != nil {
		n.Messages = append(n.Messages, msg...)
		return true
	}
	return false
}

// ClearMessages removes every node's messages (before a submission is validated again).
func (ns Nodes) ClearMessages() {
	for i := range ns {
		ns[i].Messages = nil
	}
}

// ClearValues empties the value of every input of the given types (e.g. InputPassword) so
// that secrets never travel back to the client.
func (ns Nodes) ClearValues(inputTypes ...string) {
	for i := range ns {
		in := ns[i].Input()
		if in == nil {
			continue
		}
		for _, t := range inputTypes {
			if in.Type == t {
				in.Value = nil
			}
		}
	}
}

// Remove deletes every node of the given groups, keeping the others in order.
func (ns *Nodes) Remove(groups ...Group) {
	kept := (*ns)[:0]
	for _, n := range *ns {
		drop := false
		for _, g := range groups {
			if n.Group == g {
				drop = true
				break
			}
		}
		if !drop {
			kept = append(kept, n)
		}
	}
	clear((*ns)[len(kept):])
	*ns = kept
}

// Container is a flow's UI: the form to render (Kratos's uiContainer). Messages are the
// flow-level messages (not a node's) and are omitted when empty, as Kratos does.
type Container struct {
	Action   string         `json:"action"`
	Method   string         `json:"method"`
	Nodes    Nodes          `json:"nodes"`
	Messages []text.Message `json:"messages,omitempty"`
}

// AddMessage adds a flow-level message.
func (c *Container) AddMessage(msg ...text.Message) { c.Messages = append(c.Messages, msg...) }

// ShowMessages shows a refused submission: general messages on the form, the others next to
// the nodes they name (on the form when no node has that name).
func (c *Container) ShowMessages(general []text.Message, byNode map[string][]text.Message) {
	c.AddMessage(general...)
	for name, msgs := range byNode {
		if !c.Nodes.AddMessage(name, msgs...) {
			c.AddMessage(msgs...)
		}
	}
}

// ResetMessages removes the flow-level messages and every node's messages.
func (c *Container) ResetMessages() {
	c.Messages = nil
	c.Nodes.ClearMessages()
}
