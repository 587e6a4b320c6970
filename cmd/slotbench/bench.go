package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"
)

// rssEvery is how often the server's resident memory is read.
const rssEvery = 250 * time.Millisecond

// bench makes the whole run: set up, the server's phases, the baselines,
// the checks in MySQL, and the cleanup. Progress goes to progress; the
// report is returned, partly filled when the run stopped early.
func bench(ctx context.Context, o options, progress io.Writer) (rep *report, err error) {
	start := time.Now()
	say := func(format string, args ...any) {
		fmt.Fprintf(progress, "slotbench: "+format+"\n", args...)
	}
	rep = &report{opts: o, cpus: runtime.NumCPU()}
	sustainedQuota := max(2*o.sustained, 1)

	slug := runSlug(start, os.Getpid())
	say("adding venue %s and its slots to the server's database", slug)
	f, err := setUp(ctx, o.dsn, o.sqliteDir, slug, o.quota, sustainedQuota)
	if f != nil {
		defer func() {
			if o.keep {
				rep.cleanup = fmt.Sprintf("kept venue %s (id %d) and its rows (-keep)", slug, f.venue.ID)
			} else {
				// The run's context may be cancelled (Ctrl-C); the rows
				// must go all the same.
				cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
				defer cancel()
				if cerr := f.cleanUp(cctx); cerr != nil {
					rep.cleanup = fmt.Sprintf("FAILED to remove venue %s (id %d): %v", slug, f.venue.ID, cerr)
					rep.cleanupFailed = true
				} else {
					rep.cleanup = fmt.Sprintf("removed venue %s with its slots, bookings and visitors", slug)
				}
			}
			f.close()
		}()
	}
	if err != nil {
		return rep, err
	}
	rep.venue, rep.flashSlot, rep.sustainedSlot, rep.sustainedQuota = f.venue.Slug, f.flash.ID, f.sustained.ID, sustainedQuota

	l := newLoader(o.clients, o.timeout)
	defer l.close()
	for _, u := range o.urls {
		say("waiting for the server at %s to see the venue", u)
		if err := f.waitForServer(ctx, l, u, 15*time.Second); err != nil {
			return rep, err
		}
	}

	// Every body is made before any clock starts. The bare baseline gets
	// the flash crowd's own bodies, so that both read the same bytes.
	c := newCrowd(start.Unix())
	flashBodies := c.bodies(f.flash.ID, 'A', o.n, o.party)
	floodBodies := c.bodies(f.flash.ID, 'F', o.soldOut, o.party)
	sustainedBodies := c.bodies(f.sustained.ID, 'S', o.sustained, 1)
	bookURL := withPath(o.urls, "/api/v1/bookings")
	if err := l.warm(ctx, withPath(o.urls, "/healthz")); err != nil {
		return rep, fmt.Errorf("open %d connections to the server: %w", o.clients, err)
	}
	metrics := withPath(o.urls, "/metrics")
	rss := sampleRSS(ctx, metrics, rssEvery)
	say("flash crowd: %d requests from %d clients at slot %d (quota %d)", o.n, o.clients, f.flash.ID, o.quota)
	rep.flash = measure(ctx, metrics, func() phaseResult { return l.post(ctx, bookURL, flashBodies) })
	if err := ctx.Err(); err != nil {
		rss.stop()
		return rep, err
	}
	if rep.flash.limited > 0 {
		// Nothing after this would measure anything but the limiter.
		rep.rssPeak, rep.rssSamples, rep.rssFailed, rep.rssErr = rss.stop()
		return rep, fmt.Errorf("the server answered %d requests with 429 rate_limited: start it with SLOTGATE_RATE_LIMITS=off", rep.flash.limited)
	}

	// The sold-out flood and the bare Echo baseline, and then the sustained
	// phase and the raw MariaDB baseline, run in alternating rounds, each
	// pair in turn first: other work on a shared machine comes and goes in
	// seconds, and alternating gives both sides of a ratio the same share
	// of it.
	say("baseline: bare Echo handler in its own process")
	bare, err := startBare(ctx, rep.flash.soldBody)
	if err != nil {
		rss.stop()
		return rep, err
	}
	if err := l.warm(ctx, []string{bare.url + "/healthz"}); err != nil {
		bare.stop()
		rss.stop()
		return rep, fmt.Errorf("bare server: %w", err)
	}
	bareURL := []string{bare.url + "/api/v1/bookings"}
	var flood, bareT tally
	rounds := o.rounds
	if o.soldOut == 0 {
		rounds = 1 // the bare baseline alone
	}
	inRounds(ctx, rounds, func(i int) {
		if o.soldOut == 0 {
			return
		}
		chunk := part(floodBodies, i, rounds)
		say("sold-out flood, round %d of %d: %d requests at the full slot", i+1, rounds, len(chunk))
		flood = flood.merge(measure(ctx, metrics, func() phaseResult { return l.post(ctx, bookURL, chunk) }))
	}, func(i int) {
		chunk := part(flashBodies, i, rounds)
		say("bare Echo, round %d of %d: %d requests", i+1, rounds, len(chunk))
		bareT = bareT.merge(measure(ctx, []string{bare.url + "/metrics"}, func() phaseResult { return l.post(ctx, bareURL, chunk) }))
	})
	bare.stop()
	if o.soldOut > 0 {
		rep.flood = &flood
	}
	rep.bare = &bareT

	if o.sustained > 0 && ctx.Err() == nil && o.sqliteDir != "" {
		// The embedded defaults: the server alone, no raw MariaDB to compare.
		say("sustained: %d party-of-1 bookings at slot %d (quota %d)", o.sustained, f.sustained.ID, sustainedQuota)
		s := measure(ctx, metrics, func() phaseResult { return l.post(ctx, bookURL, sustainedBodies) })
		rep.sustained = &s
	}
	if o.sustained > 0 && ctx.Err() == nil && o.sqliteDir == "" {
		raw, err := openRaw(ctx, o.dsn, f, o.sustained, o.clients, o.conns)
		if err != nil {
			rss.stop()
			return rep, fmt.Errorf("raw MariaDB baseline: %w", err)
		}
		var sustained tally
		var rawR rawResult
		inRounds(ctx, o.rounds, func(i int) {
			chunk := part(sustainedBodies, i, o.rounds)
			say("sustained, round %d of %d: %d party-of-1 bookings at slot %d (quota %d)", i+1, o.rounds, len(chunk), f.sustained.ID, sustainedQuota)
			sustained = sustained.merge(measure(ctx, metrics, func() phaseResult { return l.post(ctx, bookURL, chunk) }))
		}, func(i int) {
			n := len(part(sustainedBodies, i, o.rounds))
			say("raw MariaDB, round %d of %d: %d booking transactions on slot %d", i+1, o.rounds, n, f.raw.ID)
			rawR = rawR.merge(raw.run(ctx, n))
		})
		raw.close()
		rep.sustained, rep.raw = &sustained, &rawR
	}
	l.close()
	rep.rssPeak, rep.rssSamples, rep.rssFailed, rep.rssErr = rss.stop()
	if err := ctx.Err(); err != nil {
		return rep, err
	}

	if o.redisURL != "" && o.sqliteDir == "" {
		say("baseline: redis-benchmark GET")
		rep.redisRPS, rep.redisArgs, rep.redisRan, rep.redisErr = redisBenchmark(ctx, o.redisURL)
	}

	say("checking MySQL")
	if err := rep.check(ctx, f); err != nil {
		return rep, err
	}
	return rep, nil
}

// inRounds runs a server phase and its baseline in alternating rounds,
// each of them first in every other round, until ctx ends.
func inRounds(ctx context.Context, rounds int, server, baseline func(round int)) {
	for i := range rounds {
		if ctx.Err() != nil {
			return
		}
		if i%2 == 0 {
			server(i)
			baseline(i)
		} else {
			baseline(i)
			server(i)
		}
	}
}

// part is round i's share of the bodies, of rounds shares.
func part(bodies [][]byte, i, rounds int) [][]byte {
	return bodies[i*len(bodies)/rounds : (i+1)*len(bodies)/rounds]
}

// measure runs a phase and tallies it, with the CPU time the answering
// processes spent on it, read from their /metrics before and after.
func measure(ctx context.Context, metricsURLs []string, phase func() phaseResult) tally {
	before, errBefore := processesCPU(ctx, metricsURLs)
	t := tallyOf(phase())
	after, errAfter := processesCPU(ctx, metricsURLs)
	if errBefore == nil && errAfter == nil && after >= before {
		t.cpu = after - before
	} else {
		t.cpuMissing = true
	}
	return t
}

// processesCPU sums the CPU time of every server.
func processesCPU(ctx context.Context, metricsURLs []string) (time.Duration, error) {
	var sum time.Duration
	for _, u := range metricsURLs {
		d, err := processCPU(ctx, u)
		if err != nil {
			return 0, err
		}
		sum += d
	}
	return sum, nil
}

// withPath is each base URL with path appended.
func withPath(bases []string, path string) []string {
	out := make([]string, len(bases))
	for i, b := range bases {
		out[i] = b + path
	}
	return out
}
