package api

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"slotgate/domain"
)

// SetRateLimitHeaders reports the request limits a request was counted
// against, in the fields of the IETF httpapi RateLimit draft
// (draft-ietf-httpapi-ratelimit-headers), with only its parameters:
//
//	RateLimit-Policy: "booking-client";q=20;w=20, ...
//	RateLimit: "booking-client";r=19;t=1, ...
//
// A limit is a GCRA (LimitPolicy): Quota per Window on average, Burst at
// once. It is told as the token bucket it is: q is the burst, and w the
// seconds the steady rate takes to give a whole burst back (Burst ×
// Window/Quota, rounded up). A client that keeps to q per w is never
// refused. r is what may be sent at once now, never above q; t is the
// seconds until r is q again. A policy checked for several subjects (each
// ID of a party) is reported by its most used subject.
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
		q, w := draftQuota(p)
		r := min(max(l.Remaining, 0), q)
		policies[i] = fmt.Sprintf("%q;q=%d;w=%d", name, q, w)
		states[i] = fmt.Sprintf("%q;r=%d;t=%d", name, r, int(math.Ceil(max(l.Reset, 0).Seconds())))
	}
	h := c.Response().Header()
	h.Set("RateLimit-Policy", strings.Join(policies, ", "))
	h.Set("RateLimit", strings.Join(states, ", "))
}

// draftQuota is a policy as the draft's quota q per window w seconds: the
// burst, and the time the steady rate takes to refill it.
func draftQuota(p domain.LimitPolicy) (q, w int) {
	q = max(p.Burst, 1)
	w = int(math.Ceil((time.Duration(q) * p.Interval()).Seconds()))
	return q, max(w, 1)
}
