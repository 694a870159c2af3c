// Package form is the one decoder of self-service flow submissions (login, registration,
// settings, …), the way Kratos accepts them: an HTML form (application/x-www-form-urlencoded
// or multipart) with dotted field names such as "traits.name.first", or a JSON object with
// nested values. Both become the same nested Values, so methods read one shape; IsForm tells
// them which it was (form values are all strings).
package form

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/httpx"
)

// Values is a decoded submission: nested maps for dotted names; from a form, strings (a list
// of strings for a field sent more than once), from JSON any JSON value (numbers as
// json.Number).
type Values map[string]any

// formMarker flags Values decoded from a form; it cannot collide with a field, because a field
// name never holds a NUL byte (httpx.CheckForm refuses it).
const formMarker = "\x00form"

// IsForm reports whether the submission came from an HTML form.
func (v Values) IsForm() bool {
	_, ok := v[formMarker]
	return ok
}

// Fields is v without what Decode added (the form marker), for keeping a submission to apply
// later.
func (v Values) Fields() Values {
	c := make(Values, len(v))
	for k, x := range v {
		if k != formMarker {
			c[k] = x
		}
	}
	return c
}

// maxMemory bounds the memory a multipart form may use before spilling to disk.
const maxMemory = 1 << 20

// IsJSON reports whether the request body is JSON (application/json or a +json type).
func IsJSON(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// Decode reads the request body. A body that cannot be read, or that breaks
// httpx.DefaultLimits (depth, field count, name and value length, UTF-8 without NUL), is a 400;
// the limits are checked on the raw body or the raw field names, before anything is nested.
func Decode(r *http.Request) (Values, error) {
	if IsJSON(r) {
		var v Values
		if err := httpx.DecodeJSON(r, &v); err != nil {
			return nil, err
		}
		if v == nil { // the body was null
			v = Values{}
		}
		return v, nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	if mt == "multipart/form-data" {
		err = r.ParseMultipartForm(maxMemory)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		return nil, apierr.ErrBadRequest.WithReason("Unable to decode the request body as a form.").WithCause(err)
	}
	if err := httpx.DefaultLimits.CheckForm(r.PostForm); err != nil {
		return nil, err
	}
	v := Values{formMarker: true}
	for key, vals := range r.PostForm {
		if len(vals) == 0 || key == "" {
			continue
		}
		if len(vals) == 1 {
			v.Set(key, vals[0])
			continue
		}
		all := make([]any, len(vals))
		for i, s := range vals {
			all[i] = s
		}
		v.Set(key, all)
	}
	return v, nil
}

// Set stores value at a dotted path, creating the nested objects on the way. A path that
// crosses a non-object value replaces it.
func (v Values) Set(path string, value any) {
	parts := strings.Split(path, ".")
	m := map[string]any(v)
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			if nv, ok := m[p].(Values); ok {
				next = nv
			} else {
				next = map[string]any{}
				m[p] = next
			}
		}
		m = next
	}
	m[parts[len(parts)-1]] = value
}

// Get returns the value at a dotted path, or nil.
func (v Values) Get(path string) any {
	var cur any = map[string]any(v)
	for _, p := range strings.Split(path, ".") {
		switch m := cur.(type) {
		case map[string]any:
			cur = m[p]
		case Values:
			cur = m[p]
		default:
			return nil
		}
	}
	return cur
}

// String returns the value at path as a string: strings as they are, numbers and booleans
// printed, anything else "". A form field sent more than once with one value each time is that
// value: a browser sends both the hidden method input and the submit button of a code form
// (Kratos's nodes have both), method=code twice; differing values stay "".
func (v Values) String(path string) string {
	switch x := v.Get(path).(type) {
	case string:
		return x
	case []any:
		if !v.IsForm() || len(x) == 0 {
			return ""
		}
		first, _ := x[0].(string)
		for _, y := range x[1:] {
			if s, _ := y.(string); s != first {
				return ""
			}
		}
		return first
	case json.Number:
		return x.String()
	case bool:
		return fmt.Sprint(x)
	default:
		return ""
	}
}

// Bool reads a submitted boolean at path: true in JSON, "true" (or "1", "on") from a form;
// anything else is false.
func (v Values) Bool(path string) bool {
	switch x := v.Get(path).(type) {
	case bool:
		return x
	case string:
		return x == "true" || x == "1" || x == "on"
	}
	return false
}

// Object returns the object at path (nil when there is none).
func (v Values) Object(path string) map[string]any {
	switch x := v.Get(path).(type) {
	case map[string]any:
		return x
	case Values:
		return x
	default:
		return nil
	}
}
