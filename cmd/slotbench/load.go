package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxRequests bounds one phase: visitor numbers and phones are made from
// the request's index and must stay within their formats.
const maxRequests = 10_000_000

// loader sends prepared requests from a fixed number of clients. Every
// phase and every baseline goes through it, so that the client's own cost
// is the same in each figure.
type loader struct {
	client  *http.Client
	clients int
}

func newLoader(clients int, timeout time.Duration) *loader {
	tr := &http.Transport{
		// Loopback only: a proxy from the environment would be measured too.
		Proxy:       nil,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		// One keep-alive connection per client and host, kept between
		// phases, so that no phase pays for connecting.
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: clients,
		MaxConnsPerHost:     clients,
		IdleConnTimeout:     2 * time.Minute,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &loader{client: &http.Client{Transport: tr, Timeout: timeout}, clients: clients}
}

// close drops the idle connections, which the servers would otherwise keep
// until their idle timeout.
func (l *loader) close() { l.client.CloseIdleConnections() }

// warm opens the clients' connections to base before a phase is timed: all
// clients send a few GETs at once, which leaves about one idle connection
// per client in the pool.
func (l *loader) warm(ctx context.Context, rawURLs []string) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		gate  = make(chan struct{})
	)
	for i := range l.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			for range 3 {
				err := l.get(ctx, rawURLs[i%len(rawURLs)])
				if err != nil {
					mu.Lock()
					first = cmpErr(first, err)
					mu.Unlock()
					return
				}
			}
		}()
	}
	close(gate)
	wg.Wait()
	return first
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// get fetches rawURL and wants 200.
func (l *loader) get(ctx context.Context, rawURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return err
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", rawURL, resp.Status)
	}
	return nil
}

// answer is what one request got.
type answer struct {
	status int    // 0: no HTTP answer (see err)
	code   string // problem code of an error answer
	err    string // transport failure
	id     int64  // booking id of a 201
	party  int    // party size of a 201
	took   time.Duration
	at     time.Duration // completion, from the start of the phase
	body   []byte        // kept for the first sold-out answer only
}

// phaseResult is every answer of one phase, by request index.
type phaseResult struct {
	answers []answer
	wall    time.Duration // from the first request sent to the last answer
}

// post sends each body once, from l.clients clients at once, and records
// every answer. With several servers, client i keeps to rawURLs[i mod n],
// as a load balancer spreading connections would. The bodies are ready before the clock starts, and
// the answers go to a slot of a preallocated slice, so that the clients do
// as little work of their own as possible while measured.
func (l *loader) post(ctx context.Context, rawURLs []string, bodies [][]byte) phaseResult {
	answers := make([]answer, len(bodies))
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		start   = make(chan struct{})
		t0      time.Time
		keptOne atomic.Bool
	)
	for c := range min(l.clients, len(bodies)) {
		rawURL := rawURLs[c%len(rawURLs)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			buf.Grow(4 << 10)
			<-start
			for {
				i := int(next.Add(1) - 1)
				if i >= len(bodies) {
					return
				}
				a := l.send(ctx, rawURL, bodies[i], &buf, t0)
				if a.code == codeSoldOut && !keptOne.Load() && keptOne.CompareAndSwap(false, true) {
					a.body = bytes.Clone(buf.Bytes())
				}
				answers[i] = a
			}
		}()
	}
	t0 = time.Now()
	close(start)
	wg.Wait()
	return phaseResult{answers: answers, wall: time.Since(t0)}
}

// codeSoldOut is the problem code of a sold-out answer.
const codeSoldOut = "sold_out"

// send makes one request; buf is the client's own buffer for the body.
func (l *loader) send(ctx context.Context, rawURL string, body []byte, buf *bytes.Buffer, t0 time.Time) answer {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return answer{err: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	begin := time.Now()
	resp, err := l.client.Do(req)
	if err != nil {
		end := time.Now()
		return answer{err: transportError(err), took: end.Sub(begin), at: end.Sub(t0)}
	}
	buf.Reset()
	_, err = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	end := time.Now()
	a := answer{status: resp.StatusCode, took: end.Sub(begin), at: end.Sub(t0)}
	switch {
	case err != nil:
		a.status, a.err = 0, "reading the answer: "+transportError(err)
	case a.status == http.StatusCreated:
		var b struct {
			ID        int64 `json:"id"`
			PartySize int   `json:"party_size"`
		}
		if json.Unmarshal(buf.Bytes(), &b) != nil {
			a.code = "unreadable_booking"
		}
		a.id, a.party = b.ID, b.PartySize
	case a.status >= 400:
		a.code = problemCode(buf.Bytes())
	}
	return a
}

// problemCode picks the "code" member out of a problem+json body without
// decoding all of it: this runs for every sold-out answer while measured.
func problemCode(body []byte) string {
	const key = `"code":"`
	i := bytes.Index(body, []byte(key))
	if i < 0 {
		return "no_problem_code"
	}
	rest := body[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || j > 64 {
		return "no_problem_code"
	}
	return string(rest[:j])
}

// transportError shortens a client error to its cause, without the URL,
// so that errors of one kind count under one name.
func transportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}

// tally sums up a phase's answers.
type tally struct {
	requests    int
	confirmed   int // 201 answers
	places      int // sum of the 201 answers' party sizes
	ids         []int64
	soldOut     int // 409 sold_out answers
	errors      map[string]int
	limited     int // 429 answers: the server's rate limits are on
	confirmLat  []time.Duration
	soldOutLat  []time.Duration
	allLat      []time.Duration
	lastConfirm time.Duration // completion of the last 201, from the phase's start
	firstSold   time.Duration
	lastSold    time.Duration
	// soldAfter counts sold-out answers completed after the last 201.
	soldAfter int
	wall      time.Duration
	soldBody  []byte
	// cpu is the CPU time the answering process used during the phase,
	// from its /metrics, unless cpuMissing: it could not be read.
	cpu        time.Duration
	cpuMissing bool
}

// tallyOf classifies every answer: 201 is a confirmation, 409 sold_out a
// sold-out answer, anything else an error counted by status and code.
func tallyOf(r phaseResult) tally {
	t := tally{requests: len(r.answers), errors: map[string]int{}, wall: r.wall, firstSold: -1}
	for _, a := range r.answers {
		t.allLat = append(t.allLat, a.took)
		switch {
		case a.status == http.StatusCreated && a.code == "":
			t.confirmed++
			t.places += a.party
			t.ids = append(t.ids, a.id)
			t.confirmLat = append(t.confirmLat, a.took)
			t.lastConfirm = max(t.lastConfirm, a.at)
		case a.status == http.StatusConflict && a.code == codeSoldOut:
			t.soldOut++
			t.soldOutLat = append(t.soldOutLat, a.took)
			if t.firstSold < 0 || a.at < t.firstSold {
				t.firstSold = a.at
			}
			t.lastSold = max(t.lastSold, a.at)
			if a.body != nil {
				t.soldBody = a.body
			}
		case a.status == 0:
			t.errors["no answer: "+a.err]++
		default:
			if a.status == http.StatusTooManyRequests {
				t.limited++
			}
			t.errors[fmt.Sprintf("%d %s", a.status, a.code)]++
		}
	}
	if t.confirmed > 0 {
		for _, a := range r.answers {
			if a.status == http.StatusConflict && a.code == codeSoldOut && a.at > t.lastConfirm {
				t.soldAfter++
			}
		}
	}
	for _, d := range [][]time.Duration{t.confirmLat, t.soldOutLat, t.allLat} {
		slices.Sort(d)
	}
	return t
}

// merge adds the answers of another round of the same kind. Only counts,
// latencies, wall and CPU time add up: times within a phase (lastConfirm and
// the like) belong to the flash crowd, which runs in one piece.
func (t tally) merge(u tally) tally {
	if t.errors == nil {
		t.errors = map[string]int{}
	}
	t.requests += u.requests
	t.confirmed += u.confirmed
	t.places += u.places
	t.ids = append(t.ids, u.ids...)
	t.soldOut += u.soldOut
	t.limited += u.limited
	for k, v := range u.errors {
		t.errors[k] += v
	}
	for _, d := range []struct{ dst, src *[]time.Duration }{
		{&t.confirmLat, &u.confirmLat}, {&t.soldOutLat, &u.soldOutLat}, {&t.allLat, &u.allLat},
	} {
		*d.dst = append(*d.dst, *d.src...)
		slices.Sort(*d.dst)
	}
	// CPU time is known for the whole only if it is known for every round.
	t.cpu += u.cpu
	t.cpuMissing = t.cpuMissing || u.cpuMissing
	t.wall += u.wall
	if t.soldBody == nil {
		t.soldBody = u.soldBody
	}
	return t
}

// errorCount is every answer that is neither a confirmation nor sold out.
func (t tally) errorCount() int { return t.requests - t.confirmed - t.soldOut }

// errorList names the errors, most frequent first.
func (t tally) errorList() string {
	if len(t.errors) == 0 {
		return ""
	}
	keys := make([]string, 0, len(t.errors))
	for k := range t.errors {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if t.errors[keys[i]] != t.errors[keys[j]] {
			return t.errors[keys[i]] > t.errors[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, t.errors[k])
	}
	return strings.Join(parts, ", ")
}

// rate is count per second of d, or 0 when d is too short to tell.
func rate(count int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(count) / d.Seconds()
}

// percentile is the nearest-rank percentile p (0 to 100) of sorted d.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	rank := int(float64(len(d))*p/100+0.999999) - 1
	return d[min(max(rank, 0), len(d)-1)]
}
