package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"slotgate/domain"
)

// registerFairness adds the standby list and the admins' restriction routes.
func (s *server) registerFairness(v1 *echo.Group, auth signedIn) {
	v1.POST("/standby", s.joinStandby)
	v1.GET("/standby/:token", s.getStandby, s.limitLookups)
	v1.DELETE("/standby/:token", s.withdrawStandby, s.limitLookups)
	auth.GET("/admin/venues/:slug/restrictions", s.listRestrictions)
	auth.POST("/admin/restrictions/:id/lift", s.liftRestriction)
}

type standbyJSON struct {
	Token     string        `json:"token"`
	Status    string        `json:"status"`
	Position  int           `json:"position,omitempty"`
	Venue     string        `json:"venue"`
	Slot      slotRefJSON   `json:"slot"`
	PartySize int           `json:"party_size"`
	Visitors  []visitorJSON `json:"visitors"`
	// Booking is the booking's code once the standby list booked it.
	Booking string `json:"booking,omitempty"`
}

func (s *server) standbyOut(c echo.Context, e domain.StandbyEntry, pos int) (standbyJSON, error) {
	v, err := s.Catalog.VenueByID(c.Request().Context(), e.VenueID)
	if err != nil {
		return standbyJSON{}, err
	}
	out := standbyJSON{Token: e.Token, Status: string(e.Status), Position: pos, Venue: v.Slug, Slot: slotRef(e.Slot, v.Location()),
		PartySize: e.PartySize, Visitors: make([]visitorJSON, len(e.Visitors))}
	for i, vi := range e.Visitors {
		out.Visitors[i] = visitorJSON{Name: vi.Name, IDType: string(vi.IDType), IDMasked: vi.IDMasked}
	}
	if e.BookingID != 0 {
		if b, err := s.Bookings.ByID(c.Request().Context(), e.BookingID); err == nil {
			out.Booking = s.Bookings.Code(b)
		}
	}
	return out, nil
}

// joinStandby puts a party on a full slot's standby list: the same body,
// rules and limits as a booking.
func (s *server) joinStandby(c echo.Context) error {
	var body bookingBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	req := body.request("")
	req.ClientAddr = c.RealIP()
	e, pos, limits, err := s.Bookings.JoinStandby(c.Request().Context(), req)
	SetRateLimitHeaders(c, limits)
	if err != nil {
		return err
	}
	out, err := s.standbyOut(c, e, pos)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/standby/"+e.Token)
	return c.JSON(http.StatusCreated, out)
}

func (s *server) getStandby(c echo.Context) error {
	e, pos, err := s.Bookings.Standing(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	out, err := s.standbyOut(c, e, pos)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, out)
}

func (s *server) withdrawStandby(c echo.Context) error {
	e, err := s.Bookings.WithdrawStandby(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	out, err := s.standbyOut(c, e, 0)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

type restrictionJSON struct {
	ID       int64  `json:"id"`
	IDMasked string `json:"id_masked"`
	Until    string `json:"until"`
	Strikes  int    `json:"strikes"`
	Lifted   bool   `json:"lifted"`
}

func restrictionOut(r domain.Restriction) restrictionJSON {
	return restrictionJSON{ID: r.ID, IDMasked: r.IDMasked, Until: r.Until.String(), Strikes: r.Strikes, Lifted: r.Lifted}
}

func (s *server) listRestrictions(c echo.Context) error {
	rs, err := s.Fairness.Restrictions(c.Request().Context(), SessionOf(c).User, c.Param("slug"))
	if err != nil {
		return err
	}
	out := make([]restrictionJSON, len(rs))
	for i, r := range rs {
		out[i] = restrictionOut(r)
	}
	return c.JSON(http.StatusOK, out)
}

// reasonBody is a change that needs only its reason.
type reasonBody struct {
	Reason string `json:"reason"`
}

func (s *server) liftRestriction(c echo.Context) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return domain.ErrNotFound
	}
	var body reasonBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	r, err := s.Fairness.LiftRestriction(c.Request().Context(), SessionOf(c).User, id, body.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, restrictionOut(r))
}

// limitLookups bounds reading and cancelling by code per client address.
func (s *server) limitLookups(next echo.HandlerFunc) echo.HandlerFunc { return s.LimitLookups(next) }

// LimitLookups bounds reading and cancelling bookings and standby entries
// by code per client address: the API's routes and the pages' alike.
func (d *Deps) LimitLookups(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if d.Limiter == nil {
			return next(c)
		}
		got, err := d.Limiter.Allow(c.Request().Context(), domain.LimitCheck{Policy: d.LookupLimit, Subject: c.RealIP()})
		if err == nil {
			SetRateLimitHeaders(c, got)
			if len(got) == 1 && !got[0].Allowed {
				return domain.LimitedError(got[0])
			}
		}
		return next(c)
	}
}
