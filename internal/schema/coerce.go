package schema

import (
	"encoding/json"
	"strconv"
	"strings"
)

// CoerceForm converts, in place, the strings an HTML form submits into the JSON types the
// trait fields declare: numbers and integers, booleans ("true"/"on"/"1", "false"/"off"/"0"),
// one-element arrays. An empty string for an optional field removes it, so "no value" is
// absent rather than "". traits is the submitted "traits" object (keys without the "traits."
// prefix). A string that does not convert is left alone for ValidateTraits to report.
func (s *Schema) CoerceForm(traits map[string]any) {
	for _, f := range s.fields {
		segs := strings.Split(strings.TrimPrefix(f.Path, "traits."), ".")
		parent := traits
		for _, seg := range segs[:len(segs)-1] {
			next, ok := parent[seg].(map[string]any)
			if !ok {
				parent = nil
				break
			}
			parent = next
		}
		if parent == nil {
			continue
		}
		key := segs[len(segs)-1]
		str, ok := parent[key].(string)
		if !ok {
			continue
		}
		if str == "" && !f.Required {
			delete(parent, key)
			continue
		}
		if v, ok := f.coerce(str); ok {
			parent[key] = v
		}
	}
}

// coerce converts one form string to the field's type; ok is false when it does not convert.
func (f TraitField) coerce(s string) (any, bool) {
	switch f.Type {
	case "number", "integer":
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return nil, false
		}
		return json.Number(s), true
	case "boolean":
		switch strings.ToLower(s) {
		case "true", "on", "1":
			return true, true
		case "false", "off", "0":
			return false, true
		}
		return nil, false
	case "array":
		return []any{s}, true
	}
	return s, true
}
