package web_test

import (
	"net/http"
	"testing"

	"slotgate/internal/app"
	"slotgate/internal/testkit"
)

// TestPagesByCodeAreLimited: the pages that read or cancel a booking (or
// a standby entry) by its code count against the same per-address limit
// as the API's routes do.
func TestPagesByCodeAreLimited(t *testing.T) {
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{Configure: func(c *app.Config) {
		c.RateLimits = "on"
		c.LookupLimit.Quota, c.LookupLimit.Burst = 2, 2
	}})
	code := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	for _, path := range []string{"/bookings/" + code, "/bookings/" + code + "/print", "/bookings/" + code + "/cancel",
		"/standby/0123456789abcdef0123456789abcdef"} {
		limited := false
		for range 4 {
			if res := ta.Do(t, nil, "GET", path, nil, "Accept", "text/html"); res.Status == http.StatusTooManyRequests {
				limited = true
				break
			}
		}
		if !limited {
			t.Errorf("GET %s: never limited", path)
		}
		// A fresh allowance for the next page.
		if err := ta.Redis.Client().FlushDB(t.Context()).Err(); err != nil {
			t.Fatal(err)
		}
	}
}
