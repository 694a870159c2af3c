package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

var (
	durationType = reflect.TypeFor[time.Duration]()
	byteSizeType = reflect.TypeFor[ByteSize]()
)

// decoder copies a YAML node tree onto a struct that already holds defaults. It is written by
// hand, not yaml.Node.Decode, so that every type error names the key path and unknown keys are
// collected instead of refused.
type decoder struct {
	unknown []string
}

func (d *decoder) decode(path string, n *yaml.Node, v reflect.Value) error {
	for n.Kind == yaml.DocumentNode || n.Kind == yaml.AliasNode {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		} else if len(n.Content) == 0 {
			return nil
		} else {
			n = n.Content[0]
		}
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil // an empty key keeps its default
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("config: %s: %s", path, fmt.Sprintf(format, args...))
	}
	scalar := func(want string) (string, error) {
		if n.Kind != yaml.ScalarNode {
			return "", fail("must be %s, got a %s", want, kindName(n))
		}
		return n.Value, nil
	}

	switch v.Type() {
	case durationType:
		s, err := scalar("a duration")
		if err != nil {
			return err
		}
		dur, err := time.ParseDuration(s)
		if err != nil {
			return fail("must be a duration like \"1h\" or \"15m\", got %q", s)
		}
		v.SetInt(int64(dur))
		return nil
	case byteSizeType:
		s, err := scalar("a size")
		if err != nil {
			return err
		}
		b, err := ParseByteSize(s)
		if err != nil {
			return fail("%v", err)
		}
		v.SetUint(uint64(b))
		return nil
	}

	switch v.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return fail("must be a mapping, got a %s", kindName(n))
		}
		fields := fieldsByKey(v.Type())
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			sub := join(path, key)
			idx, ok := fields[key]
			if !ok {
				d.unknown = append(d.unknown, sub)
				continue
			}
			if err := d.decode(sub, n.Content[i+1], v.Field(idx)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return fail("must be a list, got a %s", kindName(n))
		}
		out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			if err := d.decode(fmt.Sprintf("%s[%d]", path, i), item, out.Index(i)); err != nil {
				return err
			}
		}
		v.Set(out)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return fail("must be a mapping, got a %s", kindName(n))
		}
		if v.Type().Key().Kind() != reflect.String {
			return fail("unsupported map key type %s", v.Type().Key())
		}
		out := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			elem := reflect.New(v.Type().Elem()).Elem()
			if err := d.decode(join(path, key), n.Content[i+1], elem); err != nil {
				return err
			}
			out.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), elem)
		}
		v.Set(out)
	case reflect.Interface:
		var x any
		if err := n.Decode(&x); err != nil {
			return fail("%v", err)
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
	case reflect.String:
		s, err := scalar("a string")
		if err != nil {
			return err
		}
		v.SetString(s)
	case reflect.Bool:
		s, err := scalar("true or false")
		if err != nil {
			return err
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fail("must be true or false, got %q", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		s, err := scalar("an integer")
		if err != nil {
			return err
		}
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v.OverflowInt(i) {
			return fail("must be an integer, got %q", s)
		}
		v.SetInt(i)
	default:
		return fail("unsupported field type %s", v.Type())
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return fmt.Sprintf("value %q", n.Value)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldsByKey maps YAML key names to field indexes.
func fieldsByKey(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := range t.NumField() {
		if k := yamlKey(t.Field(i)); k != "" {
			m[k] = i
		}
	}
	return m
}

func yamlKey(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	k, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if k == "-" {
		return ""
	}
	return k
}
