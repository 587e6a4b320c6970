package api

import (
	"fmt"
	"math"
	"strings"

	"github.com/labstack/echo/v4"

	"slotgate/domain"
)

// SetRateLimitHeaders reports the request limits a request was counted
// against, in the fields of the IETF httpapi RateLimit draft:
//
//	RateLimit-Policy: "booking-client";q=60;w=60;burst=20, ...
//	RateLimit: "booking-client";r=19;t=1, ...
//
// q requests per w seconds on average, of which burst at once; r requests
// may still be made at once, and the allowance is whole again in t seconds.
// A policy checked for several subjects (each ID of a party) is reported by
// its most used subject.
func SetRateLimitHeaders(c echo.Context, limits []domain.LimitStatus) {
	if len(limits) == 0 {
		return
	}
	var order []string
	worst := map[string]domain.LimitStatus{}
	for _, l := range limits {
		name := l.Policy.Name
		w, seen := worst[name]
		if !seen {
			order = append(order, name)
		}
		if !seen || l.Remaining < w.Remaining || (!l.Allowed && w.Allowed) {
			worst[name] = l
		}
	}
	policies, states := make([]string, len(order)), make([]string, len(order))
	for i, name := range order {
		l := worst[name]
		p := l.Policy
		policies[i] = fmt.Sprintf("%q;q=%d;w=%d;burst=%d", name, p.Quota, int(p.Window.Seconds()), p.Burst)
		states[i] = fmt.Sprintf("%q;r=%d;t=%d", name, l.Remaining, int(math.Ceil(l.Reset.Seconds())))
	}
	h := c.Response().Header()
	h.Set("RateLimit-Policy", strings.Join(policies, ", "))
	h.Set("RateLimit", strings.Join(states, ", "))
}
