package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"slotgate/api"
	"slotgate/api/pages"
	"slotgate/domain"
)

// The visitor's "my bookings" pages (phone, a code by text message, the
// list), cancelling one person of a party, and the alternatives a sold-out
// slot offers. They call the same use cases as the JSON API.

// pageVisitorCookie holds a visitor token on the pages: HttpOnly, a day.
const pageVisitorCookie = "slotgate_visitor"

func (s *server) registerMinePages(e *echo.Echo, mw []echo.MiddlewareFunc) {
	e.GET("/my", s.minePage, mw...)
	e.POST("/my", s.mineSendCode, mw...)
	e.POST("/my/verify", s.mineVerify, mw...)
	e.POST("/my/sign-out", s.mineSignOut, mw...)
	e.POST("/bookings/:code/visitors/:position/cancel", s.cancelPersonSubmit, mw...)
}

type mineData struct {
	Step      string // "phone", "code" or "list"
	Phone     string
	PhoneNote string
	Error     string
	Retry     string
	Bookings  []mineBooking
	Signed    string
}

type mineBooking struct {
	URL       string
	Number    string
	Venue     string
	When      string
	Party     string
	Status    string
	StatusTxt string
}

// minePage shows the list when the visitor is signed in, else the phone form.
func (s *server) minePage(c echo.Context) error {
	v := s.newView(c, "mine")
	v.Title = v.text("mine.title")
	token := ""
	if ck, err := c.Cookie(pageVisitorCookie); err == nil {
		token = ck.Value
	}
	if token == "" {
		v.Data = mineData{Step: "phone"}
		return s.renderPage(c, http.StatusOK, "mine", v)
	}
	ctx := c.Request().Context()
	phone, err := s.Visitors.Phone(ctx, token)
	if domain.CodeOf(err) == domain.CodeUnauthorized {
		clearVisitorCookie(c)
		v.Data = mineData{Step: "phone"}
		return s.renderPage(c, http.StatusOK, "mine", v)
	}
	if err != nil {
		return err
	}
	list, err := s.Visitors.Bookings(ctx, token)
	if err != nil {
		return err
	}
	d := mineData{Step: "list", Signed: v.textf("mine.signed", domain.MaskPhone(phone))}
	for _, b := range list {
		d.Bookings = append(d.Bookings, s.mineRow(ctx, v, b))
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	v.Data = d
	return s.renderPage(c, http.StatusOK, "mine", v)
}

func (s *server) mineRow(ctx context.Context, v *pageView, b domain.Booking) mineBooking {
	row := mineBooking{URL: "/bookings/" + s.Bookings.Code(b), Number: b.Number, Status: string(b.Status),
		StatusTxt: v.text("status." + string(b.Status)), Party: v.textf("form.people", b.PartySize)}
	if venue, err := s.Catalog.VenueByID(ctx, b.VenueID); err == nil {
		row.Venue = s.venueCard(v, venue).Name
		row.When = pages.LongDate(b.Slot.Date, v.Lang) + " " + pages.TimeWindow(b.Slot, venue.Location())
	}
	return row
}

// mineSendCode texts a one-time code to the phone and asks for it.
func (s *server) mineSendCode(c echo.Context) error {
	v := s.newView(c, "mine")
	v.Title = v.text("mine.title")
	phone := c.FormValue("phone")
	limits, err := s.Visitors.RequestCode(c.Request().Context(), phone, c.RealIP())
	api.SetRateLimitHeaders(c, limits)
	d := mineData{Step: "phone", Phone: phone}
	if err != nil {
		p := api.ProblemOf(err, v.Lang)
		var pv problemView
		pv.fill(p, v)
		d.Error, d.Retry = p.Detail, pv.Retry
		if len(p.Errors) > 0 {
			d.Error = p.Errors[0].Message
		}
		if d.Error == "" {
			d.Error = p.Title
		}
		v.Data = d
		return s.renderPage(c, p.Status, "mine", v)
	}
	normal, _, _ := domain.NormalizePhone(phone)
	d.Step, d.Phone, d.PhoneNote = "code", normal, v.textf("mine.code.hint", domain.MaskPhone(normal))
	v.Data = d
	return s.renderPage(c, http.StatusOK, "mine", v)
}

// mineVerify checks the code and keeps the visitor token in a cookie.
func (s *server) mineVerify(c echo.Context) error {
	phone := c.FormValue("phone")
	token, limits, err := s.Visitors.Verify(c.Request().Context(), phone, c.FormValue("otp"), c.RealIP())
	api.SetRateLimitHeaders(c, limits)
	if err != nil {
		v := s.newView(c, "mine")
		v.Title = v.text("mine.title")
		p := api.ProblemOf(err, v.Lang)
		d := mineData{Step: "code", Phone: phone, Error: v.text("mine.wrong")}
		if p.Code != domain.CodeUnauthorized {
			d.Error = p.Title
		} else {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="slotgate-visitor"`)
		}
		v.Data = d
		return s.renderPage(c, p.Status, "mine", v)
	}
	c.SetCookie(&http.Cookie{Name: pageVisitorCookie, Value: token, Path: "/", MaxAge: int(domain.VisitorSessionLength / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https"})
	return c.Redirect(http.StatusSeeOther, "/my")
}

func (s *server) mineSignOut(c echo.Context) error {
	clearVisitorCookie(c)
	return c.Redirect(http.StatusSeeOther, "/my")
}

func clearVisitorCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: pageVisitorCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// cancelPersonSubmit cancels one person through the same use case as
// DELETE /api/v1/bookings/{code}/visitors/{position}.
func (s *server) cancelPersonSubmit(c echo.Context) error {
	pos, err := strconv.Atoi(c.Param("position"))
	if err != nil || pos < 1 {
		return errNoPage
	}
	b, err := s.Bookings.CancelPerson(c.Request().Context(), c.Param("code"), pos)
	if err == nil {
		return c.Redirect(http.StatusSeeOther, "/bookings/"+s.Bookings.Code(b)+"#party")
	}
	if domain.CodeOf(err) != domain.CodeNotCancellable {
		return err
	}
	v := s.newView(c, "lookup")
	d, derr := s.bookingView(c, v)
	if derr != nil {
		return err
	}
	return s.renderNotCancellable(c, v, d)
}

// nearbySlots are the slots with room for n people nearest to bs: the
// rest of that day and the next day, nearest in time first, at most max.
func (s *server) nearbySlots(ctx context.Context, v *pageView, bs bookingSlot, n, max int) []pageLink {
	type cand struct {
		link pageLink
		gap  time.Duration
	}
	var all []cand
	loc := bs.Venue.Location()
	for i := range 2 {
		d := bs.Slot.Date.AddDays(i)
		views, err := s.Catalog.SlotsOn(ctx, bs.Venue, d)
		if err != nil {
			return nil
		}
		for _, sv := range views {
			if sv.ID == bs.Slot.ID || sv.State != domain.SlotStateOpen || sv.Remaining < n {
				continue
			}
			gap := sv.Start.Sub(bs.Slot.Start)
			if gap < 0 {
				gap = -gap
			}
			label := pages.ShortDate(d, v.Lang) + " " + pages.TimeWindow(sv.Slot, loc) + v.text("sep.colon") + v.textf("venue.remaining", sv.Remaining, sv.Availability.Quota)
			all = append(all, cand{pageLink{label, "/book/" + strconv.FormatInt(sv.ID, 10) + "?n=" + strconv.Itoa(n)}, gap})
		}
	}
	for i := 1; i < len(all); i++ {
		for j := i; j > 0 && all[j].gap < all[j-1].gap; j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	var out []pageLink
	for i := 0; i < len(all) && i < max; i++ {
		out = append(out, all[i].link)
	}
	return out
}

// standbyURL is the standby form of a slot for n people.
func standbyURL(slotID int64, n int) string {
	return "/book/" + strconv.FormatInt(slotID, 10) + "/standby?" + url.Values{"n": {strconv.Itoa(n)}}.Encode()
}
