// Package webhook is Kratos's web_hook action: a call to the operator's app before or after a
// self-service flow, its body rendered from a Jsonnet template of the flow's context. A hook
// that is waited for may refuse the flow with messages for its fields (can_interrupt, or a
// refusal under response.parse) or, with response.parse, change the identity's traits and
// metadata before it is stored; a hook whose response is ignored is sent in the background
// after the flow's change is stored. Every step is bounded: the template's time, stack and
// output, each attempt's time, the number of attempts, the size of the reply read, the
// background calls in flight; redirects are not followed.
//
// The package speaks HTTP and Jsonnet only; the flows decide when a hook runs (see
// flow.Hooks).
package webhook
