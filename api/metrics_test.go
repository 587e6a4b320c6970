package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"slotgate/internal/testkit"
)

// TestMetricsLabelsStayBounded: whatever clients send (any method, any
// path, any venue name in a staff request), /metrics label values come
// from fixed sets: known methods, route patterns, known venues, "other".
func TestMetricsLabelsStayBounded(t *testing.T) {
	ta, tokens := gateApp(t, testkit.Modes(t)[0])
	north := tokens["north"]
	for i := range 20 {
		req, _ := http.NewRequest(fmt.Sprintf("XMETHOD%d", i), ta.URL+fmt.Sprintf("/nowhere-%d", i), nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
		ta.Do(t, nil, "POST", "/api/v1/admissions", map[string]string{"code": "x", "gate": "North", "venue": fmt.Sprintf("xvenue-%d", i)},
			"Authorization", north)
		ta.Do(t, nil, "POST", fmt.Sprintf("/api/v1/venues/yvenue-%d/walkins", i), map[string]any{"gate": "North"}, "Authorization", north)
	}
	body := string(ta.Do(t, nil, "GET", "/metrics", nil).Body)
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, "slotgate_") {
			continue
		}
		for _, bad := range []string{"XMETHOD", "nowhere-", "xvenue-", "yvenue-"} {
			if strings.Contains(line, bad) {
				t.Errorf("a client's input became a label: %s", line)
			}
		}
	}
}
