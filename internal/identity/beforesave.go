package identity

import "context"

// BeforeSave may change or refuse an identity that a self-service flow is about to store:
// the flow's web hooks that can interrupt it or set its traits and metadata. It runs in
// Manager.Create and Manager.Update before the identity is validated and before any
// transaction is opened, so a refusal (its error is returned as it is) leaves nothing written
// and a change is validated like the submitted values.
type BeforeSave func(ctx context.Context, id *Identity) error

type beforeSaveKey struct{}

// WithBeforeSave returns ctx carrying fn: the identity a flow stores with ctx passes fn first.
// Only flows set it; the admin API and imports never run a flow's hooks. A BeforeSave ctx
// already carries runs first, and fn only when it let the identity through.
func WithBeforeSave(ctx context.Context, fn BeforeSave) context.Context {
	if prev, ok := ctx.Value(beforeSaveKey{}).(BeforeSave); ok && prev != nil {
		next := fn
		fn = func(ctx context.Context, id *Identity) error {
			if err := prev(ctx, id); err != nil {
				return err
			}
			return next(ctx, id)
		}
	}
	return context.WithValue(ctx, beforeSaveKey{}, fn)
}

// runBeforeSave runs the BeforeSave ctx carries, if any.
func runBeforeSave(ctx context.Context, id *Identity) error {
	if fn, ok := ctx.Value(beforeSaveKey{}).(BeforeSave); ok && fn != nil {
		return fn(ctx, id)
	}
	return nil
}
