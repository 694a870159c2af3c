package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/text"
)

// Patch is what a parsed reply changes on the identity before it is stored: each field that
// is set replaces the identity's.
type Patch struct {
	Traits         json.RawMessage `json:"traits"`
	MetadataPublic json.RawMessage `json:"metadata_public"`
	MetadataAdmin  json.RawMessage `json:"metadata_admin"`
}

// Interrupt is the app refusing the flow: messages for fields (by the node the instance
// pointer names) and for the whole flow (an empty pointer or "#").
type Interrupt struct {
	Nodes    map[string][]text.Message
	Messages []text.Message
}

func (i *Interrupt) Error() string { return "webhook: the app refused the flow" }

// The errors a call that was waited for ends with when the app did not answer as agreed
// (Kratos's reasons).
var (
	ErrBadGateway = apierr.ErrBadGateway.
			WithReason("A third-party upstream service responded improperly. Please try again later.")
	ErrUnreachable = apierr.ErrBadGateway.
			WithReason("A third-party upstream service could not be reached. Please try again later.")
	ErrTimeout = apierr.ErrGatewayTimeout.
			WithReason("A third-party upstream service could not be reached. Please try again later.")
)

// hookReply is the refusal a hook sends with a status of 400 or more.
type hookReply struct {
	Messages []struct {
		InstancePtr string `json:"instance_ptr"`
		Messages    []struct {
			ID      int            `json:"id"`
			Text    string         `json:"text"`
			Type    string         `json:"type"`
			Context map[string]any `json:"context"`
		} `json:"messages"`
	} `json:"messages"`
}

// parseRefusal reads a refusal; a body that is not one is ErrBadGateway.
func parseRefusal(status int, body []byte) error {
	var r hookReply
	if err := json.Unmarshal(body, &r); err != nil || len(r.Messages) == 0 {
		return ErrBadGateway.WithMessage(fmt.Sprintf("The web hook answered %d without messages.", status))
	}
	in := &Interrupt{}
	for _, m := range r.Messages {
		node := nodeName(m.InstancePtr)
		for _, d := range m.Messages {
			typ := text.Info
			if d.Type == text.Error {
				typ = text.Error
			}
			msg := text.Message{ID: d.ID, Text: d.Text, Type: typ, Context: d.Context}
			if node == "" {
				in.Messages = append(in.Messages, msg)
				continue
			}
			if in.Nodes == nil {
				in.Nodes = map[string][]text.Message{}
			}
			in.Nodes[node] = append(in.Nodes[node], msg)
		}
	}
	if len(in.Messages) == 0 && len(in.Nodes) == 0 {
		return ErrBadGateway.WithMessage(fmt.Sprintf("The web hook answered %d without messages.", status))
	}
	return in
}

// nodeName turns a JSON pointer into the node name it points at: "#/traits/email" is
// "traits.email"; "", "#" and "#/" are the whole flow.
func nodeName(ptr string) string {
	ptr = strings.TrimPrefix(strings.TrimPrefix(ptr, "#"), "/")
	if ptr == "" {
		return ""
	}
	parts := strings.Split(ptr, "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	return strings.Join(parts, ".")
}

// parsePatch reads a 200 reply of a parse hook: {"identity": {...}} or anything without an
// identity (no change). A body that is not JSON is ErrBadGateway.
func parsePatch(body []byte) (*Patch, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	var r struct {
		Identity *Patch `json:"identity"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, ErrBadGateway.WithMessage("The web hook's answer is not JSON.")
	}
	p := r.Identity
	if p == nil {
		return nil, nil
	}
	for _, raw := range []*json.RawMessage{&p.Traits, &p.MetadataPublic, &p.MetadataAdmin} {
		if string(*raw) == "null" {
			*raw = nil
		}
	}
	if len(p.Traits) > 0 && p.Traits[0] != '{' {
		return nil, ErrBadGateway.WithMessage("The web hook's identity.traits is not an object.")
	}
	return p, nil
}
