package hash

import (
	"context"
	"testing"
)

// The benchmarks run at the production defaults (bcrypt cost 12, argon2id 128 MiB), so they show
// what one login costs on this machine.
func BenchmarkHash(b *testing.B) {
	for _, alg := range []string{AlgorithmBcrypt, AlgorithmArgon2} {
		b.Run(alg, func(b *testing.B) {
			h := New(Options{Algorithm: alg})
			ctx := context.Background()
			for b.Loop() {
				if _, err := h.Hash(ctx, []byte("correct horse battery staple")); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCompare(b *testing.B) {
	for _, alg := range []string{AlgorithmBcrypt, AlgorithmArgon2} {
		b.Run(alg, func(b *testing.B) {
			h := New(Options{Algorithm: alg})
			ctx := context.Background()
			stored, err := h.Hash(ctx, []byte("correct horse battery staple"))
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := h.Compare(ctx, []byte("correct horse battery staple"), stored); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
