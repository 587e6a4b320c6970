package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Targets the project wants to show (the benchmark issue).
const (
	soldOutTarget  = 0.9       // sold-out answers/s over the bare Echo handler's requests/s
	confirmTarget  = 1.5       // confirmations/s over raw MariaDB booking transactions/s
	embeddedTarget = 1000      // confirmations/s of a server on the embedded defaults
	rssLimit       = 300 << 20 // the server's peak resident memory, bytes
)

// report is everything a run measured and found.
type report struct {
	opts    options
	command string
	cpus    int
	venue   string

	flashSlot, sustainedSlot int64
	sustainedQuota           int

	flash     tally
	flood     *tally // nil: skipped
	sustained *tally // nil: skipped
	bare      *tally
	raw       *rawResult

	redisRan  bool
	redisRPS  float64
	redisArgs []string
	redisErr  error

	rssPeak    float64
	rssSamples int
	rssFailed  int
	rssErr     error

	checks        []verdict
	cleanup       string
	cleanupFailed bool
}

// verdict is one PASS/FAIL line; skip marks a target not measured.
type verdict struct {
	ok, skip bool
	text     string
}

func (r *report) add(ok bool, format string, args ...any) {
	r.checks = append(r.checks, verdict{ok: ok, text: fmt.Sprintf(format, args...)})
}

// check compares the answers with what MySQL holds. The flash slot must
// have sold exactly its quota, and every count of it must agree: the slot's
// booked column, the 201 answers, the bookings rows and their visitors.
func (r *report) check(ctx context.Context, f *fixture) error {
	o, t := r.opts, r.flash
	fs, err := f.facts(ctx, f.flash.ID)
	if err != nil {
		return err
	}
	r.add(t.places == o.quota, "flash crowd: the 201 answers' party sizes sum to %d (quota %d)", t.places, o.quota)
	r.add(fs.booked == o.quota, "flash crowd: slots.booked of slot %d is %d (quota %d)", f.flash.ID, fs.booked, o.quota)
	r.add(fs.places == o.quota && fs.bookings == t.confirmed,
		"flash crowd: MySQL holds %d confirmed bookings for %d places (%d answered 201)", fs.bookings, fs.places, t.confirmed)
	r.add(fs.sameIDs(t.ids), "flash crowd: the 201 answers name exactly the bookings in MySQL")
	r.add(fs.visitors == o.quota, "flash crowd: %d live booking_visitors rows (quota %d)", fs.visitors, o.quota)
	r.add(t.errorCount() == 0, "flash crowd: every answer was 201 or 409 sold_out (%d other)", t.errorCount())
	if r.flood != nil {
		r.add(r.flood.soldOut == r.flood.requests, "sold-out flood: %d of %d answers were 409 sold_out (%d confirmed, %d other)",
			r.flood.soldOut, r.flood.requests, r.flood.confirmed, r.flood.errorCount())
	}
	if s := r.sustained; s != nil {
		ss, err := f.facts(ctx, f.sustained.ID)
		if err != nil {
			return err
		}
		r.add(s.confirmed == s.requests, "sustained: %d of %d answers were 201 (%d sold out, %d other)",
			s.confirmed, s.requests, s.soldOut, s.errorCount())
		r.add(ss.booked == s.places && ss.places == s.places && ss.bookings == s.confirmed && ss.visitors == s.places && ss.sameIDs(s.ids),
			"sustained: MySQL agrees (booked %d, %d bookings for %d places, %d visitors; answers: %d places)",
			ss.booked, ss.bookings, ss.places, ss.visitors, s.places)
	}
	if b := r.bare; b != nil {
		r.add(b.soldOut == b.requests, "bare Echo baseline: %d of %d answers were 409 sold_out", b.soldOut, b.requests)
	}
	if raw := r.raw; raw != nil {
		rs, err := f.facts(ctx, f.raw.ID)
		if err != nil {
			return err
		}
		r.add(raw.done == raw.count && rs.booked == raw.done && rs.bookings == raw.done,
			"raw MariaDB baseline: %d of %d transactions committed; MySQL agrees (booked %d, %d bookings)",
			raw.done, raw.count, rs.booked, rs.bookings)
	}
	return nil
}

func (r *report) checksPassed() bool {
	if r.cleanupFailed {
		return false
	}
	for _, c := range r.checks {
		if !c.ok {
			return false
		}
	}
	return len(r.checks) > 0
}

// soldOutRate is the server's sold-out answers per second for the target:
// the flood's, which has the bare baseline's shape exactly (as many
// requests, as many clients, every answer sold out, timed the same way and
// in alternating rounds with it); without a flood, the flash crowd's after
// its last confirmation.
func (r *report) soldOutRate() (float64, string) {
	if r.flood != nil && r.flood.requests > 0 {
		return rate(r.flood.soldOut, r.flood.wall), "sold-out flood"
	}
	return r.inCrowdSoldOutRate(), "flash crowd, after the last confirmation"
}

// inCrowdSoldOutRate counts the flash crowd's sold-out answers completed
// after its last confirmation, over the time from that confirmation to the
// last sold-out answer.
func (r *report) inCrowdSoldOutRate() float64 {
	t := r.flash
	if t.confirmed == 0 {
		return rate(t.soldOut, t.lastSold-t.firstSold)
	}
	return rate(t.soldAfter, t.lastSold-t.lastConfirm)
}

func (r *report) bareRate() float64 {
	if r.bare == nil {
		return 0
	}
	return rate(r.bare.requests, r.bare.wall)
}

func (r *report) rawRate() float64 {
	if r.raw == nil {
		return 0
	}
	return rate(r.raw.done, r.raw.wall)
}

func (r *report) sustainedRate() float64 {
	if r.sustained == nil {
		return 0
	}
	return rate(r.sustained.confirmed, r.sustained.wall)
}

// flashConfirmRate is the flash crowd's bookings over its time to sell out.
func (r *report) flashConfirmRate() float64 { return rate(r.flash.confirmed, r.flash.lastConfirm) }

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// targets are the performance goals, with what was measured.
func (r *report) targets() []verdict {
	var out []verdict
	sold, _ := r.soldOutRate()
	if bare := r.bareRate(); bare > 0 {
		out = append(out, verdict{ok: ratio(sold, bare) >= soldOutTarget,
			text: fmt.Sprintf("sold-out answers at >= %.0f%% of the bare Echo handler: %.0f/s is %.0f%% of %.0f/s",
				soldOutTarget*100, sold, 100*ratio(sold, bare), bare)})
	} else {
		out = append(out, verdict{skip: true, text: "sold-out answers vs bare Echo: not measured"})
	}
	if raw := r.rawRate(); raw > 0 && r.sustained != nil {
		s := r.sustainedRate()
		out = append(out, verdict{ok: ratio(s, raw) >= confirmTarget,
			text: fmt.Sprintf("confirmations at >= %.0f%% of raw MariaDB booking transactions: %.0f/s is %.0f%% of %.0f/s",
				confirmTarget*100, s, 100*ratio(s, raw), raw)})
	} else if r.opts.sqliteDir != "" && r.sustained != nil {
		s := r.sustainedRate()
		out = append(out, verdict{ok: s >= embeddedTarget,
			text: fmt.Sprintf("embedded defaults (SQLite, embedded Redis): %.0f confirmations/s, target %d/s", s, embeddedTarget)})
	} else {
		out = append(out, verdict{skip: true, text: "confirmations vs raw MariaDB: not measured"})
	}
	if raw := r.raw; raw != nil && len(raw.lat) > 0 && len(r.flash.confirmLat) > 0 {
		ours, base := percentile(r.flash.confirmLat, 99), percentile(raw.lat, 99)
		out = append(out, verdict{ok: ours <= base,
			text: fmt.Sprintf("flash crowd confirmed p99 no worse than the raw transaction's p99: %s vs %s", ms(ours), ms(base))})
	}
	t := r.flash
	out = append(out, verdict{ok: t.places == r.opts.quota && r.serverErrors() == 0,
		text: fmt.Sprintf("exactly %d sold and no errors but sold out: %d sold, %d errors", r.opts.quota, t.places, r.serverErrors())})
	if r.rssSamples > 0 {
		out = append(out, verdict{ok: r.rssPeak < rssLimit,
			text: fmt.Sprintf("server resident memory under %d MB: peak %.0f MB", rssLimit>>20, r.rssPeak/(1<<20))})
	} else {
		out = append(out, verdict{ok: false, text: fmt.Sprintf("server resident memory under %d MB: not read (%v)", rssLimit>>20, r.rssErr)})
	}
	return out
}

func (r *report) targetsMet() bool {
	for _, t := range r.targets() {
		if !t.ok && !t.skip {
			return false
		}
	}
	return true
}

// serverErrors counts the server's answers that were neither 201 nor sold out.
func (r *report) serverErrors() int {
	n := r.flash.errorCount()
	for _, t := range []*tally{r.flood, r.sustained} {
		if t != nil {
			n += t.errorCount()
		}
	}
	return n
}

func (r *report) limited() int {
	n := r.flash.limited
	for _, t := range []*tally{r.flood, r.sustained} {
		if t != nil {
			n += t.limited
		}
	}
	return n
}

func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

func lat(d []time.Duration) string {
	if len(d) == 0 {
		return "(none)"
	}
	return fmt.Sprintf("(p50 %s p99 %s)", ms(percentile(d, 50)), ms(percentile(d, 99)))
}

func errorsOf(t tally) string {
	if t.errorCount() == 0 {
		return "errors 0"
	}
	return fmt.Sprintf("errors %d: %s", t.errorCount(), t.errorList())
}

// print writes the report: what each phase got, the side-by-side table,
// and a PASS/FAIL line for each check and target.
func (r *report) print(w io.Writer) {
	o := r.opts
	fmt.Fprintf(w, "\nslotbench against %s, venue %s, %d CPUs\n", o.url, r.venue, r.cpus)
	if len(o.urls) > 1 {
		fmt.Fprintf(w, "%d instances: client i keeps to instance i mod %d; CPU figures are their sums, memory the largest\n", len(o.urls), len(o.urls))
	}
	fmt.Fprintf(w, "command: %s\n\n", r.command)
	if r.flash.requests == 0 {
		if r.cleanup != "" {
			fmt.Fprintf(w, "cleanup: %s\n", r.cleanup)
		}
		return
	}

	t := r.flash
	fmt.Fprintf(w, "flash crowd: %d requests, %d clients, quota %d, party %d (slot %d)\n", t.requests, o.clients, o.quota, o.party, r.flashSlot)
	fmt.Fprintf(w, "  confirmed %d %s  sold out %d %s  %s\n", t.confirmed, lat(t.confirmLat), t.soldOut, lat(t.soldOutLat), errorsOf(t))
	fmt.Fprintf(w, "  %.0f requests/s over %s %s%s; sold out after %s: %.0f bookings/s\n",
		rate(t.requests, t.wall), ms(t.wall), lat(t.allLat), cpuOf(t), ms(t.lastConfirm), r.flashConfirmRate())
	if t.confirmed > 0 && t.soldAfter > 0 {
		fmt.Fprintf(w, "  after the last confirmation: %d sold-out answers in %s = %.0f/s\n",
			t.soldAfter, ms(t.lastSold-t.lastConfirm), r.inCrowdSoldOutRate())
	}
	if r.flood != nil || r.sustained != nil {
		fmt.Fprintf(w, "(below, each phase alternates with its baseline in %d rounds; figures are the rounds' sums)\n", o.rounds)
	}
	if f := r.flood; f != nil {
		fmt.Fprintf(w, "sold-out flood: %d more requests at the full slot, %d clients\n", f.requests, o.clients)
		fmt.Fprintf(w, "  sold out %d %s  confirmed %d  %s\n", f.soldOut, lat(f.soldOutLat), f.confirmed, errorsOf(*f))
		fmt.Fprintf(w, "  %.0f sold-out answers/s over %s%s\n", rate(f.soldOut, f.wall), ms(f.wall), cpuOf(*f))
	}
	if s := r.sustained; s != nil {
		fmt.Fprintf(w, "sustained: %d party-of-1 bookings, %d clients, quota %d (slot %d)\n", s.requests, o.clients, r.sustainedQuota, r.sustainedSlot)
		fmt.Fprintf(w, "  confirmed %d %s  sold out %d  %s\n", s.confirmed, lat(s.confirmLat), s.soldOut, errorsOf(*s))
		fmt.Fprintf(w, "  %.0f confirmations/s over %s%s\n", r.sustainedRate(), ms(s.wall), cpuOf(*s))
	}
	if b := r.bare; b != nil {
		fmt.Fprintf(w, "baseline, bare Echo 409 handler in its own process: the flash crowd's %d requests, %d clients\n", b.requests, o.clients)
		fmt.Fprintf(w, "  answered %d %s  %s\n", b.soldOut, lat(b.allLat), errorsOf(*b))
		fmt.Fprintf(w, "  %.0f requests/s over %s%s\n", r.bareRate(), ms(b.wall), cpuOf(*b))
	}
	if raw := r.raw; raw != nil {
		fmt.Fprintf(w, "baseline, raw MariaDB booking transaction (database/sql, %d connections, %d goroutines): %d transactions\n",
			raw.conns, min(o.clients, raw.count), raw.count)
		errs := "errors 0"
		if n := raw.count - raw.done; n > 0 {
			var parts []string
			for e, c := range raw.errors {
				parts = append(parts, fmt.Sprintf("%s ×%d", e, c))
			}
			errs = fmt.Sprintf("errors %d: %s", n, strings.Join(parts, ", "))
		}
		fmt.Fprintf(w, "  committed %d %s  %s, deadlock retries %d\n", raw.done, lat(raw.lat), errs, raw.retries)
		fmt.Fprintf(w, "  %.0f transactions/s over %s", r.rawRate(), ms(raw.wall))
		if raw.cpu > 0 && raw.count > 0 {
			fmt.Fprintf(w, ", client CPU %.0fµs per transaction", us(raw.cpu/time.Duration(raw.count)))
		}
		if raw.returning {
			fmt.Fprint(w, " (INSERT ... RETURNING, as GORM sends it to MariaDB)")
		}
		fmt.Fprintln(w)
	}
	switch {
	case r.redisErr != nil:
		fmt.Fprintf(w, "baseline, redis-benchmark: %v\n", r.redisErr)
	case r.redisRan:
		fmt.Fprintf(w, "baseline, redis-benchmark %s: %.0f GET/s (context only)\n", strings.Join(r.redisArgs, " "), r.redisRPS)
	}
	if r.rssSamples > 0 {
		fmt.Fprintf(w, "server resident memory: peak %.1f MB over %d samples every %s", r.rssPeak/(1<<20), r.rssSamples, rssEvery)
		if r.rssFailed > 0 {
			fmt.Fprintf(w, " (%d scrapes failed: %v)", r.rssFailed, r.rssErr)
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "server resident memory: not read from /metrics: %v\n", r.rssErr)
	}

	if r.bare != nil || r.raw != nil || r.sustained != nil {
		r.printTable(w)
	}

	fmt.Fprintln(w, "\nchecks:")
	for _, c := range r.checks {
		fmt.Fprintf(w, "  %s %s\n", passFail(c), c.text)
	}
	fmt.Fprintln(w, "targets:")
	for _, c := range r.targets() {
		fmt.Fprintf(w, "  %s %s\n", passFail(c), c.text)
	}
	if n := r.limited(); n > 0 {
		fmt.Fprintf(w, "\nThe server answered %d requests with 429: its rate limits are on, and every request here comes from\n"+
			"one address. Start it with SLOTGATE_RATE_LIMITS=off for this benchmark.\n", n)
	}
	if r.cleanup != "" {
		fmt.Fprintf(w, "\ncleanup: %s\n", r.cleanup)
	}
}

func perAnswer(t tally) time.Duration {
	if t.requests == 0 {
		return 0
	}
	return t.cpu / time.Duration(t.requests)
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// cpuOf says how much CPU the answering process spent per answer.
func cpuOf(t tally) string {
	if t.cpuMissing || t.cpu <= 0 {
		return ""
	}
	return fmt.Sprintf(", process CPU %.0fµs per answer (%.2fs)", us(perAnswer(t)), t.cpu.Seconds())
}

// printTable writes ours against the baselines, side by side.
func (r *report) printTable(w io.Writer) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\t    ours/s\tbaseline/s\t\tratio\ttarget")
	row := func(name string, ours, base float64, baseName, target string) {
		rt := "    -"
		if base > 0 && ours > 0 {
			rt = fmt.Sprintf("%5.2f", ours/base)
		}
		fmt.Fprintf(tw, "%s\t%10.0f\t%10.0f\t%s\t%s\t%s\n", name, ours, base, baseName, rt, target)
	}
	sold, soldName := r.soldOutRate()
	if r.flood != nil {
		row("sold-out answers (flood)", sold, r.bareRate(), "bare Echo", fmt.Sprintf(">= %.2f", soldOutTarget))
		row("sold-out answers (in crowd)", r.inCrowdSoldOutRate(), r.bareRate(), "bare Echo", "")
	} else {
		row("sold-out answers ("+soldName+")", sold, r.bareRate(), "bare Echo", fmt.Sprintf(">= %.2f", soldOutTarget))
	}
	if r.sustained != nil && r.raw != nil {
		row("confirmations (sustained)", r.sustainedRate(), r.rawRate(), "raw MariaDB tx", fmt.Sprintf(">= %.2f", confirmTarget))
	}
	if r.sustained != nil && r.raw == nil && r.opts.sqliteDir != "" {
		fmt.Fprintf(tw, "confirmations (sustained, embedded)\t%10.0f\t\t\t\t>= %d/s\n", r.sustainedRate(), embeddedTarget)
	}
	if r.raw != nil && len(r.raw.lat) > 0 && len(r.flash.confirmLat) > 0 {
		fmt.Fprintf(tw, "confirmed p99 (flash crowd)\t%8s\t%10s\traw MariaDB tx\t\t<= raw\n",
			ms(percentile(r.flash.confirmLat, 99)), ms(percentile(r.raw.lat, 99)))
	}
	if r.raw != nil {
		row("bookings (flash, to sell-out)", r.flashConfirmRate(), r.rawRate(), "raw MariaDB tx", "")
	}
	// CPU time per answer does not depend on how busy the machine is, as
	// rates do; the ratio here is baseline over ours, so that it reads like
	// the rows above (higher is better).
	if f := r.flood; f != nil && !f.cpuMissing && f.cpu > 0 && r.bare != nil && !r.bare.cpuMissing && r.bare.cpu > 0 {
		ours, base := perAnswer(*f), perAnswer(*r.bare)
		fmt.Fprintf(tw, "server CPU per sold-out answer\t%9.0fµs\t%9.0fµs\tbare Echo\t%5.2f\t\n",
			us(ours), us(base), float64(base)/float64(ours))
	}
	_ = tw.Flush()
}

func passFail(v verdict) string {
	switch {
	case v.skip:
		return "SKIP"
	case v.ok:
		return "PASS"
	}
	return "FAIL"
}
