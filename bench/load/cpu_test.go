package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"plain", "4242 (portico) S 1 4242 4242 0 -1 4194560 1200 0 0 0 150 37 0 0 20 0 9 0 100 0 0\n", 1870 * time.Millisecond, false},
		{"name with spaces and parentheses", "7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 5 0 0\n", 70 * time.Millisecond, false},
		{"no name", "4242 portico S 1\n", 0, true},
		{"too short", "4242 (portico) S 1 2 3\n", 0, true},
		{"not a number", "4242 (portico) S 1 4242 4242 0 -1 4194560 1200 0 0 0 x 37 0 0\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestCPUMeterSeesWork measures this process by PID and by command line around a busy loop.
func TestCPUMeterSeesWork(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	m := &cpuMeter{pid: os.Getpid(), dbMatch: filepath.Base(os.Args[0])}
	m.start()
	// Spin until the kernel has charged this process 100 ms of CPU, however long a busy
	// machine takes to give it that (at most 20 s of wall time).
	before, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	x := 0
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		for range 1 << 16 {
			x++
		}
		if now, err := processCPU(os.Getpid()); err != nil || now-before >= 100*time.Millisecond {
			break
		}
	}
	u := m.stop()
	if u.server < 100*time.Millisecond || u.db < 100*time.Millisecond {
		t.Errorf("after 100 ms of CPU by the process's own count (%d loops): server %v, by command line %v", x, u.server, u.db)
	}
	if got := perRequest(u.server, 0); got != "–" {
		t.Errorf("no requests: %q", got)
	}
	if got := perRequest(1500*time.Microsecond, 3); got != "500 µs" {
		t.Errorf("1.5 ms over 3: %q", got)
	}
	none := &cpuMeter{}
	none.start()
	if u := none.stop(); u.server >= 0 || u.db >= 0 {
		t.Errorf("an unconfigured meter measured %+v", u)
	}
}
