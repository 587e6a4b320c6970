// Command logcheck reads the logs of a test run and fails if they hold
// personal data: mainland mobile numbers, resident ID numbers, the
// passport-like numbers and the visitor names the tests book with.
//
//	go run ./internal/logcheck DIR
//
// It scans every file under DIR (as testkit writes them when
// SLOTGATE_TEST_LOG_DIR is set) and, for each hit, prints file:line, the
// kind of data and the hit masked, never the line: the point is to keep
// such data out of logs, CI's included. It exits 1 on any hit, 2 when it
// cannot read DIR.
package main

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run checks the directory named in args and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: logcheck DIR")
		return 2
	}
	files, hits := 0, 0
	err := filepath.WalkDir(args[0], func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		files++
		n, err := checkFile(path, stdout)
		hits += n
		return err
	})
	if err != nil {
		fmt.Fprintf(stderr, "logcheck: %v\n", err)
		return 2
	}
	if hits > 0 {
		fmt.Fprintf(stderr, "logcheck: %d lines of personal data in the logs under %s\n", hits, args[0])
		return 1
	}
	fmt.Fprintf(stdout, "logcheck: %d log files under %s, no personal data\n", files, args[0])
	return 0
}

// checkFile reports each line of the file at path that holds personal
// data and returns how many did.
func checkFile(path string, out io.Writer) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	// A panic's stack or a long error can make a long line; none is skipped.
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	hits := 0
	for line := 1; sc.Scan(); line++ {
		found := Find(sc.Text())
		if len(found) == 0 {
			continue
		}
		hits++
		for _, h := range found {
			fmt.Fprintf(out, "%s:%d: %s %s\n", path, line, h.Kind, mask(h.Text))
		}
	}
	if err := sc.Err(); err != nil {
		return hits, fmt.Errorf("read %s: %w", path, err)
	}
	return hits, nil
}

// Hit is one piece of personal data found in a line.
type Hit struct {
	Kind string // phone, resident_id, passport, name
	Text string
}

// Numbers are looked for as whole tokens (runs of ASCII letters and
// digits), so that a request id, a hash or a timestamp that merely
// contains eleven digits in a row is not taken for a phone.
var token = regexp.MustCompile(`[0-9A-Za-z]+`)

var numbers = []struct {
	kind string
	re   *regexp.Regexp
}{
	{"phone", regexp.MustCompile(`^1[3-9][0-9]{9}$`)},
	{"resident_id", regexp.MustCompile(`^[0-9]{17}[0-9Xx]$`)},
	// Passports and permits as the tests make them: one letter and 7 to
	// 10 digits (E12345678, E1000001, P0000001, G00000001, W00000001,
	// C0000001, D0000001, H12345678, M1234567890, and the rate tests' R,
	// S, V, X, Y, Z series), and slotbench's B, six base-36 characters of
	// the run, a phase letter and eight digits. Taiwan permits (8 or 10
	// digits alone) look like any number and are not looked for.
	{"passport", regexp.MustCompile(`^[A-Z][0-9]{7,10}$`)},
	{"passport", regexp.MustCompile(`^B[0-9A-Z]{6}[A-Z][0-9]{8}$`)},
}

// names are the visitors' names the tests use. A name counts only where
// no other letter stands right before or after it, so that 游客须知 or
// "Visitors" in a message is not taken for a visitor.
var names = []*regexp.Regexp{
	regexp.MustCompile(`访客[0-9]*`),
	regexp.MustCompile(`游客[0-9]*`),
	regexp.MustCompile(`散客[0-9]*`),
	regexp.MustCompile(`张三|李四|王五|赵六`),
	regexp.MustCompile(`甲|乙`),
	regexp.MustCompile(`Anna Müller`),
	// "Visitor P0000001" (app's flood), "Bench Visitor A12" and "Raw Visitor 7"
	// (slotbench), "Visitor 3".
	regexp.MustCompile(`(?:Bench |Raw )?Visitor [A-Z]?[0-9A-Z]*[0-9]`),
}

// Find returns the personal data in line.
func Find(line string) []Hit {
	var hits []Hit
	for _, loc := range token.FindAllStringIndex(line, -1) {
		// A bare JSON number is a count or a duration in nanoseconds
		// (13.8 s is 13800000000): phones and IDs are logged, if ever, as strings.
		if strings.HasSuffix(line[:loc[0]], `":`) {
			continue
		}
		tok := line[loc[0]:loc[1]]
		for _, n := range numbers {
			if n.re.MatchString(tok) {
				hits = append(hits, Hit{Kind: n.kind, Text: tok})
				break
			}
		}
	}
	// A name written with \u escapes (by a JSON encoder that escapes all
	// but ASCII) is still a name.
	line = unescapeUnicode(line)
	for _, re := range names {
		for _, loc := range re.FindAllStringIndex(line, -1) {
			before, _ := utf8.DecodeLastRuneInString(line[:loc[0]])
			after, _ := utf8.DecodeRuneInString(line[loc[1]:])
			if isWordRune(before) || isWordRune(after) {
				continue
			}
			hits = append(hits, Hit{Kind: "name", Text: line[loc[0]:loc[1]]})
		}
	}
	return hits
}

var escapedRune = regexp.MustCompile(`\\u[0-9a-fA-F]{4}`)

// unescapeUnicode turns \uXXXX escapes into the runes they stand for.
func unescapeUnicode(s string) string {
	if !strings.Contains(s, `\u`) {
		return s
	}
	return escapedRune.ReplaceAllStringFunc(s, func(esc string) string {
		n, err := strconv.ParseUint(esc[2:], 16, 32)
		if err != nil {
			return esc
		}
		return string(rune(n))
	})
}

func isWordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// mask keeps enough of a hit to find it in the test that made it, and not
// the whole: the first two and the last two characters of a number, the
// first character of a name.
func mask(s string) string {
	r := []rune(s)
	keep, tail := 2, 2
	if len(r) <= 6 || !unicode.IsDigit(r[len(r)-1]) {
		keep, tail = 1, 0
	}
	if len(r) <= keep+tail {
		return s
	}
	out := make([]rune, 0, len(r))
	out = append(out, r[:keep]...)
	for range r[keep : len(r)-tail] {
		out = append(out, '*')
	}
	return string(append(out, r[len(r)-tail:]...))
}
