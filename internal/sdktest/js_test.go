package sdktest_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest"
)

// jsDir holds the script and the npm manifest pinning @ory/client (package-lock.json).
const jsDir = "testdata/js"

// TestJourneysThroughJavaScriptSDK runs testdata/js/journeys.js under Node against a whole
// Portico: a native app using Ory's JavaScript SDK signs up and verifies its address, forgets
// its password and recovers by code, sets a new one in settings and signs in with it, then
// signs in by code; a second person signs up by code. Every code comes from the real message
// that arrived at the in-process SMTP server; the test reads it and hands it to the script.
//
// Without node or npm the test is skipped, unless CI=true, where it fails. The SDK is
// installed once with `npm ci` into the user's cache folder, keyed by the lock file.
func TestJourneysThroughJavaScriptSDK(t *testing.T) {
	node, script := installSDK(t)
	s := apptest.Start(t, apptest.WithConfig(apptest.ShowVerificationUI),
		apptest.WithEnv("SELFSERVICE_METHODS_CODE_PASSWORDLESS_ENABLED", "true"),
		apptest.WithEnv("SELFSERVICE_FLOWS_VERIFICATION_ENABLED", "true"),
		apptest.WithEnv("SELFSERVICE_FLOWS_RECOVERY_ENABLED", "true"))
	mail := s.StartMail(t)
	email, codeEmail := apptest.Email("jssdk"), apptest.Email("jssdk-code")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = filepath.Dir(script)
	cmd.Env = append(os.Environ(), "PORTICO_URL="+s.Public.URL, "PORTICO_EMAIL="+email, "PORTICO_EMAIL_CODE="+codeEmail)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var passed []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "code "):
			to := strings.TrimPrefix(line, "code ")
			if to != email && to != codeEmail {
				t.Errorf("the script asks for a code to %q, the journeys' addresses are %q and %q", to, email, codeEmail)
			}
			if _, err := io.WriteString(stdin, mail.Code(t, to)+"\n"); err != nil {
				t.Fatalf("write the code to the script: %v", err)
			}
		case strings.HasPrefix(line, "ok "):
			passed = append(passed, strings.TrimPrefix(line, "ok "))
			t.Log(line)
		default:
			t.Log("journeys.js: " + line)
		}
	}
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("journeys.js: %v (passed: %q)\n%s", err, passed, stderr.String())
	}
	want := []string{"sign-up and verification", "recovery, settings and sign-in", "sign-in by code", "sign-up by code"}
	if strings.Join(passed, "|") != strings.Join(want, "|") {
		t.Fatalf("journeys passed %q, want %q", passed, want)
	}
}

// installSDK returns node's path and a copy of journeys.js beside a node_modules installed by `npm ci` from the lock file. The install is kept in the user's cache folder
// under the lock file's hash, built in a temporary folder and renamed into place, so an
// interrupted install is never used.
func installSDK(t *testing.T) (node, script string) {
	t.Helper()
	node, nerr := exec.LookPath("node")
	npm, perr := exec.LookPath("npm")
	if err := errors.Join(nerr, perr); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the JavaScript SDK journeys need node and npm: %v", err)
		}
		t.Skipf("skipped: the JavaScript SDK journeys need node and npm (%v); CI=true fails instead", err)
	}
	lock, err := os.ReadFile(filepath.Join(jsDir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := os.ReadFile(filepath.Join(jsDir, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(append(append([]byte{}, manifest...), lock...))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	root := filepath.Join(cache, "portico", "jssdk")
	dir := filepath.Join(root, hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@ory", "client", "package.json")); err != nil {
		if err := os.MkdirAll(root, 0o755); err != nil {
			t.Fatal(err)
		}
		tmp, err := os.MkdirTemp(root, "install-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		for name, b := range map[string][]byte{"package.json": manifest, "package-lock.json": lock} {
			if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
		cmd.Dir = tmp
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci (the @ory/client pinned in %s/package-lock.json): %v\n%s", jsDir, err, out)
		}
		// Another run may have finished the same install meanwhile: theirs is as good.
		if err := os.Rename(tmp, dir); err != nil && !exists(dir) {
			t.Fatal(err)
		}
	}
	src, err := os.ReadFile(filepath.Join(jsDir, "journeys.js"))
	if err != nil {
		t.Fatal(err)
	}
	// The script is copied beside node_modules on every run, so an edit needs no new install.
	// Its own name per test process keeps two runs from writing the same file.
	run := filepath.Join(dir, fmt.Sprintf("journeys-%d.js", os.Getpid()))
	if err := os.WriteFile(run, src, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Remove(run) })
	return node, run
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
