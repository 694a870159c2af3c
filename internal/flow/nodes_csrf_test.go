package flow

import (
	"encoding/json"
	"testing"
)

func TestNodesCSRFToken(t *testing.T) {
	var ns Nodes
	if got := ns.CSRFToken(); got != "" {
		t.Errorf("no nodes: %q", got)
	}
	ns.Append(NewInput(GroupPassword, InputAttributes{Name: "identifier", Type: InputText, Value: "a@example.com"}, nil), NewCSRFNode("tok"))
	// As a client reads it: through the wire encoding.
	b, err := json.Marshal(ns)
	if err != nil {
		t.Fatal(err)
	}
	var back Nodes
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if got := back.CSRFToken(); got != "tok" {
		t.Errorf("CSRFToken = %q, want tok", got)
	}
}
