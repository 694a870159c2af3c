package login_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// TestLoginLogsThroughInjectedLogger: a successful login is logged at Debug through the
// server's logger, never through slog's default logger.
func TestLoginLogsThroughInjectedLogger(t *testing.T) {
	var def bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&def, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(prev) })

	for _, tc := range []struct {
		name  string
		level slog.Level
		want  bool
	}{
		{"debug", slog.LevelDebug, true},
		{"info", slog.LevelInfo, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var injected bytes.Buffer
			def.Reset()
			log := slog.New(slog.NewTextHandler(&injected, &slog.HandlerOptions{Level: tc.level}))
			s := apptest.Start(t, apptest.WithLogger(log))
			s.CreateIdentity(t, email, pw)
			if tok := s.LoginNative(t, email, pw); tok == "" {
				t.Fatal("no session token")
			}
			got := injected.String()
			if has := strings.Contains(got, "login succeeded"); has != tc.want {
				t.Errorf("injected logger at %s: login line present = %v, want %v\n%s", tc.level, has, tc.want, got)
			}
			if tc.want && !strings.Contains(got, "level=DEBUG") {
				t.Errorf("login line not at debug level:\n%s", got)
			}
			if def.Len() > 0 {
				t.Errorf("default logger was used:\n%s", def.String())
			}
		})
	}
}
