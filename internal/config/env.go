package config

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

type leafKind int

const (
	leafScalar leafKind = iota // a string, number, bool, duration or size
	leafList                   // []string: comma-separated, or a JSON list
	leafJSON                   // a list of objects: JSON
	leafObject                 // a map: a JSON object
)

// leaf is a key path that an environment variable can set.
type leaf struct {
	path string
	kind leafKind
}

// EnvName is the environment variable that overrides a key path: upper case, dots → underscores.
func EnvName(path string) string {
	return strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// leaves lists every key path of t that an environment variable can set.
func leaves(t reflect.Type, prefix string) []leaf {
	var out []leaf
	for i := range t.NumField() {
		f := t.Field(i)
		key := yamlKey(f)
		if key == "" {
			continue
		}
		path := join(prefix, key)
		switch {
		case f.Type == durationType || f.Type == byteSizeType:
			out = append(out, leaf{path, leafScalar})
		case f.Type.Kind() == reflect.Struct:
			out = append(out, leaves(f.Type, path)...)
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.String:
			out = append(out, leaf{path, leafList})
		case f.Type.Kind() == reflect.Slice:
			out = append(out, leaf{path, leafJSON})
		case f.Type.Kind() == reflect.Map:
			out = append(out, leaf{path, leafObject})
		case f.Type.Kind() == reflect.Interface:
			// hook configs are free-form: file only
		default:
			out = append(out, leaf{path, leafScalar})
		}
	}
	return out
}

// overlayEnv sets in root (a mapping node) every key whose environment variable is set and not
// empty.
func overlayEnv(root *yaml.Node, env func(string) (string, bool)) error {
	for _, l := range leaves(reflect.TypeFor[Config](), "") {
		name := EnvName(l.path)
		val, ok := env(name)
		if !ok || val == "" {
			continue
		}
		var n *yaml.Node
		switch {
		case l.kind == leafScalar:
			n = &yaml.Node{Kind: yaml.ScalarNode, Value: val}
		case l.kind == leafList && !strings.HasPrefix(strings.TrimSpace(val), "["):
			n = &yaml.Node{Kind: yaml.SequenceNode}
			for _, part := range strings.Split(val, ",") {
				if part = strings.TrimSpace(part); part != "" {
					n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: part})
				}
			}
		default:
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(val), &doc); err != nil || len(doc.Content) == 0 {
				what := "a JSON list"
				if l.kind == leafObject {
					what = "a JSON object"
				}
				return fmt.Errorf("config: %s (from %s): must be %s", l.path, name, what)
			}
			n = doc.Content[0]
		}
		setPath(root, strings.Split(l.path, "."), n)
	}
	return nil
}

// setPath puts value at keys under the mapping node m, creating mappings on the way.
func setPath(m *yaml.Node, keys []string, value *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != keys[0] {
			continue
		}
		if len(keys) == 1 {
			m.Content[i+1] = value
			return
		}
		child := m.Content[i+1]
		if child.Kind != yaml.MappingNode {
			child = &yaml.Node{Kind: yaml.MappingNode}
			m.Content[i+1] = child
		}
		setPath(child, keys[1:], value)
		return
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Value: keys[0]}
	if len(keys) == 1 {
		m.Content = append(m.Content, k, value)
		return
	}
	child := &yaml.Node{Kind: yaml.MappingNode}
	m.Content = append(m.Content, k, child)
	setPath(child, keys[1:], value)
}
