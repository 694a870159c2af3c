package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/store/migrations"
	"github.com/portico-auth/portico/internal/testdb"
)

// migrateProcesses is how many `portico migrate up` run at once on one fresh database.
const migrateProcesses = 8

// raceMigrateUp runs migrateProcesses `migrate up` at once against cfg: every one exits 0,
// and between them each migration is applied exactly once.
func raceMigrateUp(t *testing.T, bin, cfg, dialect string) {
	t.Helper()
	type result struct {
		out []byte
		err error
	}
	results := make([]result, migrateProcesses)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out, err := exec.Command(bin, "migrate", "up", "-c", cfg).CombinedOutput()
			results[i] = result{out, err}
		}()
	}
	close(start)
	wg.Wait()
	all, err := migrations.For(dialect)
	if err != nil {
		t.Fatal(err)
	}
	applied := map[string]int{}
	for i, r := range results {
		if r.err != nil {
			t.Errorf("migrate %d: %v\n%s", i, r.err, r.out)
		}
		for _, line := range strings.Split(string(r.out), "\n") {
			if _, name, ok := strings.Cut(line, "applying migration "); ok {
				_, name, _ = strings.Cut(name, ": ")
				applied[name]++
			}
		}
	}
	for _, m := range all {
		if applied[m.Name] != 1 {
			t.Errorf("%s applied %d times", m.Name, applied[m.Name])
		}
	}
	out, err := exec.Command(bin, "migrate", "status", "-c", cfg).CombinedOutput()
	if err != nil || strings.Contains(string(out), "pending") {
		t.Fatalf("status after the race: %v\n%s", err, out)
	}
}

// TestConcurrentMigrateUp: two operators (or a deploy script on N hosts) running `migrate up`
// on one database at once: the others wait for the first and find nothing to do, instead of
// failing with a raw DDL error.
func TestConcurrentMigrateUp(t *testing.T) {
	bin := binary(t)
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		raceMigrateUp(t, bin, writeConfig(t, dir, "sqlite://"+filepath.Join(dir, "race.db"), ""), "sqlite")
	})
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv("PORTICO_TEST_POSTGRES_DSN")
		if base == "" {
			if os.Getenv("CI") == "true" {
				t.Fatal("PORTICO_TEST_POSTGRES_DSN is not set, but CI=true requires the PostgreSQL tests")
			}
			t.Skip("PORTICO_TEST_POSTGRES_DSN not set")
		}
		dir := t.TempDir()
		raceMigrateUp(t, bin, writeConfig(t, dir, testdb.PostgresSchema(t, base), ""), "postgres")
	})
}

// TestMigrateUpGivesUpWhileAnotherRuns: while another process holds the migration lock,
// `migrate up` says it is waiting, and after --lock-timeout stops with one clear line.
func TestMigrateUpGivesUpWhileAnotherRuns(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "held.db")
	cfg := writeConfig(t, dir, "sqlite://"+path, "")
	// Another migration in progress: a write transaction on the database (in WAL mode, as
	// Portico opens it).
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("CREATE TABLE migrating_elsewhere (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "migrate", "up", "--lock-timeout", "1s", "-c", cfg)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("want exit code 1, got %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "waiting for another migration") || strings.Contains(stdout.String(), "applying") {
		t.Fatalf("progress lines:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	line := strings.TrimSpace(stderr.String())
	if strings.Count(line, "\n") != 0 || !strings.HasPrefix(line, "portico: ") || !strings.Contains(line, "another migration is running") {
		t.Fatalf("want one line saying another migration is running, got:\n%s", line)
	}
	// Once the other one has finished, migrate up goes ahead.
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "migrate", "up", "--lock-timeout", "5s", "-c", cfg).CombinedOutput(); err != nil || !strings.Contains(string(out), "applying migration 1") {
		t.Fatalf("migrate after the other finished: %v\n%s", err, out)
	}
}

// TestConcurrentDevServersMigrateOnce: several `serve --dev` started at once on one new SQLite
// file each migrate at start; the lock lets the first migrate and the others wait, so every
// one comes up.
func TestConcurrentDevServersMigrateOnce(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "dev.db")
	const servers = 8
	cmds := make([]*exec.Cmd, servers)
	logs := make([]*syncBuffer, servers)
	ports := make([]int, servers)
	for i := range cmds {
		ports[i] = freePort(t)
		cfg := writeConfigNamed(t, dir, fmt.Sprintf("dev%d", i), dsn, fmt.Sprintf(
			"serve:\n  public:\n    host: 127.0.0.1\n    port: %d\n  admin:\n    port: %d\n", ports[i], freePort(t)))
		cmds[i] = exec.Command(bin, "serve", "--dev", "-c", cfg)
		logs[i] = &syncBuffer{}
		cmds[i].Stderr = logs[i]
	}
	for i, cmd := range cmds {
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmds[i].Process.Kill(); _ = cmds[i].Wait() })
	}
	applied := 0
	for i := range cmds {
		waitReady(t, fmt.Sprintf("http://127.0.0.1:%d/health/ready", ports[i]), logs[i])
		applied += strings.Count(logs[i].String(), "applying migration")
	}
	all, err := migrations.For("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	if applied != len(all) {
		t.Errorf("%d migrations applied between the servers, want %d", applied, len(all))
	}
}
