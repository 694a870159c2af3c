// Package migrations holds Portico's database schema as versioned SQL files, one directory per
// dialect (sqlite, postgres, mysql), embedded in the binary. Files are applied in name order;
// a file's name (without ".sql") is its version and is recorded once applied.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed sqlite/*.sql postgres/*.sql mysql/*.sql
var files embed.FS

// Migration is one versioned schema change.
type Migration struct {
	// Name is the file name without ".sql", e.g. "0001_initial".
	Name string
	// Statements are the file's SQL statements, in order, without trailing semicolons.
	Statements []string
}

// For returns the migrations of a dialect ("sqlite", "postgres" or "mysql") in order.
func For(dialect string) ([]Migration, error) {
	entries, err := fs.ReadDir(files, dialect)
	if err != nil {
		return nil, fmt.Errorf("read migrations of dialect %q: %w", dialect, err)
	}
	var out []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		b, err := files.ReadFile(path.Join(dialect, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		out = append(out, Migration{Name: strings.TrimSuffix(e.Name(), ".sql"), Statements: Split(string(b))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Split cuts a SQL file into statements at semicolons that end a line. Lines starting with
// "--" are dropped. The files are ours, so this deliberately simple rule is enough: no
// statement may end a line with a semicolon inside a string literal.
func Split(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(t, ";") {
			s := strings.TrimSpace(cur.String())
			s = strings.TrimSpace(strings.TrimSuffix(s, ";"))
			if s != "" {
				out = append(out, s)
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
