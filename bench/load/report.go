package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// reportInfo is the context printed above the table.
type reportInfo struct {
	title       string
	public      string
	floor       string
	concurrency int
	duration    time.Duration
	identities  int
	hash        string
	serverHWM   int64 // VmHWM of the server at the end, bytes
	floorHWM    int64
	cpu         bool // the server's CPU per request is reported
	dbCPU       bool // and the database processes'
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func mb(b int64) string {
	if b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f MB", float64(b)/(1<<20))
}

// writeReport prints the Markdown table; when a floor result is among results every row also
// gets its ratio to the floor (req/s: higher is better, p99: lower is better).
func writeReport(w io.Writer, info reportInfo, results []result) {
	var floor *result
	for i := range results {
		if results[i].scenario.floor {
			floor = &results[i]
		}
	}
	if info.title != "" {
		fmt.Fprintf(w, "### %s\n\n", info.title)
	}
	fmt.Fprintf(w, "Target %s", info.public)
	if info.floor != "" {
		fmt.Fprintf(w, ", floor %s", info.floor)
	}
	fmt.Fprintf(w, "; %d concurrent clients, %s per scenario, %d identities", info.concurrency, info.duration, info.identities)
	if info.hash != "" {
		fmt.Fprintf(w, "; password hashing: %s", info.hash)
	}
	fmt.Fprint(w, ".\n\n")

	cols := []string{"scenario", "requests", "req/s", "p50", "p90", "p99", "errors", "peak RSS"}
	if floor != nil {
		cols = append(cols, "req/s ÷ floor", "p99 ÷ floor")
	}
	if info.cpu {
		cols = append(cols, "server CPU/req")
	}
	if info.dbCPU {
		cols = append(cols, "database CPU/req")
	}
	fmt.Fprintf(w, "| %s |\n", strings.Join(cols, " | "))
	fmt.Fprintf(w, "|%s\n", strings.Repeat(" --- |", len(cols)))
	for _, r := range results {
		p99 := percentile(r.latencies, 99)
		row := []string{
			r.scenario.name, fmt.Sprint(r.requests), fmt.Sprintf("%.0f", r.rate()),
			ms(percentile(r.latencies, 50)), ms(percentile(r.latencies, 90)), ms(p99),
			fmt.Sprint(r.errors), mb(r.peakRSS),
		}
		if floor != nil {
			row = append(row, ratio(r.rate(), floor.rate()), ratio(float64(p99), float64(percentile(floor.latencies, 99))))
		}
		if info.cpu {
			row = append(row, perRequest(r.cpu.server, r.requests))
		}
		if info.dbCPU {
			row = append(row, perRequest(r.cpu.db, r.requests))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
	fmt.Fprintln(w)
	if info.serverHWM > 0 {
		fmt.Fprintf(w, "Server peak RSS since start (VmHWM, includes setup): %s.\n", mb(info.serverHWM))
	}
	if info.floorHWM > 0 {
		fmt.Fprintf(w, "Floor peak RSS since start (VmHWM): %s.\n", mb(info.floorHWM))
	}
	if info.cpu {
		fmt.Fprint(w, "CPU/req: user + system CPU time of the timed part over its requests (10 ms ticks), the server's (the floor's on its row)")
		if info.dbCPU {
			fmt.Fprint(w, " and that of the PostgreSQL backends serving Portico, which share this machine's cores with it")
		}
		fmt.Fprint(w, ".\n")
	}
	fmt.Fprintln(w)
	for _, r := range results {
		fmt.Fprintf(w, "- **%s** (expects %d): %s\n", r.scenario.name, r.scenario.want, r.scenario.note)
		for _, e := range r.firstErrors {
			fmt.Fprintf(w, "  - unexpected: %s\n", e)
		}
	}
}

func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", a/b)
}
