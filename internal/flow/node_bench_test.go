package flow

import (
	"encoding/json"
	"testing"

	"github.com/portico-auth/portico/internal/kratosexamples"
)

// recordedNodes decodes the nodes of the recorded settings flow (about 6 KB of JSON).
func recordedNodes(tb testing.TB) Nodes {
	tb.Helper()
	b := kratosexamples.Read(tb, "settings-browser-ajax-200.json")
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

// BenchmarkNodesMarshalReference encodes the same nodes with the encoders the appender
// replaced (a json.Marshal per node and per attributes), for comparison in the same run.
func BenchmarkNodesMarshalReference(b *testing.B) {
	ns := recordedNodes(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := refMarshalNodes(ns); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNodesAppendJSON appends the same nodes to a reused buffer, as a caller that
// encodes its reply by hand would, skipping encoding/json's compaction of the result.
func BenchmarkNodesAppendJSON(b *testing.B) {
	ns := recordedNodes(b)
	buf := make([]byte, 0, 8<<10)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = ns.AppendJSON(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNodesUnmarshal decodes the nodes of the recorded settings flow, as every read of a
// stored flow does.
func BenchmarkNodesUnmarshal(b *testing.B) {
	raw, err := json.Marshal(recordedNodes(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var ns Nodes
		if err := json.Unmarshal(raw, &ns); err != nil {
			b.Fatal(err)
		}
	}
}
