package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// node is a JSON value that remembers the order of object members, which the schema walker
// needs: forms show trait fields in the order the schema document lists them.
type node struct {
	members []member // objects
	items   []*node  // arrays
	scalar  any      // strings, json.Number, bools, nil
	kind    byte     // 'o' object, 'a' array, 's' scalar
}

type member struct {
	key   string
	value *node
}

func (n *node) get(key string) *node {
	if n == nil || n.kind != 'o' {
		return nil
	}
	for _, m := range n.members {
		if m.key == key {
			return m.value
		}
	}
	return nil
}

func (n *node) str() string {
	if n == nil {
		return ""
	}
	s, _ := n.scalar.(string)
	return s
}

func (n *node) boolean() bool {
	if n == nil {
		return false
	}
	b, _ := n.scalar.(bool)
	return b
}

func (n *node) number() (float64, bool) {
	if n == nil {
		return 0, false
	}
	num, ok := n.scalar.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := num.Float64()
	return f, err == nil
}

// raw re-encodes the node (used to decode the extension object into a struct).
func (n *node) raw() []byte {
	var b bytes.Buffer
	n.encode(&b)
	return b.Bytes()
}

func (n *node) encode(b *bytes.Buffer) {
	switch n.kind {
	case 'o':
		b.WriteByte('{')
		for i, m := range n.members {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(m.key)
			b.Write(k)
			b.WriteByte(':')
			m.value.encode(b)
		}
		b.WriteByte('}')
	case 'a':
		b.WriteByte('[')
		for i, it := range n.items {
			if i > 0 {
				b.WriteByte(',')
			}
			it.encode(b)
		}
		b.WriteByte(']')
	default:
		v, _ := json.Marshal(n.scalar)
		b.Write(v)
	}
}

// parseOrdered decodes a JSON document with a token-level walker, keeping member order.
func parseOrdered(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := parseNode(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("trailing data after JSON document")
	}
	return n, nil
}

// maxDepth bounds nesting so that a hostile document cannot exhaust the stack.
const maxDepth = 256

func parseNode(dec *json.Decoder, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("JSON nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{kind: 'o'}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key is not a string")
				}
				v, err := parseNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.members = append(n.members, member{key: key, value: v})
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		case '[':
			n := &node{kind: 'a'}
			for dec.More() {
				v, err := parseNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return &node{kind: 's', scalar: t}, nil
	}
}

// resolveLocal follows a local "$ref" ("#/definitions/x" or "#/$defs/x") within the same
// document; remote references are not followed by the walker (validation still honours them).
func resolveLocal(root, n *node) *node {
	for i := 0; i < 32 && n != nil; i++ {
		ref := n.get("$ref").str()
		if !strings.HasPrefix(ref, "#") {
			return n
		}
		target := root
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#"), "/") {
			if part == "" {
				continue
			}
			part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
			target = target.get(part)
		}
		if target == nil {
			return n
		}
		n = target
	}
	return n
}
