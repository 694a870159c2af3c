package config

import (
	"fmt"
	"strconv"
	"strings"
)

// ByteSize is a size in bytes, written in YAML as "128MB", "64KiB", "1GB" or a plain byte count.
// Units are powers of 1024, as Kratos reads them.
type ByteSize uint64

// KiB returns the size in KiB, the unit argon2 takes.
func (b ByteSize) KiB() uint64 { return uint64(b) / 1024 }

func (b ByteSize) String() string {
	switch {
	case b != 0 && b%(1<<30) == 0:
		return fmt.Sprintf("%dGB", b>>30)
	case b != 0 && b%(1<<20) == 0:
		return fmt.Sprintf("%dMB", b>>20)
	case b != 0 && b%(1<<10) == 0:
		return fmt.Sprintf("%dKB", b>>10)
	}
	return fmt.Sprintf("%dB", uint64(b))
}

// ParseByteSize reads a size like "128MB".
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToUpper(strings.TrimSpace(t[i:]))
	n, err := strconv.ParseFloat(num, 64)
	if num == "" || err != nil || n < 0 {
		return 0, fmt.Errorf("must be a size like \"128MB\", got %q", s)
	}
	mult := map[string]float64{
		"": 1, "B": 1,
		"K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10,
		"M": 1 << 20, "MB": 1 << 20, "MIB": 1 << 20,
		"G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30,
		"T": 1 << 40, "TB": 1 << 40, "TIB": 1 << 40,
	}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("must be a size like \"128MB\", got %q", s)
	}
	return ByteSize(n * mult), nil
}
