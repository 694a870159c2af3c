package migrations

import (
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	got := Split("-- comment\nCREATE TABLE a (\n  x INT\n);\n\nCREATE INDEX i ON a (x);\nSELECT 1")
	want := []string{"CREATE TABLE a (\n  x INT\n)", "CREATE INDEX i ON a (x)", "SELECT 1"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Split = %q, want %q", got, want)
	}
}

func TestEveryDialectLoads(t *testing.T) {
	for _, d := range []string{"sqlite", "postgres", "mysql"} {
		ms, err := For(d)
		if err != nil || len(ms) == 0 || ms[0].Name != "0001_initial" || len(ms[0].Statements) < 10 {
			t.Errorf("%s: %d migrations, %v", d, len(ms), err)
		}
	}
	if _, err := For("oracle"); err == nil {
		t.Error("unknown dialect loaded")
	}
}
