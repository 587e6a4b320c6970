package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"slotgate/domain"
)

// The bench's visitors must pass the server's own checks, or the run
// measures validation errors instead of bookings.
func TestCrowdIsValidAndDistinct(t *testing.T) {
	c := newCrowd(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC).Unix())
	phones, ids := map[string]bool{}, map[string]bool{}
	now := time.Now()
	for _, phase := range []struct {
		letter byte
		count  int
		party  int
	}{{'A', 300, 3}, {'F', 200, 1}, {'S', 100, 1}} {
		for _, raw := range c.bodies(42, phase.letter, phase.count, phase.party) {
			var b bookingBody
			if err := json.Unmarshal(raw, &b); err != nil {
				t.Fatal(err)
			}
			if b.SlotID != 42 || len(b.Visitors) != phase.party {
				t.Fatalf("body %s", raw)
			}
			if !domain.CheckPhone(b.Phone) || phones[b.Phone] {
				t.Fatalf("phone %q invalid or repeated", b.Phone)
			}
			phones[b.Phone] = true
			for _, v := range b.Visitors {
				if _, ok := domain.CheckID(domain.IDType(v.IDType), v.IDNumber, now); !ok {
					t.Fatalf("ID %s %q refused", v.IDType, v.IDNumber)
				}
				if _, _, ok := domain.CleanName(v.Name); !ok {
					t.Fatalf("name %q refused", v.Name)
				}
				if ids[v.IDNumber] {
					t.Fatalf("ID %q repeated", v.IDNumber)
				}
				ids[v.IDNumber] = true
			}
		}
	}
}

func TestProblemCode(t *testing.T) {
	for body, want := range map[string]string{
		`{"type":"/problems/sold_out","title":"x","status":409,"code":"sold_out"}`: "sold_out",
		`{"code":"rate_limited","retry_after":1}`:                                  "rate_limited",
		`not json`:              "no_problem_code",
		`{"code":"unterminated`: "no_problem_code",
	} {
		if got := problemCode([]byte(body)); got != want {
			t.Errorf("problemCode(%s) = %q, want %q", body, got, want)
		}
	}
}

func TestParseMetric(t *testing.T) {
	text := `# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes_other 1
process_resident_memory_bytes 5.4018048e+07
process_cpu_seconds_total{instance="a"} 12.5 1700000000
`
	if got, err := parseMetric(strings.NewReader(text), "process_resident_memory_bytes"); err != nil || got != 54018048 {
		t.Errorf("rss = %v, %v", got, err)
	}
	if got, err := parseMetric(strings.NewReader(text), "process_cpu_seconds_total"); err != nil || got != 12.5 {
		t.Errorf("cpu = %v, %v", got, err)
	}
	if _, err := parseMetric(strings.NewReader("up 1\n"), "process_resident_memory_bytes"); err == nil {
		t.Error("missing metric not reported")
	}
}

func TestParseRedisBenchmark(t *testing.T) {
	out := "GET: rps=0.0 (overall: nan) avg_msec=nan (overall: nan)\rGET: rps=140000.0 (overall: 139000.0)\r" +
		"GET: 142857.14 requests per second, p50=0.175 msec                    \n\n"
	if got, err := parseRedisBenchmark(out); err != nil || got != 142857.14 {
		t.Errorf("got %v, %v", got, err)
	}
	if _, err := parseRedisBenchmark("Could not connect to Redis at 127.0.0.1:1: Connection refused\n"); err == nil {
		t.Error("failure not reported")
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if p := percentile(d, 50); p != 50*time.Millisecond {
		t.Errorf("p50 = %v", p)
	}
	if p := percentile(d, 99); p != 99*time.Millisecond {
		t.Errorf("p99 = %v", p)
	}
	if p := percentile(d[:1], 99); p != time.Millisecond {
		t.Errorf("p99 of one = %v", p)
	}
	if p := percentile(nil, 50); p != 0 {
		t.Errorf("p50 of none = %v", p)
	}
}

func TestReturningInsert(t *testing.T) {
	for v, want := range map[string]bool{
		"10.11.19-MariaDB-0+deb12u1": true,
		"10.5.2-MariaDB":             true,
		"10.4.30-MariaDB":            false,
		"11.4.2-MariaDB":             true,
		"8.0.36":                     false,
	} {
		if got := returningInsert(v); got != want {
			t.Errorf("returningInsert(%q) = %v", v, got)
		}
	}
}

func TestCommandLineHidesPasswords(t *testing.T) {
	got := commandLine([]string{"-dsn", "app:s3cret@tcp(db:3306)/slotgate", "-redis-url=redis://:pw@r:6379/0", "-n", "10"})
	if strings.Contains(got, "s3cret") || strings.Contains(got, "pw@") {
		t.Errorf("password shown: %s", got)
	}
	if !strings.Contains(got, "-n 10") || !strings.Contains(got, "tcp(db:3306)") {
		t.Errorf("command changed: %s", got)
	}
}

func TestFlagsRefuseImpossibleRuns(t *testing.T) {
	for _, args := range [][]string{
		{"-dsn", ""},
		{"-dsn", "x@/db", "-quota", "10", "-party", "3"},
		{"-dsn", "x@/db", "-n", "10", "-quota", "10"},
		{"-dsn", "x@/db", "-party", "6", "-quota", "6"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
	o, err := parseFlags([]string{"-dsn", "x@/db", "-url", "http://h:1/"}, io.Discard)
	if err != nil || o.soldOut != o.n || o.url != "http://h:1" {
		t.Errorf("defaults: %+v, %v", o, err)
	}
	// Several servers, repeated or comma-separated; sqlite:DIR for the embedded defaults.
	o, err = parseFlags([]string{"-dsn", "sqlite:/tmp/d", "-url", "http://a:1/,http://b:2", "-url", "http://c:3"}, io.Discard)
	if err != nil || len(o.urls) != 3 || o.urls[0] != "http://a:1" || o.urls[2] != "http://c:3" || o.sqliteDir != "/tmp/d" {
		t.Errorf("three servers on SQLite: %+v, %v", o, err)
	}
	if _, err := parseFlags([]string{"-dsn", "x@/db", "-url", "::nope"}, io.Discard); err == nil {
		t.Error("a URL that is none accepted")
	}
}

// The load path against a stand-in server: the first q requests are
// confirmed, the rest sold out, and every answer is classified and timed.
func TestLoaderTalliesAnswers(t *testing.T) {
	const q = 7
	var booked atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bookingBody
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"code":"malformed_request"}`))
			return
		}
		if n := booked.Add(int64(len(b.Visitors))); n <= q {
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(map[string]any{"id": n, "party_size": len(b.Visitors), "code": "abc"})
			return
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusConflict)
		_, _ = w.Write([]byte(`{"type":"/problems/sold_out","status":409,"code":"sold_out"}`))
	}))
	defer srv.Close()

	l := newLoader(4, 5*time.Second)
	defer l.close()
	bodies := newCrowd(1).bodies(1, 'A', 50, 1)
	bodies = append(bodies, []byte("{"))
	tl := tallyOf(l.post(context.Background(), []string{srv.URL}, bodies))
	if tl.requests != 51 || tl.confirmed != q || tl.places != q || tl.soldOut != 50-q {
		t.Fatalf("tally %+v", tl)
	}
	if tl.errorCount() != 1 || tl.errors["400 malformed_request"] != 1 {
		t.Errorf("errors %v", tl.errors)
	}
	if len(tl.ids) != q || tl.soldBody == nil || len(tl.confirmLat) != q || tl.lastConfirm <= 0 {
		t.Errorf("ids %v, sold body %q, latencies %d", tl.ids, tl.soldBody, len(tl.confirmLat))
	}
}
