package api_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"slotgate/internal/testkit"
)

// rawGet fetches path without Go's transparent decompression.
func rawGet(t *testing.T, ta *testkit.TestApp, path string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", ta.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

var assetRef = regexp.MustCompile(`(?:href|src)="(/[^"]+\.(?:css|js)(?:\?[^"]*)?)"`)

// TestGzipPages: pages and their CSS and JS are gzip-compressed for a
// client that asks, to the same bytes once decompressed, with Vary:
// Accept-Encoding; not for one that does not; never the API's JSON or
// images.
func TestGzipPages(t *testing.T) {
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{})
	paths := []string{"/", "/venues/jinyun-mountain", "/staff/login", "/admin/venues/jinyun-mountain", "/api/docs", "/problems/sold_out",
		"/admin/assets/admin.css", "/admin/assets/admin.js", "/admin/assets/live.js"}
	_, home := rawGet(t, ta, "/")
	_, login := rawGet(t, ta, "/staff/login")
	for _, page := range [][]byte{home, login} {
		for _, m := range assetRef.FindAllSubmatch(page, -1) {
			paths = append(paths, string(m[1]))
		}
	}
	if len(paths) < 10 {
		t.Fatalf("too few assets found: %v", paths)
	}
	large := 0
	for _, path := range paths {
		plainRes, plain := rawGet(t, ta, path)
		res, zipped := rawGet(t, ta, path, "Accept-Encoding", "gzip, br")
		if plainRes.StatusCode != 200 || res.StatusCode != 200 {
			t.Errorf("%s: %d / %d", path, plainRes.StatusCode, res.StatusCode)
			continue
		}
		if plainRes.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s: Content-Encoding %q without Accept-Encoding", path, plainRes.Header.Get("Content-Encoding"))
		}
		if len(plain) < 1024 { // not worth it
			if res.Header.Get("Content-Encoding") != "" {
				t.Errorf("%s: %d bytes gzipped", path, len(plain))
			}
			continue
		}
		large++
		if res.Header.Get("Content-Encoding") != "gzip" || !varyHas(res.Header, "Accept-Encoding") {
			t.Errorf("%s: Content-Encoding %q, Vary %q", path, res.Header.Get("Content-Encoding"), res.Header.Values("Vary"))
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(zipped))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		unzipped, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		// Pages carry a fresh CSRF token; assets must be byte for byte the same.
		if strings.Contains(path, ".css") || strings.Contains(path, ".js") {
			if !bytes.Equal(unzipped, plain) {
				t.Errorf("%s: gunzipped body differs", path)
			}
		} else if len(unzipped) < len(plain)/2 || !bytes.Contains(unzipped, []byte("</html>")) {
			t.Errorf("%s: gunzipped page of %d bytes, plain %d", path, len(unzipped), len(plain))
		}
		if len(zipped) >= len(plain) {
			t.Errorf("%s: %d bytes gzipped, %d plain", path, len(zipped), len(plain))
		}
	}
	if large < 8 {
		t.Errorf("only %d answers over 1 KiB", large)
	}
	// The OpenAPI document is the one large JSON answer.
	if res, body := rawGet(t, ta, "/api/v1/openapi.json", "Accept-Encoding", "gzip"); res.Header.Get("Content-Encoding") != "gzip" || len(body) > 64<<10 {
		t.Errorf("openapi.json: Content-Encoding %q, %d bytes", res.Header.Get("Content-Encoding"), len(body))
	}
	for _, path := range []string{"/api/v1/venues", "/api/v1/venues/jinyun-mountain/slots", "/healthz"} {
		if res, _ := rawGet(t, ta, path, "Accept-Encoding", "gzip"); res.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s: Content-Encoding %q", path, res.Header.Get("Content-Encoding"))
		}
	}
}

// TestMetricsOpenMetrics: /metrics answers OpenMetrics to a client that
// asks for it, and Prometheus' text format otherwise.
func TestMetricsOpenMetrics(t *testing.T) {
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{})
	ta.Do(t, nil, "GET", "/api/v1/venues", nil)
	res := ta.Do(t, nil, "GET", "/metrics", nil, "Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text") || !strings.HasSuffix(string(res.Body), "# EOF\n") ||
		!strings.Contains(string(res.Body), "slotgate_http_requests_total{") {
		t.Errorf("OpenMetrics: %s\n%.300s", ct, res.Body)
	}
	res = ta.Do(t, nil, "GET", "/metrics", nil)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || strings.Contains(string(res.Body), "# EOF") {
		t.Errorf("default format: %s", ct)
	}
}
