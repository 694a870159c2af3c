package text

import (
	"strings"
	"time"
)

// NewLookupSecret shows one unused backup recovery code (an item of NewLookupSecretList).
func NewLookupSecret(code string) Message {
	return New(InfoSettingsLookupSecret, map[string]any{"secret": code})
}

// NewLookupSecretUsed stands for a backup recovery code used at usedAt (an item of
// NewLookupSecretList).
func NewLookupSecretUsed(usedAt time.Time) Message {
	m := New(InfoSettingsLookupSecretUsed, map[string]any{"used_at": usedAt.UTC().Format(time.RFC3339), "used_at_unix": usedAt.Unix()})
	return m
}

// NewLookupSecretList is the text of the lookup_secret_codes node: the items' texts joined by
// ", ", and the items themselves in context.secrets, as Kratos sends them.
func NewLookupSecretList(items []Message) Message {
	texts := make([]string, len(items))
	for i, it := range items {
		texts[i] = it.Text
	}
	e, _ := Lookup(InfoSettingsLookupSecretList)
	return Message{ID: InfoSettingsLookupSecretList, Text: strings.Join(texts, ", "), Type: e.Type,
		Context: map[string]any{"secrets": items}}
}
