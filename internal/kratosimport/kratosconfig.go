package kratosimport

import (
	"context"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/portico-auth/portico/internal/schema"
)

// KratosConfig is what the importer reads from Kratos's configuration file.
type KratosConfig struct {
	// DSN is Kratos's database.
	DSN string
	// SchemaURLs are identity.schemas by id.
	SchemaURLs map[string]string
	// SchemaDocs are the documents that could be loaded, by id.
	SchemaDocs map[string][]byte
	// Unloadable says, by id, why a schema document could not be loaded.
	Unloadable map[string]string
	// CookieSecrets are Kratos's secrets.cookie (else secrets.default, as Kratos falls back),
	// which signed its browsers' session cookies.
	CookieSecrets []string
}

// ReadKratosConfig reads Kratos's configuration file (YAML or JSON) for its DSN and identity
// schemas, and loads each schema document the way Kratos would (file://, base64://,
// http(s)://). A schema that cannot be loaded is listed in Unloadable, not an error: the
// import checks identities against Portico's schemas, and Kratos's only serve to compare.
func ReadKratosConfig(ctx context.Context, path string) (*KratosConfig, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read kratos config: %w", err)
	}
	var doc struct {
		DSN     string `yaml:"dsn"`
		Secrets struct {
			Default []string `yaml:"default"`
			Cookie  []string `yaml:"cookie"`
		} `yaml:"secrets"`
		Identity struct {
			Schemas []struct {
				ID  string `yaml:"id"`
				URL string `yaml:"url"`
			} `yaml:"schemas"`
		} `yaml:"identity"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("read kratos config %s: %w", path, err)
	}
	kc := &KratosConfig{DSN: doc.DSN, SchemaURLs: map[string]string{}, SchemaDocs: map[string][]byte{}, Unloadable: map[string]string{},
		CookieSecrets: doc.Secrets.Cookie}
	if len(kc.CookieSecrets) == 0 {
		kc.CookieSecrets = doc.Secrets.Default
	}
	for _, s := range doc.Identity.Schemas {
		if s.ID == "" {
			continue
		}
		kc.SchemaURLs[s.ID] = s.URL
		reg, err := schema.NewRegistry(ctx, []schema.Source{{ID: s.ID, URL: s.URL}}, s.ID, nil)
		if err != nil {
			kc.Unloadable[s.ID] = err.Error()
			continue
		}
		kc.SchemaDocs[s.ID] = reg.Default().Raw
	}
	return kc, nil
}
