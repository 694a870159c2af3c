// Package jsonnetbox runs a Jsonnet program in a box: a fresh VM that can import nothing (no
// files, no environment), with a bounded stack, in a goroutine of its own so that the caller
// stops waiting at its context's deadline. Courier bodies, web hook bodies and claims mappers
// all evaluate operator-written Jsonnet this way.
package jsonnetbox
