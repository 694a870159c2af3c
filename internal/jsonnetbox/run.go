package jsonnetbox

import (
	"context"
	"fmt"

	"github.com/google/go-jsonnet"
)

// Run evaluates a program in a new VM set up by eval (which adds the program's inputs and
// calls one of the VM's Evaluate methods). The VM refuses every import, and its stack is
// maxStack frames when maxStack > 0. release, when not nil, is called once the evaluation has
// ended, whether or not Run still waits for it.
//
// Run returns ctx's error when ctx is done first. go-jsonnet cannot be interrupted, so the
// evaluation then runs on to its end and its result is dropped; a caller that must bound how
// many run at once holds a slot that release gives back.
func Run(ctx context.Context, maxStack int, release func(), eval func(*jsonnet.VM) (string, error)) (string, error) {
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	go func() {
		if release != nil {
			defer release()
		}
		vm := jsonnet.MakeVM()
		if maxStack > 0 {
			vm.MaxStack = maxStack
		}
		vm.Importer(noImports{})
		out, err := eval(vm)
		done <- result{out, err}
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case r := <-done:
		return r.out, r.err
	}
}

// noImports refuses every import and importstr: a boxed program reads only what it is given.
type noImports struct{}

func (noImports) Import(_, path string) (jsonnet.Contents, string, error) {
	return jsonnet.Contents{}, "", fmt.Errorf("imports are not allowed (%q)", path)
}
