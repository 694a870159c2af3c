package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memStatus is the memory a process holds, from /proc/<pid>/status.
type memStatus struct {
	rss, hwm int64 // VmRSS and VmHWM (peak RSS since start), bytes
}

// parseStatus reads VmRSS and VmHWM (in kB) from a /proc/<pid>/status document.
func parseStatus(r io.Reader) (memStatus, error) {
	var m memStatus
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(val)
		if len(f) == 0 {
			continue
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return m, fmt.Errorf("parse %s: %w", key, err)
		}
		if key == "VmRSS" {
			m.rss = kb * 1024
		} else {
			m.hwm = kb * 1024
		}
	}
	if err := sc.Err(); err != nil {
		return m, err
	}
	if m.rss == 0 && m.hwm == 0 {
		return m, fmt.Errorf("no VmRSS/VmHWM lines")
	}
	return m, nil
}

func readStatus(pid int) (memStatus, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memStatus{}, err
	}
	defer f.Close()
	return parseStatus(f)
}

// rssSampler records the highest VmRSS seen while it runs.
type rssSampler struct {
	pid  int
	mu   sync.Mutex
	peak int64
	err  error
}

// sample polls every interval until ctx is done.
func (s *rssSampler) sample(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		m, err := readStatus(s.pid)
		s.mu.Lock()
		if err != nil && s.err == nil {
			s.err = err
		}
		s.peak = max(s.peak, m.rss)
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// during runs f while sampling and returns the peak VmRSS seen (0 when pid ≤ 0).
func peakDuring(pid int, f func()) (int64, error) {
	if pid <= 0 {
		f()
		return 0, nil
	}
	s := &rssSampler{pid: pid}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.sample(ctx, 50*time.Millisecond); close(done) }()
	f()
	cancel()
	<-done
	return s.peak, s.err
}
