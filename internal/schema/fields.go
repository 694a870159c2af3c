package schema

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ExtensionKey is the schema keyword under which Kratos's trait extension lives.
const ExtensionKey = "ory.sh/kratos"

// Extension is the "ory.sh/kratos" object on a trait property.
type Extension struct {
	Credentials struct {
		Password struct {
			Identifier bool `json:"identifier"`
		} `json:"password"`
		WebAuthn struct {
			Identifier bool `json:"identifier"`
		} `json:"webauthn"`
		Passkey struct {
			DisplayName bool `json:"display_name"`
		} `json:"passkey"`
		TOTP struct {
			AccountName bool `json:"account_name"`
		} `json:"totp"`
		Code struct {
			Identifier bool   `json:"identifier"`
			Via        string `json:"via"`
		} `json:"code"`
	} `json:"credentials"`
	Verification struct {
		Via string `json:"via"`
	} `json:"verification"`
	Recovery struct {
		Via string `json:"via"`
	} `json:"recovery"`
}

// TraitField is one leaf trait property, as a form needs it.
type TraitField struct {
	// Path is the dot path of the field's value, starting with "traits" ("traits.name.first").
	Path  string
	Title string
	// Type is the JSON Schema type: string, number, integer, boolean, or array (of strings,
	// e.g. several e-mail addresses).
	Type string
	// Format is the JSON Schema format ("email", "date", …), for arrays that of the items.
	Format    string
	Required  bool
	MinLength int // 0 when unset
	MaxLength int // 0 when unset
	Pattern   string
	// Extension is the property's "ory.sh/kratos" object (zero when absent).
	Extension Extension

	IsPasswordIdentifier bool
	IsWebAuthnIdentifier bool
	IsPasskeyDisplayName bool
	IsTOTPAccountName    bool
	IsCodeIdentifier     bool
	// VerificationVia / RecoveryVia are "email", "sms", … or "".
	VerificationVia string
	RecoveryVia     string

	segments []string // path below traits
	isArray  bool
}

// IsEmail reports whether values of this field are e-mail addresses (and so are
// compared case-insensitively).
func (f TraitField) IsEmail() bool {
	return f.Format == "email" || f.VerificationVia == "email" || f.RecoveryVia == "email" ||
		f.Extension.Credentials.Code.Via == "email"
}

// TraitFields lists the leaf trait properties in the order the schema document lists them.
func (s *Schema) TraitFields() []TraitField { return append([]TraitField(nil), s.fields...) }

// collectFields walks properties.traits of the schema document.
func collectFields(root *node) ([]TraitField, error) {
	traits := resolveLocal(root, resolveLocal(root, root).get("properties").get("traits"))
	if traits == nil {
		return nil, nil
	}
	var out []TraitField
	if err := walkObject(root, traits, []string{}, &out, 0); err != nil {
		return nil, err
	}
	return out, nil
}

func walkObject(root, obj *node, prefix []string, out *[]TraitField, depth int) error {
	if depth > 64 {
		return fmt.Errorf("trait schema nested too deeply")
	}
	required := map[string]bool{}
	if req := obj.get("required"); req != nil {
		for _, it := range req.items {
			required[it.str()] = true
		}
	}
	props := obj.get("properties")
	if props == nil || props.kind != 'o' {
		return nil
	}
	for _, m := range props.members {
		p := resolveLocal(root, m.value)
		segs := append(append([]string{}, prefix...), m.key)
		typ := schemaType(p)
		if typ == "object" || (typ == "" && p.get("properties") != nil) {
			if err := walkObject(root, p, segs, out, depth+1); err != nil {
				return err
			}
			continue
		}
		f := TraitField{
			Path:     "traits." + strings.Join(segs, "."),
			Title:    p.get("title").str(),
			Type:     typ,
			Required: required[m.key],
			segments: segs,
		}
		desc := p
		if typ == "array" {
			f.isArray = true
			if items := resolveLocal(root, p.get("items")); items != nil {
				desc = items
			}
		}
		f.Format = desc.get("format").str()
		f.Pattern = desc.get("pattern").str()
		if n, ok := desc.get("minLength").number(); ok {
			f.MinLength = int(n)
		}
		if n, ok := desc.get("maxLength").number(); ok {
			f.MaxLength = int(n)
		}
		ext := desc.get(ExtensionKey)
		if ext == nil {
			ext = p.get(ExtensionKey)
		}
		if ext != nil {
			if err := json.Unmarshal(ext.raw(), &f.Extension); err != nil {
				return fmt.Errorf("property %s: invalid %q extension: %w", f.Path, ExtensionKey, err)
			}
		}
		e := f.Extension
		f.IsPasswordIdentifier = e.Credentials.Password.Identifier
		f.IsWebAuthnIdentifier = e.Credentials.WebAuthn.Identifier
		f.IsPasskeyDisplayName = e.Credentials.Passkey.DisplayName
		f.IsTOTPAccountName = e.Credentials.TOTP.AccountName
		f.IsCodeIdentifier = e.Credentials.Code.Identifier
		f.VerificationVia = e.Verification.Via
		f.RecoveryVia = e.Recovery.Via
		*out = append(*out, f)
	}
	return nil
}

// schemaType reads "type", taking the first non-null entry of a type list.
func schemaType(p *node) string {
	t := p.get("type")
	if t == nil {
		return ""
	}
	if t.kind == 'a' {
		for _, it := range t.items {
			if s := it.str(); s != "null" {
				return s
			}
		}
		return ""
	}
	return t.str()
}
