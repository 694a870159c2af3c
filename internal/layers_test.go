package internal_test

import (
	"bufio"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// layers are the rows of docs/ARCHITECTURE.md's layer table, top first, each with the package
// paths (relative to the module) it holds: a path ending in "/" holds everything below it, any
// other path exactly that package. A package belongs to the row of its longest match.
var layers = []struct {
	name  string
	paths []string
}{
	{"binary and tools", []string{"cmd/", "bench/"}},
	{"tests only (whole servers)", []string{"internal/apptest/", "internal/apptest", "internal/sdktest", "internal/browsertest"}},
	{"assembly", []string{"internal/server", "internal/kratosimport/", "internal/kratosimport"}},
	{"methods", []string{"internal/method/"}},
	{"HTTP endpoints", []string{"internal/flow/", "internal/sessionapi", "internal/admin", "internal/schemaapi", "internal/ui"}},
	{"flow machinery and the services flows call", []string{"internal/flow", "internal/flow/form", "internal/session/sessionhttp", "internal/courier/", "internal/courier", "internal/onetime", "internal/webhook", "internal/audit/audithttp"}},
	{"configuration", []string{"internal/config"}},
	{"storage", []string{"internal/store/", "internal/store"}},
	{"domain", []string{"internal/identity", "internal/session", "internal/schema", "internal/hash", "internal/throttle", "internal/seal", "internal/audit"}},
	{"support", []string{"internal/httpx", "internal/clientaddr", "internal/cleanup", "internal/version", "internal/text", "internal/apierr", "internal/testdb", "internal/kratosexamples", "internal/urlsource", "internal/retry", "internal/jsonnetbox"}},
}

// layerOf returns the row index of pkg (a module-relative path), or -1.
func layerOf(pkg string) int {
	best, row := -1, -1
	for i, l := range layers {
		for _, p := range l.paths {
			match := pkg == p || (strings.HasSuffix(p, "/") && strings.HasPrefix(pkg, p))
			if match && len(p) > best {
				best, row = len(p), i
			}
		}
	}
	return row
}

// TestImportsRunDownward fails when a package's non-test code imports a package of a row above
// its own in the layer table (an upward arrow), or when a package belongs to no row: a new
// package is placed in the table here and in docs/ARCHITECTURE.md. Tests (_test.go files) may
// import anything, which is how a lower package's tests drive a whole server through apptest.
func TestImportsRunDownward(t *testing.T) {
	imports := moduleImports(t)
	for pkg, deps := range imports {
		from := layerOf(pkg)
		if from < 0 {
			t.Errorf("package %s is in no layer: add it to the layer table (internal/layers_test.go and docs/ARCHITECTURE.md)", pkg)
			continue
		}
		for dep := range deps {
			to := layerOf(dep)
			if to >= 0 && to < from {
				t.Errorf("%s (%s) imports %s (%s), a layer above it", pkg, layers[from].name, dep, layers[to].name)
			}
		}
	}
}

// configReaders are the rows whose packages may read internal/config: the binary, the
// assembly and the whole-server tests. Flows, methods and everything below are handed their
// options by internal/server, so that one place maps configuration keys to behaviour.
var configReaders = map[string]bool{"binary and tools": true, "tests only (whole servers)": true, "assembly": true}

// TestOnlyAssemblyReadsConfig fails when a package outside configReaders imports
// internal/config.
func TestOnlyAssemblyReadsConfig(t *testing.T) {
	for pkg, deps := range moduleImports(t) {
		if row := layerOf(pkg); deps["internal/config"] && row >= 0 && !configReaders[layers[row].name] {
			t.Errorf("%s (%s) imports internal/config: build its options in internal/server instead", pkg, layers[row].name)
		}
	}
}

// TestLayerOf pins the longest-match rule the table relies on.
func TestLayerOf(t *testing.T) {
	for pkg, want := range map[string]string{
		"internal/flow":                "flow machinery and the services flows call",
		"internal/flow/form":           "flow machinery and the services flows call",
		"internal/flow/login":          "HTTP endpoints",
		"internal/flow/recovery":       "HTTP endpoints",
		"internal/apptest/mfatest":     "tests only (whole servers)",
		"internal/method/webauthn":     "methods",
		"internal/store/sqlstore":      "storage",
		"internal/session":             "domain",
		"internal/session/sessionhttp": "flow machinery and the services flows call",
		"internal/sessionapi":          "HTTP endpoints",
		"cmd/portico":                  "binary and tools",
		"internal/method/totp/qrcode":  "methods",
		"internal/store/migrations":    "storage",
	} {
		row := layerOf(pkg)
		if row < 0 || layers[row].name != want {
			got := "none"
			if row >= 0 {
				got = layers[row].name
			}
			t.Errorf("layerOf(%s) = %s, want %s", pkg, got, want)
		}
	}
	if layerOf("internal/unknown") != -1 || layerOf("internal/flowx") != -1 {
		t.Error("a package outside every row must be in no layer")
	}
}

// moduleImports maps each package of the module (a module-relative path) to the module
// packages its non-test code imports.
func moduleImports(t *testing.T) map[string]map[string]bool {
	t.Helper()
	module := modulePath(t, filepath.Join("..", "go.mod"))
	imports := map[string]map[string]bool{} // package -> module packages its non-test code imports
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != ".." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel("..", filepath.Dir(p))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		if imports[pkg] == nil {
			imports[pkg] = map[string]bool{}
		}
		for _, spec := range f.Imports {
			ip, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return err
			}
			if dep, ok := strings.CutPrefix(ip, module+"/"); ok {
				imports[pkg][dep] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(imports["internal/server"]) == 0 {
		t.Fatalf("found no imports of internal/server under %s: the walk is broken", module)
	}
	return imports
}

func modulePath(t *testing.T, goMod string) string {
	t.Helper()
	f, err := os.Open(goMod)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.TrimSpace(m)
		}
	}
	t.Fatalf("%s: no module line", goMod)
	return ""
}
