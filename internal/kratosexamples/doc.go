// Package kratosexamples holds replies recorded from Ory Kratos (see recorded/README.md), embedded so
// that the comparisons against them run in any clone: a missing file is a build error, never a
// skipped test. Only tests import it.
package kratosexamples
