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

// BenchmarkCompareParallel is the configured hasher alone at GOMAXPROCS parallelism, through
// the hashing limit as a login uses it: hashes/s is the most password logins per second this
// machine can answer with that configuration, the ceiling BenchmarkPasswordLogin
// (internal/flow/login) is measured against.
func BenchmarkCompareParallel(b *testing.B) {
	for _, alg := range []string{AlgorithmBcrypt, AlgorithmArgon2} {
		b.Run(alg, func(b *testing.B) {
			h := New(Options{Algorithm: alg})
			ctx := context.Background()
			stored, err := h.Hash(ctx, []byte("correct horse battery staple"))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := h.Compare(ctx, []byte("correct horse battery staple"), stored); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
		})
	}
}
