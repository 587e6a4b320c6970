package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFind: the checker finds each kind of personal data the tests use, in
// text and JSON log lines, and lets pass what a clean log is made of:
// request ids, hashes, timestamps, durations, masked numbers, addresses.
func TestFind(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		line string
		want []string // kinds found, in order
	}{
		// Planted personal data.
		{"phone, text", `time=2026-03-02T08:00:00.000+08:00 level=INFO msg=booked phone=13800138000`, []string{"phone"}},
		{"phone, JSON", `{"level":"INFO","msg":"booked","phone":"13912345678"}`, []string{"phone"}},
		{"phone, JSON in a message", `{"msg":"booked 13912345678","took":1}`, []string{"phone"}},
		{"resident ID", `msg="duplicate" id=500109199003071234`, []string{"resident_id"}},
		{"resident ID with X", `{"id":"11010519491231002X"}`, []string{"resident_id"}},
		{"resident ID with x", `id=11010519491231002x`, []string{"resident_id"}},
		{"passport", `err="visitor E12345678 already booked"`, []string{"passport"}},
		{"short passport", `id=E1000001`, []string{"passport"}},
		{"flood passport", `id=P0000042`, []string{"passport"}},
		{"walk-in passport", `id=W00000017`, []string{"passport"}},
		{"Macau permit", `id=M1234567890`, []string{"passport"}},
		{"slotbench passport", `id=B0K3Z9QA00000012`, []string{"passport"}},
		{"in a key", `key=sg:limit:{booking-phone:13800138000}`, []string{"phone"}},
		{"name 访客", `name=访客1`, []string{"name"}},
		{"name 游客", `{"name":"游客"}`, []string{"name"}},
		{"name 散客", `name=散客`, []string{"name"}},
		{"name 张三", `visitors="[张三 李四]"`, []string{"name", "name"}},
		{"name 甲", `name=甲`, []string{"name"}},
		{"name Anna Müller", `{"name":"Anna Müller"}`, []string{"name"}},
		{"name escaped", `{"name":"\u5f20\u4e09"}`, []string{"name"}},
		{"name Visitor", `name="Visitor P0000001"`, []string{"passport", "name"}},
		{"name Bench Visitor", `name="Bench Visitor A12"`, []string{"name"}},
		{"everything", `phone=13700000001 id=E87654321 name=王五`, []string{"phone", "passport", "name"}},

		// Clean lines.
		{"access log", `time=2026-03-02T08:00:00.123+08:00 level=INFO msg=request method=POST route=/api/v1/bookings status=201 bytes=512 took=3.2ms client=127.0.0.1 request_id=Jx4nK2pQ9mR7sT1vW3yZ5aB8cD0eF6gH`, nil},
		{"JSON durations", `{"time":"2026-03-02T08:00:00.123456789+08:00","took":13800138000,"tat":1772409600123456,"at":1772409600123}`, nil},
		{"masked", `id_masked=5001**********123X phone=138****8000 id=E1*****78`, nil},
		{"hash", `subject=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08`, nil},
		{"longer number", `n=913800138000 m=1380013800 id=5001091990030712345`, nil},
		{"inside a token", `request_id=a13800138000b code=xE12345678`, nil},
		{"lower-case letter", `id=e12345678`, nil},
		{"too few digits", `id=E123456`, nil},
		{"words", `msg="游客须知 Visitors 甲级 notification (log sender)" text_en="[Beibei Library] From the standby list, you are booked for 2026-03-03 09:00 (2 people)."`, nil},
		{"ipv6 and ports", `addr=[::1]:6379 client=2001:db8::1 err="dial tcp 127.0.0.1:40713: connect: connection refused"`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, h := range Find(tc.line) {
				got = append(got, h.Kind)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("Find(%q) = %v, want %v", tc.line, got, tc.want)
			}
		})
	}
}

// TestRun: over a directory, a clean log passes (exit 0), a planted one
// fails (exit 1) naming file and line with the data masked, and a
// directory that cannot be read is an error (exit 2).
func TestRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("TestClean-1.log", "level=INFO msg=request route=/api/v1/bookings status=201\n"+
		`{"level":"INFO","msg":"notification (log sender)","booking":7}`+"\n")

	var out, errs bytes.Buffer
	if code := run([]string{dir}, &out, &errs); code != 0 {
		t.Fatalf("a clean directory: exit %d\n%s%s", code, out.String(), errs.String())
	}

	planted := write("sub/TestLeak-2.log", "level=INFO msg=ok\nlevel=WARN msg=leak phone=13800138000 name=张三\n"+
		strings.Repeat("x", 200<<10)+" id=E12345678\n")
	out.Reset()
	errs.Reset()
	if code := run([]string{dir}, &out, &errs); code != 1 {
		t.Fatalf("a planted directory: exit %d, want 1\n%s%s", code, out.String(), errs.String())
	}
	report := out.String()
	for _, want := range []string{planted + ":2: phone 13*******00", planted + ":2: name 张*", planted + ":3: passport E1*****78"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	for _, full := range []string{"13800138000", "张三", "E12345678", "leak"} {
		if strings.Contains(report, full) {
			t.Errorf("the report repeats %q from the log:\n%s", full, report)
		}
	}
	if !strings.Contains(errs.String(), "2 lines") {
		t.Errorf("summary: %q, want 2 lines counted", errs.String())
	}

	for _, args := range [][]string{nil, {dir, dir}, {filepath.Join(dir, "missing")}} {
		if code := run(args, &out, &errs); code != 2 {
			t.Errorf("run(%q): exit %d, want 2", args, code)
		}
	}
}
