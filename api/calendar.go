package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"slotgate/domain"
)

// The holiday calendar: special days that open a day the weekly rule
// closes, or close a day ahead.

type dayBody struct {
	Open   *bool      `json:"open"`
	Hours  *hoursJSON `json:"hours"`
	Reason string     `json:"reason"`
}

type specialDayJSON struct {
	Date      string     `json:"date"`
	Open      bool       `json:"open"`
	Hours     *hoursJSON `json:"hours,omitempty"`
	Reason    string     `json:"reason"`
	UpdatedBy string     `json:"updated_by,omitempty"`
	UpdatedAt string     `json:"updated_at"`
}

func specialDayOut(d domain.SpecialDay, loc *time.Location) specialDayJSON {
	out := specialDayJSON{Date: d.Date.String(), Open: d.Open, Reason: d.Reason, UpdatedBy: d.UpdatedBy,
		UpdatedAt: d.UpdatedAt.In(loc).Format(time.RFC3339)}
	if d.Open {
		out.Hours = &hoursJSON{Open: d.Hours.Open.String(), Close: d.Hours.Close.String()}
	}
	return out
}

// setDay answers PUT /admin/venues/{slug}/days/{date}.
func (s *server) setDay(c echo.Context) error {
	var body dayBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	d, err := domain.ParseDate(c.Param("date"))
	if err != nil {
		return domain.Invalid("date", domain.RuleDate)
	}
	if body.Open == nil {
		return domain.Invalid("open", domain.RuleRequired)
	}
	var hours *domain.Hours
	if body.Hours != nil {
		o, err1 := domain.ParseMinute(body.Hours.Open)
		cl, err2 := domain.ParseMinute(body.Hours.Close)
		if err1 != nil || err2 != nil {
			return domain.Invalid("hours", domain.RuleHours)
		}
		hours = &domain.Hours{Open: o, Close: cl}
	}
	ch, err := s.Admin.SetDay(c.Request().Context(), SessionOf(c).User, c.Param("slug"), d, *body.Open, hours, body.Reason)
	if err != nil {
		return err
	}
	v, err := s.Catalog.Venue(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	people := 0
	for _, b := range ch.Closure.Cancelled {
		people += b.PartySize
	}
	return c.JSON(http.StatusOK, map[string]any{"day": specialDayOut(ch.Day, v.Location()), "slots_created": ch.Created,
		"slots_reopened": len(ch.Reopened), "slots": ch.SlotCount, "slots_closed": len(ch.Closure.Slots), "bookings_cancelled": len(ch.Closure.Cancelled),
		"people_notified": people})
}

// listDays answers GET /admin/venues/{slug}/days?from=&to= (default: the
// venue's today and the 60 days after).
func (s *server) listDays(c echo.Context) error {
	v, err := s.Catalog.Venue(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	from, to, err := dateRange(c, v.Today(s.Clock.Now()), 60)
	if err != nil {
		return err
	}
	days, err := s.Admin.Days(c.Request().Context(), SessionOf(c).User, v.Slug, from, to)
	if err != nil {
		return err
	}
	out := make([]specialDayJSON, len(days))
	for i, d := range days {
		out[i] = specialDayOut(d, v.Location())
	}
	return c.JSON(http.StatusOK, out)
}

// dateRange reads ?from= and ?to=; absent, from is today and to is span
// days after from.
func dateRange(c echo.Context, today domain.Date, span int) (domain.Date, domain.Date, error) {
	from, to := today, domain.Date{}
	if q := c.QueryParam("from"); q != "" {
		d, err := domain.ParseDate(q)
		if err != nil {
			return from, to, domain.Invalid("from", domain.RuleDate)
		}
		from = d
	}
	to = from.AddDays(span)
	if q := c.QueryParam("to"); q != "" {
		d, err := domain.ParseDate(q)
		if err != nil {
			return from, to, domain.Invalid("to", domain.RuleDate)
		}
		to = d
	}
	if to.Before(from) {
		return from, to, domain.Invalid("to", domain.RuleDate)
	}
	return from, to, nil
}
