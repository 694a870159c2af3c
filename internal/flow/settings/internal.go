package settings

import (
	"encoding/json"
	"fmt"
)

// Methods keep state between showing a flow and a submission to it (a TOTP secret not yet
// confirmed, freshly generated recovery codes) in the flow's internal context: it is stored
// with the flow and never sent to a client.

// SetInternal stores v under key in the flow's internal context.
func (f *Flow) SetInternal(key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode settings flow internal context %q: %w", key, err)
	}
	if f.internal == nil {
		f.internal = map[string]json.RawMessage{}
	}
	f.internal[key] = raw
	return nil
}

// SetInternalJSON stores raw, a JSON document the caller encoded, under key.
func (f *Flow) SetInternalJSON(key string, raw json.RawMessage) {
	if f.internal == nil {
		f.internal = map[string]json.RawMessage{}
	}
	f.internal[key] = raw
}

// Internal decodes the value stored under key into v and reports whether there was one.
func (f *Flow) Internal(key string, v any) (bool, error) {
	raw, ok := f.internal[key]
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("decode settings flow internal context %q: %w", key, err)
	}
	return true, nil
}

// DeleteInternal removes key from the flow's internal context.
func (f *Flow) DeleteInternal(key string) { delete(f.internal, key) }

func cloneInternal(m map[string]json.RawMessage) map[string]json.RawMessage {
	if m == nil {
		return nil
	}
	c := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
