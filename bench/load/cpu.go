package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Where the CPU of a run goes. On a machine that runs the load generator, the server and its
// database together, req/s says how the three shared the cores, not what one request costs
// the server. The report therefore also gives, per request of the timed part, the CPU time
// (user + system) the server process used and, for PostgreSQL, the CPU time of the database's
// backend processes serving it: the part a deployment with its database on another machine
// would not pay on the server's cores.

// clockTick is the unit of utime and stime in /proc/<pid>/stat: USER_HZ, 100 on every Linux
// build (the kernel scales its internal clock to it for user space).
const clockTick = 10 * time.Millisecond

// parseStatCPU reads utime + stime from a /proc/<pid>/stat document. The second field (the
// command name, in parentheses) may itself hold spaces and parentheses, so the fields are
// counted from the last ')'.
func parseStatCPU(doc []byte) (time.Duration, error) {
	end := bytes.LastIndexByte(doc, ')')
	if end < 0 {
		return 0, fmt.Errorf("no command name")
	}
	// After ") " come field 3 (state) onwards; utime and stime are fields 14 and 15.
	f := strings.Fields(string(doc[end+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields after the command name", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad tick count %q", s)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}

// processCPU is the CPU time pid has used so far.
func processCPU(pid int) (time.Duration, error) {
	doc, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(doc)
}

// matchingCPU is the CPU time used so far by each process whose command line contains match
// (PostgreSQL's backends show "postgres: USER DATABASE HOST(PORT) STATE"), by PID.
func matchingCPU(match string) map[int]time.Duration {
	out := map[int]time.Duration{}
	if match == "" {
		return out
	}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(d + "/cmdline")
		if err != nil || !strings.Contains(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})), match) {
			continue
		}
		if t, err := processCPU(pid); err == nil {
			out[pid] = t
		}
	}
	return out
}

// cpuMeter takes the CPU readings before and after a scenario's timed part.
type cpuMeter struct {
	pid     int    // the server; 0: not measured
	dbMatch string // command-line text of the database's processes; "": not measured

	server0 time.Duration
	db0     map[int]time.Duration
}

// cpuUse is the CPU time a timed part used; a negative field was not measured.
type cpuUse struct{ server, db time.Duration }

func (m *cpuMeter) start() {
	m.server0 = -1
	if m.pid > 0 {
		if t, err := processCPU(m.pid); err == nil {
			m.server0 = t
		}
	}
	m.db0 = matchingCPU(m.dbMatch)
}

// stop returns the CPU used since start. A database process that started meanwhile counts
// from zero; one that ended meanwhile is lost (a connection pool keeps its connections).
func (m *cpuMeter) stop() cpuUse {
	u := cpuUse{server: -1, db: -1}
	if m.server0 >= 0 {
		if t, err := processCPU(m.pid); err == nil {
			u.server = t - m.server0
		}
	}
	if m.dbMatch != "" {
		u.db = 0
		for pid, t := range matchingCPU(m.dbMatch) {
			u.db += t - m.db0[pid]
		}
	}
	return u
}

// perRequest formats d spread over n requests in microseconds ("–" when unknown).
func perRequest(d time.Duration, n int) string {
	if d < 0 || n == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)/float64(n))
}
