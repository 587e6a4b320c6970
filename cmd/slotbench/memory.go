package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rssSampler reads the server's resident memory from its /metrics while
// the server is under load. It uses a client of its own, so that it never
// takes one of the load's connections.
type rssSampler struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	peak    float64
	samples int
	failed  int
	lastErr error
}

// sampleRSS starts scraping every server's metrics every interval until
// stop; the peak is the largest of any one server.
func sampleRSS(ctx context.Context, metricsURLs []string, every time.Duration) *rssSampler {
	ctx, cancel := context.WithCancel(ctx)
	s := &rssSampler{cancel: cancel, done: make(chan struct{})}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1}}
	go func() {
		defer close(s.done)
		defer client.CloseIdleConnections()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			for _, metricsURL := range metricsURLs {
				rss, err := scrapeRSS(ctx, client, metricsURL)
				s.mu.Lock()
				if err != nil {
					if ctx.Err() == nil {
						s.failed++
						s.lastErr = err
					}
				} else {
					s.samples++
					s.peak = max(s.peak, rss)
				}
				s.mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// stop ends the sampling and returns the peak in bytes, the number of
// samples, and the last error if some scrapes failed.
func (s *rssSampler) stop() (peak float64, samples, failed int, lastErr error) {
	s.cancel()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak, s.samples, s.failed, s.lastErr
}

func scrapeRSS(ctx context.Context, client *http.Client, metricsURL string) (float64, error) {
	return scrapeMetric(ctx, client, metricsURL, "process_resident_memory_bytes")
}

// processCPU reads the CPU time a process has used from its /metrics
// (process_cpu_seconds_total, user and system time together).
func processCPU(ctx context.Context, metricsURL string) (time.Duration, error) {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil}}
	defer client.CloseIdleConnections()
	s, err := scrapeMetric(ctx, client, metricsURL, "process_cpu_seconds_total")
	return time.Duration(s * float64(time.Second)), err
}

func scrapeMetric(ctx context.Context, client *http.Client, metricsURL, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", metricsURL, resp.Status)
	}
	return parseMetric(resp.Body, name)
}

// parseMetric finds the first sample of the metric name in Prometheus text
// format.
func parseMetric(r io.Reader, name string) (float64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name)
		if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		if rest != "" && rest[0] == '{' {
			if end := strings.IndexByte(rest, '}'); end >= 0 {
				rest = rest[end+1:]
			}
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		return strconv.ParseFloat(fields[0], 64)
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s in the metrics (is this slotgate?)", name)
}
