// Command slotbench runs a flash crowd against a running slotgate server on
// loopback and measures it against baselines taken in the same run, by the
// same client code, on the same machine:
//
//   - a bare Echo JSON handler in a separate process (what HTTP and JSON
//     cost before slotgate does anything), for the rate of sold-out answers;
//   - the server's own booking transaction run raw with database/sql on
//     MariaDB (what the database can commit on one hot slot row), for the
//     rate of confirmations;
//   - optionally redis-benchmark's GET rate, for context.
//
// The run: a flash crowd of -n distinct visitors at a slot of -quota places;
// then a flood of -soldout more at the full slot, alternating in -rounds
// rounds with the bare Echo baseline (the same requests); then -sustained
// party-of-1 bookings at a roomy slot, alternating with the raw MariaDB
// baseline. The server's resident memory is read from its /metrics all the
// while, and the CPU time each answering process spent per answer is read
// from /metrics too, which shows where a ratio comes from.
//
// Afterwards it checks that exactly the quota was sold and that MySQL agrees
// with the answers, and exits non-zero if it does not. A shared machine makes
// absolute figures noisy; the ratios to the baselines are what to compare,
// and alternating rounds give both sides of a ratio the same share of
// whatever else the machine is doing.
//
//	SLOTGATE_RATE_LIMITS=off SLOTGATE_MYSQL_DSN=... slotgate &
//	slotbench -url http://127.0.0.1:8080 -dsn 'root@tcp(127.0.0.1:3306)/slotgate'
//
// The bench creates a venue of its own in the server's database (the -dsn
// must name the same database), books only its slots, and removes it, its
// slots and its bookings at the end unless -keep is given.
//
// Exit status: 0 when every check passed; 1 when a check failed or the run
// could not be made; 2 when only a performance target was missed and
// -strict was given.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// options are the command's flags.
type options struct {
	url       string   // the first server, for the report's heading
	urls      []string // every server: -url repeated or comma-separated
	sqliteDir string   // -dsn sqlite:DIR: the server's SQLite data directory
	dsn       string
	redisURL  string
	n         int
	clients   int
	quota     int
	party     int
	sustained int
	soldOut   int
	conns     int
	rounds    int
	timeout   time.Duration
	keep      bool
	strict    bool
}

func main() {
	// The bare Echo baseline is this same binary in a child process, so that
	// it runs in a process of its own like the server does. The flag is
	// read before the flag package so that -h does not list it.
	if len(os.Args) == 3 && os.Args[1] == serveBareFlag {
		if err := serveBare(os.Args[2], os.Getenv(bareBodyEnv)); err != nil {
			fmt.Fprintln(os.Stderr, "slotbench bare server:", err)
			os.Exit(1)
		}
		return
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "slotbench:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	rep, err := bench(ctx, opts, stderr)
	if rep != nil {
		rep.command = commandLine(args)
		rep.print(stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "slotbench:", err)
		return 1
	}
	switch {
	case !rep.checksPassed():
		return 1
	case opts.strict && !rep.targetsMet():
		return 2
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("slotbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(urlList{&o.urls}, "url", "base URL of a running slotgate server (run it with SLOTGATE_RATE_LIMITS=off); repeat it or separate by commas\n"+
		"for several instances behind the same database and Redis: each client keeps to one of them, in turn (default http://127.0.0.1:8080)")
	fs.StringVar(&o.dsn, "dsn", os.Getenv("SLOTGATE_MYSQL_DSN"), "MySQL DSN of the server's database (default $SLOTGATE_MYSQL_DSN), or sqlite:DIR for a server on\n"+
		"the embedded defaults (its SLOTGATE_DATA_DIR; no raw MariaDB baseline then); required")
	fs.StringVar(&o.redisURL, "redis-url", os.Getenv("SLOTGATE_REDIS_URL"), "Redis URL for the redis-benchmark baseline (default $SLOTGATE_REDIS_URL; empty: skip it)")
	fs.IntVar(&o.n, "n", 20000, "distinct visitors in the flash crowd, one request each")
	fs.IntVar(&o.clients, "c", 256, "concurrent clients (keep-alive connections)")
	fs.IntVar(&o.quota, "quota", 1000, "places in the flash crowd's slot")
	fs.IntVar(&o.party, "party", 1, "people per booking in the flash crowd (1 to 5)")
	fs.IntVar(&o.sustained, "sustained", 4000, "party-of-1 bookings in the sustained phase and in the raw MariaDB baseline (0: skip both)")
	fs.IntVar(&o.soldOut, "soldout", -1, "requests in the sold-out flood after the flash crowd (-1: as many as -n; 0: skip)")
	fs.IntVar(&o.conns, "mysql-conns", 32, "connections of the raw MariaDB baseline: set it to the server's SLOTGATE_MYSQL_MAX_CONNS")
	fs.IntVar(&o.rounds, "rounds", 4, "rounds in which the sold-out flood alternates with the bare Echo baseline, and the sustained phase with the raw MariaDB baseline")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "timeout of one request")
	fs.BoolVar(&o.keep, "keep", false, "keep the run's venue, slots and bookings in the database")
	fs.BoolVar(&o.strict, "strict", false, "exit with status 2 when a performance target is missed")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: slotbench [flags]\n\nRuns a flash crowd against a running slotgate server and compares it with baselines measured in the same run.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.soldOut < 0 {
		o.soldOut = o.n
	}
	if len(o.urls) == 0 {
		o.urls = []string{"http://127.0.0.1:8080"}
	}
	if dir, ok := strings.CutPrefix(o.dsn, "sqlite:"); ok {
		o.sqliteDir = dir
	}
	var problems []string
	switch {
	case o.dsn == "":
		problems = append(problems, "-dsn (or SLOTGATE_MYSQL_DSN) is required: the bench makes its slots in the server's database and checks it afterwards")
	case o.n <= 0 || o.n > maxRequests:
		problems = append(problems, fmt.Sprintf("-n must be 1 to %d", maxRequests))
	case o.clients <= 0 || o.clients > 10000:
		problems = append(problems, "-c must be 1 to 10000")
	case o.party < 1 || o.party > venueMaxParty:
		problems = append(problems, fmt.Sprintf("-party must be 1 to %d", venueMaxParty))
	case o.quota <= 0 || o.quota%o.party != 0:
		// A remainder smaller than a party can never be sold, and then
		// "exactly the quota sold" could not hold.
		problems = append(problems, "-quota must be positive and a multiple of -party")
	case o.n*o.party <= o.quota:
		problems = append(problems, "-n times -party must exceed -quota, or the slot never sells out")
	case o.rounds < 1 || o.rounds > 100:
		problems = append(problems, "-rounds must be 1 to 100")
	case o.conns <= 0 || o.conns > 1000:
		problems = append(problems, "-mysql-conns must be 1 to 1000")
	case o.sustained < 0 || o.sustained > maxRequests || o.soldOut > maxRequests:
		problems = append(problems, fmt.Sprintf("-sustained and -soldout must be 0 to %d", maxRequests))
	}
	if len(problems) > 0 {
		return o, errors.New(strings.Join(problems, "; "))
	}
	for i, u := range o.urls {
		o.urls[i] = strings.TrimRight(u, "/")
	}
	o.url = strings.Join(o.urls, ",")
	return o, nil
}

// urlList is the -url flag: one or more base URLs, repeated or
// comma-separated.
type urlList struct{ urls *[]string }

func (l urlList) String() string {
	if l.urls == nil {
		return ""
	}
	return strings.Join(*l.urls, ",")
}

func (l urlList) Set(v string) error {
	for _, u := range strings.Split(v, ",") {
		if u = strings.TrimSpace(u); u != "" {
			if _, err := url.ParseRequestURI(u); err != nil {
				return fmt.Errorf("%q is not a URL: %w", u, err)
			}
			*l.urls = append(*l.urls, u)
		}
	}
	return nil
}

// commandLine is the command as it was typed, quoted for a POSIX shell,
// with any password in a DSN or URL hidden: reports get pasted into issues.
func commandLine(args []string) string {
	parts := []string{"slotbench"}
	for i, a := range args {
		name, value, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case strings.HasPrefix(a, "-") && inline && (name == "dsn" || name == "redis-url"):
			a = a[:len(a)-len(value)] + redact(value)
		case i > 0 && (args[i-1] == "-dsn" || args[i-1] == "--dsn" || args[i-1] == "-redis-url" || args[i-1] == "--redis-url"):
			a = redact(a)
		}
		if a == "" || strings.ContainsAny(a, " \t\"'$\\()*?;&|<>{}[]!#~`") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// redact hides the password of a MySQL DSN (user:password@tcp(...)/db) or
// of a URL (redis://user:password@host).
func redact(s string) string {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.User != nil {
		return u.Redacted()
	}
	if at := strings.LastIndex(s, "@"); at >= 0 {
		if colon := strings.Index(s[:at], ":"); colon >= 0 {
			return s[:colon+1] + "xxxxx" + s[at:]
		}
	}
	return s
}
