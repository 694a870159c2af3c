package hash

import (
	"context"
	"testing"
)

var benchPassword = []byte("correct horse battery staple")

// eachAlgorithm runs f as a sub-benchmark per algorithm with its hasher at the production
// defaults (bcrypt cost 12, argon2id 128 MiB) and that hasher's hash of benchPassword, so the
// benchmarks show what one login costs on this machine.
func eachAlgorithm(b *testing.B, f func(b *testing.B, h *Hasher, stored string)) {
	for _, alg := range []string{AlgorithmBcrypt, AlgorithmArgon2} {
		b.Run(alg, func(b *testing.B) {
			h := New(Options{Algorithm: alg})
			stored, err := h.Hash(context.Background(), benchPassword)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			f(b, h, stored)
		})
	}
}

func BenchmarkHash(b *testing.B) {
	eachAlgorithm(b, func(b *testing.B, h *Hasher, _ string) {
		for b.Loop() {
			if _, err := h.Hash(context.Background(), benchPassword); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkCompare(b *testing.B) {
	eachAlgorithm(b, func(b *testing.B, h *Hasher, stored string) {
		for b.Loop() {
			if err := h.Compare(context.Background(), benchPassword, stored); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCompareParallel is the configured hasher alone at GOMAXPROCS parallelism, through
// the hashing limit as a login uses it: hashes/s is the most password logins per second this
// machine can answer with that configuration, the ceiling BenchmarkPasswordLogin
// (internal/flow/login) is measured against.
func BenchmarkCompareParallel(b *testing.B) {
	eachAlgorithm(b, func(b *testing.B, h *Hasher, stored string) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := h.Compare(context.Background(), benchPassword, stored); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
	})
}
