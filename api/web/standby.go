package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"slotgate/api"
	"slotgate/api/pages"
	"slotgate/domain"
)

// The standby list on the pages: a full slot's refusal page offers it; the
// form is the booking form under another title; the visitor keeps the
// entry's own page, which says the place in the queue, the booking once
// made, and lets them withdraw.

// standbyForm shows the booking form for joining a full slot's list.
func (s *server) standbyForm(c echo.Context) error {
	bs, err := s.slotForBooking(c.Request().Context(), c.Param("slot"))
	if err != nil {
		return err
	}
	v := s.newView(c, "venues")
	n, _ := strconv.Atoi(c.QueryParam("n"))
	f := s.newStandbyForm(v, bs, n)
	v.Title, v.Data = v.text("standby.title"), f
	return s.renderPage(c, http.StatusOK, "book", v)
}

func (s *server) newStandbyForm(v *pageView, bs bookingSlot, n int) *formData {
	f := s.newForm(v, bs, n)
	f.Action = "/book/" + strconv.FormatInt(bs.Slot.ID, 10) + "/standby"
	for i := range f.Sizes {
		f.Sizes[i].URL = f.Action + "?n=" + strconv.Itoa(f.Sizes[i].N)
	}
	f.TitleKey, f.SubmitKey, f.Remaining = "standby.title", "standby.submit", v.text("standby.explain")
	return f
}

// standbySubmit joins the list through the same use case as the API.
func (s *server) standbySubmit(c echo.Context) error {
	slotID, err := strconv.ParseInt(c.Param("slot"), 10, 64)
	if err != nil || slotID <= 0 {
		return errNoPage
	}
	posted := readBookingForm(c, slotID)
	e, _, limits, err := s.Bookings.JoinStandby(c.Request().Context(), posted.Request)
	api.SetRateLimitHeaders(c, limits)
	if err == nil {
		return c.Redirect(http.StatusSeeOther, "/standby/"+e.Token)
	}
	bs, lerr := s.slotForBooking(c.Request().Context(), c.Param("slot"))
	if lerr != nil {
		return err
	}
	v := s.newView(c, "venues")
	switch domain.CodeOf(err) {
	case domain.CodeValidation, domain.CodeAlreadyBooked, domain.CodeRateLimited, domain.CodeUnavailable, domain.CodeConflict:
	default:
		return s.renderRefusal(c, v, bs, err)
	}
	f := s.newStandbyForm(v, bs, max(len(posted.Rows), 1))
	s.fillAgain(v, f, posted, err)
	v.Title, v.Data = v.text("standby.title"), f
	return s.renderPage(c, f.Alert.Status, "book", v)
}

type standbyView struct {
	Venue      venueCard
	DateLabel  string
	TimeLabel  string
	Status     string
	StatusText string
	Position   string
	Visitors   []partyLine
	BookingURL string
	Withdraw   string // the form's action while the entry waits
	Token      string
}

type partyLine struct {
	Name   string
	Masked string
}

// standbyPage is an entry's own page, found by its token.
func (s *server) standbyPage(c echo.Context) error {
	e, pos, err := s.Bookings.Standing(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	venue, err := s.Catalog.VenueByID(c.Request().Context(), e.VenueID)
	if err != nil {
		return err
	}
	v := s.newView(c, "lookup")
	d := standbyView{Venue: s.venueCard(v, venue), DateLabel: pages.LongDate(e.Slot.Date, v.Lang),
		TimeLabel: pages.TimeWindow(e.Slot, venue.Location()), Status: string(e.Status),
		StatusText: v.text("standby.status." + string(e.Status)), Token: e.Token}
	for _, vi := range e.Visitors {
		d.Visitors = append(d.Visitors, partyLine{Name: vi.Name, Masked: vi.IDMasked})
	}
	switch e.Status {
	case domain.StandbyWaiting:
		d.Position = v.textf("standby.position", pos)
		d.Withdraw = "/standby/" + url.PathEscape(e.Token) + "/withdraw"
	case domain.StandbyBooked:
		if b, err := s.Bookings.ByID(c.Request().Context(), e.BookingID); err == nil {
			d.BookingURL = "/bookings/" + s.Bookings.Code(b)
		}
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	v.Title, v.Data = v.text("standby.page"), d
	return s.renderPage(c, http.StatusOK, "standby", v)
}

// withdrawSubmit takes a waiting entry off the list.
func (s *server) withdrawSubmit(c echo.Context) error {
	if _, err := s.Bookings.WithdrawStandby(c.Request().Context(), c.Param("token")); err != nil && domain.CodeOf(err) != domain.CodeConflict {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/standby/"+c.Param("token"))
}
