package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest"
)

func TestLoopbackURL(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"http://127.0.0.1:4433", "http://127.0.0.1:4433", true},
		{"http://127.0.0.1:4433/", "http://127.0.0.1:4433", true},
		{"https://localhost:4433", "https://localhost:4433", true},
		{"http://[::1]:4433", "http://[::1]:4433", true},
		{"http://127.8.9.10", "http://127.8.9.10", true},
		{"http://10.0.0.1:4433", "", false},
		{"http://example.com", "", false},
		{"ftp://127.0.0.1", "", false},
		{"127.0.0.1:4433", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := loopbackURL(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok %v", err, tt.ok)
			}
			if tt.ok && u.String() != tt.want {
				t.Errorf("got %s, want %s", u, tt.want)
			}
		})
	}
}

func TestCookies(t *testing.T) {
	c := cookies{}
	h := http.Header{}
	h.Add("Set-Cookie", "csrf_token_x=abc; Path=/; HttpOnly; Secure")
	h.Add("Set-Cookie", "ory_kratos_session=tok; Path=/; HttpOnly; Secure; SameSite=Lax")
	c.take(h)
	if got := c.header(); got != "csrf_token_x=abc; ory_kratos_session=tok" {
		t.Fatalf("header %q", got)
	}
	c.take(http.Header{"Set-Cookie": {"ory_kratos_session=; Max-Age=0"}})
	if got := c.header(); got != "csrf_token_x=abc" {
		t.Fatalf("after clearing: %q", got)
	}
}

func TestPercentile(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		out := make([]time.Duration, len(n))
		for i, v := range n {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"median of odd", ms(1, 2, 3), 50, 2 * time.Millisecond},
		{"p50 of 1..100", ms(hundred...), 50, 50 * time.Millisecond},
		{"p90 of 1..100", ms(hundred...), 90, 90 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p100", ms(hundred...), 100, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    memStatus
		wantErr bool
	}{
		{"both", "Name:\tportico\nVmHWM:\t  61440 kB\nVmRSS:\t   40960 kB\nThreads:\t9\n", memStatus{rss: 40 << 20, hwm: 60 << 20}, false},
		{"kernel thread", "Name:\tkthreadd\nThreads:\t1\n", memStatus{}, true},
		{"garbage", "VmRSS:\tlots kB\n", memStatus{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatus(strings.NewReader(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if !tt.wantErr && got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	if _, err := os.Stat("/proc/self/status"); err == nil {
		peak, err := peakDuring(os.Getpid(), func() {})
		if err != nil || peak <= 0 {
			t.Errorf("sampling this process: peak %d, err %v", peak, err)
		}
	}
}

func TestSelectScenarios(t *testing.T) {
	tests := []struct {
		list      string
		withFloor bool
		want      string
		wantErr   bool
	}{
		{"all", false, "whoami,settings-ajax,settings-browser,get-settings-flow,update-profile-native,login-password", false},
		{"", true, "whoami,settings-ajax,settings-browser,get-settings-flow,update-profile-native,login-password,floor", false},
		{"whoami, floor,whoami", true, "whoami,floor", false},
		{"floor", false, "", true},
		{"nope", false, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.list, func(t *testing.T) {
			got, err := selectScenarios(tt.list, tt.withFloor)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			var names []string
			for _, s := range got {
				names = append(names, s.name)
			}
			if strings.Join(names, ",") != tt.want {
				t.Errorf("got %v, want %s", names, tt.want)
			}
		})
	}
}

func TestReportRatios(t *testing.T) {
	sc := scenarios()
	lat := func(d time.Duration, n int) []time.Duration {
		out := make([]time.Duration, n)
		for i := range out {
			out[i] = d
		}
		return out
	}
	results := []result{
		{scenario: sc[0], requests: 500, elapsed: time.Second, latencies: lat(4*time.Millisecond, 500), errors: 2,
			firstErrors: []string{"status 500: boom"}, peakRSS: 30 << 20, cpu: cpuUse{server: 100 * time.Millisecond, db: 50 * time.Millisecond}},
		{scenario: sc[len(sc)-1], requests: 1000, elapsed: time.Second, latencies: lat(2*time.Millisecond, 1000), cpu: cpuUse{server: 300 * time.Millisecond, db: -1}},
	}
	var buf bytes.Buffer
	writeReport(&buf, reportInfo{public: "http://127.0.0.1:1", floor: "http://127.0.0.1:2", concurrency: 16, duration: time.Second, identities: 16, hash: "bcrypt cost 12", cpu: true, dbCPU: true}, results)
	out := buf.String()
	for _, want := range []string{
		"| scenario | requests | req/s | p50 | p90 | p99 | errors | peak RSS | req/s ÷ floor | p99 ÷ floor | server CPU/req | database CPU/req |",
		"| whoami | 500 | 500 | 4.00 ms | 4.00 ms | 4.00 ms | 2 | 30.0 MB | 0.50 | 2.00 | 200 µs | 100 µs |",
		"| floor | 1000 | 1000 | 2.00 ms | 2.00 ms | 2.00 ms | 0 | – | 1.00 | 1.00 | 300 µs | – |",
		"unexpected: status 500: boom",
		"password hashing: bcrypt cost 12",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// TestRunAllAgainstPortico runs every scenario briefly against a whole Portico (and a stand-in
// floor) and expects no unexpected reply.
func TestRunAllAgainstPortico(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and drives it")
	}
	srv := apptest.Start(t)
	floor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/self-service/settings/browser" || !strings.HasPrefix(r.Header.Get("Cookie"), "ory_kratos_session=floor-token-") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`{"id":"x"}`))
	}))
	defer floor.Close()
	var out bytes.Buffer
	o := options{
		public: srv.Public.URL, admin: srv.Admin.URL, floor: floor.URL, scenarios: "all",
		duration: 300 * time.Millisecond, concurrency: 2, pid: os.Getpid(),
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := runAll(context.Background(), o, &out, log); err != nil {
		t.Fatal(err)
	}
	report := out.String()
	for _, s := range scenarios() {
		var row string
		for _, line := range strings.Split(report, "\n") {
			if strings.HasPrefix(line, "| "+s.name+" |") {
				row = line
			}
		}
		if row == "" {
			t.Errorf("no row for %s:\n%s", s.name, report)
			continue
		}
		cells := strings.Split(row, "|")
		if requests, errs := strings.TrimSpace(cells[2]), strings.TrimSpace(cells[7]); requests == "0" || errs != "0" {
			t.Errorf("%s: %s requests, %s errors\n%s", s.name, requests, errs, report)
		}
		// The server here is this process (the floor's row measures -floor-pid, unset).
		if cpu := strings.TrimSpace(cells[11]); !s.floor && !strings.HasSuffix(cpu, " µs") {
			t.Errorf("%s: server CPU/req %q\n%s", s.name, cpu, report)
		}
	}
}
