package jsonnetbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-jsonnet"

	"github.com/portico-auth/portico/internal/jsonnetbox"
)

func snippet(src string) func(*jsonnet.VM) (string, error) {
	return func(vm *jsonnet.VM) (string, error) { return vm.EvaluateAnonymousSnippet("t.jsonnet", src) }
}

func TestRun(t *testing.T) {
	out, err := jsonnetbox.Run(context.Background(), 0, nil, func(vm *jsonnet.VM) (string, error) {
		vm.TLACode("ctx", `{"a": 2}`)
		return vm.EvaluateAnonymousSnippet("t.jsonnet", `function(ctx) {b: ctx.a * 2}`)
	})
	if err != nil || strings.Join(strings.Fields(out), "") != `{"b":4}` {
		t.Fatalf("Run = %q, %v", out, err)
	}
}

func TestImportsRefused(t *testing.T) {
	for _, src := range []string{`import '/etc/passwd'`, `importstr '/etc/hostname'`, `importbin '/etc/hostname'`} {
		if _, err := jsonnetbox.Run(context.Background(), 0, nil, snippet(src)); err == nil || !strings.Contains(err.Error(), "imports are not allowed") {
			t.Errorf("%s: err = %v, want the import refused", src, err)
		}
	}
}

func TestStackBounded(t *testing.T) {
	src := `local f(n) = if n == 0 then 0 else 1 + f(n - 1); f(1000)`
	if _, err := jsonnetbox.Run(context.Background(), 100, nil, snippet(src)); err == nil || !strings.Contains(err.Error(), "stack") {
		t.Fatalf("err = %v, want a stack overflow at 100 frames", err)
	}
	if _, err := jsonnetbox.Run(context.Background(), 0, nil, snippet(src)); err == nil {
		// go-jsonnet's own default (500 frames) applies when maxStack is 0.
		t.Fatal("1,000 frames passed go-jsonnet's default stack")
	}
}

// TestDeadlineReleasesLater: the caller gets ctx's error at the deadline, and release runs only
// when the evaluation itself has ended.
func TestDeadlineReleasesLater(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	released := make(chan struct{})
	finish := make(chan struct{})
	_, err := jsonnetbox.Run(ctx, 0, func() { close(released) }, func(vm *jsonnet.VM) (string, error) {
		<-finish
		return "{}", nil
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	select {
	case <-released:
		t.Fatal("released before the evaluation ended")
	default:
	}
	close(finish)
	select {
	case <-released:
	case <-time.After(5 * time.Second):
		t.Fatal("never released")
	}
}
