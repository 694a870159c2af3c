package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/config"
	"github.com/portico-auth/portico/internal/courier"
	"github.com/portico-auth/portico/internal/courier/couriertest"
	"github.com/portico-auth/portico/internal/server"
	"github.com/portico-auth/portico/internal/store/sqlstore"
)

// TestCourierWatch runs `portico courier watch --dev` as its own process beside a database a
// server queued a message in: the mail arrives, the log names the message's type and
// recipient but never its code, and SIGTERM stops the process cleanly.
func TestCourierWatch(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	box := couriertest.Start(t, couriertest.Options{})
	cfgPath := writeConfig(t, dir, "sqlite://"+filepath.Join(dir, "p.db")+"?_fk=true",
		fmt.Sprintf("courier:\n  smtp:\n    connection_uri: %q\n    from_address: accounts@portico.test\n  worker:\n    pull_wait: 50ms\n", box.URI()))
	if out, err := exec.Command(bin, "migrate", "sql", "-e", "--yes", "-c", cfgPath).CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}

	// Queue a message the way serve does, with the same configuration.
	ctx := context.Background()
	cfg, _, err := config.Load(cfgPath, config.LoadOptions{Env: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.Open(ctx, cfg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	q, _, err := server.NewCourier(ctx, cfg, st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(ctx, courier.Request{Template: courier.LoginCodeValid, To: "ann@example.com",
		Data: courier.TemplateData{LoginCode: "731905"}}); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(bin, "courier", "watch", "--dev", "-c", cfgPath)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	mail := box.WaitFor("ann@example.com", 30*time.Second)
	if mail.Subject != "Your sign-in code" || !strings.Contains(mail.Text, "731905") {
		t.Fatalf("mail = %s: %q", mail, mail.Text)
	}
	stopCleanly(t, cmd, "courier watch", &stderr)
	log := stderr.String()
	if !strings.Contains(log, "message sent") || !strings.Contains(log, "template_type=login_code_valid") ||
		!strings.Contains(log, "recipient=ann@example.com") || strings.Contains(log, "731905") {
		t.Fatalf("log:\n%s", log)
	}
}

// TestCourierNeedsAChannel: watching without any channel is one clear line and exit code 1,
// for `courier watch` and for `serve --watch-courier`.
func TestCourierNeedsAChannel(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "sqlite://"+filepath.Join(dir, "p.db")+"?_fk=true",
		fmt.Sprintf("serve:\n  public:\n    port: %d\n  admin:\n    port: %d\n", freePort(t), freePort(t)))
	if out, err := exec.Command(bin, "migrate", "sql", "-e", "--yes", "-c", cfg).CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"courier", "watch", "-c", cfg}, {"serve", "--watch-courier", "-c", cfg}} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
		cancel()
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		last := lines[len(lines)-1]
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(last, "courier.smtp.connection_uri") ||
			strings.Contains(string(out), "goroutine") {
			t.Errorf("%v: %v\n%s", args, err, out)
		}
	}
}
