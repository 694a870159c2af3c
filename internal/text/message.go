// Package text is Portico's one catalogue of user-facing messages. Every message a flow shows
// (node labels, info texts, validation errors, flow-state notices) is listed here with Kratos's
// numeric id, its type (info, error, success) and an English template whose {placeholders} are
// filled from the message context. Flows refer to messages through the constants and
// constructors in this package, never through literal strings, and the built-in UI can render
// any message by id with Lookup/Render.
package text

import (
	"fmt"
	"sort"
	"strings"
)

// Message types.
const (
	Info    = "info"
	Error   = "error"
	Success = "success"
)

// Message is Kratos's uiText: one message shown on a flow or on a node.
type Message struct {
	ID      int            `json:"id"`
	Text    string         `json:"text"`
	Type    string         `json:"type"`
	Context map[string]any `json:"context,omitempty"`
}

// Entry is one catalogue row: the message type and its English template.
type Entry struct {
	Type     string
	Template string
}

// Lookup returns the catalogue entry for id.
func Lookup(id int) (Entry, bool) {
	e, ok := catalogue[id]
	return e, ok
}

// IDs lists every id in the catalogue in ascending order.
func IDs() []int {
	ids := make([]int, 0, len(catalogue))
	for id := range catalogue {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// New builds the message id with the given context (nil for none), its text rendered from the
// catalogue template. An id missing from the catalogue yields an error message whose text is
// the context's "reason", so that a typo never panics in a request.
func New(id int, context map[string]any) Message {
	e, ok := catalogue[id]
	if !ok {
		e = Entry{Type: Error, Template: "{reason}"}
	}
	if len(context) == 0 {
		context = nil
	}
	return Message{ID: id, Text: Render(e.Template, context), Type: e.Type, Context: context}
}

// Render fills {key} placeholders of template from context; unknown keys stay as they are.
func Render(template string, context map[string]any) string {
	if !strings.Contains(template, "{") {
		return template
	}
	var b strings.Builder
	rest := template
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			b.WriteString(rest)
			break
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			b.WriteString(rest)
			break
		}
		key := rest[open+1 : open+end]
		b.WriteString(rest[:open])
		if v, ok := context[key]; ok {
			b.WriteString(fmt.Sprint(v))
		} else {
			b.WriteString(rest[open : open+end+1])
		}
		rest = rest[open+end+1:]
	}
	return b.String()
}
