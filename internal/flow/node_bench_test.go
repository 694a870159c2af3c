package flow

import (
	"encoding/json"
	"os"
	"testing"
)

// recordedNodes decodes the nodes of the recorded settings flow (about 6 KB of JSON).
func recordedNodes(tb testing.TB) Nodes {
	tb.Helper()
	b, err := os.ReadFile("testdata/settings-browser-ajax-200.json")
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct {
		UI struct {
			Nodes Nodes `json:"nodes"`
		} `json:"ui"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		tb.Fatal(err)
	}
	return doc.UI.Nodes
}

// BenchmarkNodesMarshal encodes the nodes of the recorded settings flow through
// encoding/json, the way a flow reply embeds them.
func BenchmarkNodesMarshal(b *testing.B) {
	ns := recordedNodes(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(ns); err != nil {
			b.Fatal(err)
		}
	}
}
