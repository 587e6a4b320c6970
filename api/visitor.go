package api

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"slotgate/domain"
)

type venueJSON struct {
	Slug                   string    `json:"slug"`
	Name                   nameJSON  `json:"name"`
	Kind                   string    `json:"kind"`
	Timezone               string    `json:"timezone"`
	Hours                  hoursJSON `json:"hours"`
	ClosedWeekdays         []int     `json:"closed_weekdays"`
	SlotMinutes            int       `json:"slot_minutes"`
	DefaultQuota           int       `json:"default_quota"`
	BookingWindowDays      int       `json:"booking_window_days"`
	MaxPartySize           int       `json:"max_party_size"`
	AdmissionMinutesBefore int       `json:"admission_minutes_before"`
	InstantaneousCapacity  int       `json:"instantaneous_capacity"`
	GateFlowPerMinute      int       `json:"gate_flow_per_minute"`
	GateBurst              int       `json:"gate_burst"`
	// Bookable is the range of days open for booking now.
	Bookable dateRangeJSON `json:"bookable"`

	HoursByWeekday                map[string]hoursJSON `json:"hours_by_weekday,omitempty"`
	ApprovedDailyCapacity         int                  `json:"approved_daily_capacity"`
	ApprovedInstantaneousCapacity int                  `json:"approved_instantaneous_capacity"`
	PolicyRatioPct                int                  `json:"policy_ratio_pct"`
	HeldBackPct                   int                  `json:"held_back_pct"`
	HeldBackRelease               string               `json:"held_back_release"`
	NoShowGraceMinutes            int                  `json:"no_show_grace_minutes"`
	NoShowStrikes                 int                  `json:"no_show_strikes"`
	NoShowWindowDays              int                  `json:"no_show_window_days"`
	RestrictionDays               int                  `json:"restriction_days"`
	EraseAfterDays                int                  `json:"erase_after_days"`
	BookingClosesMinutesBeforeEnd int                  `json:"booking_closes_minutes_before_end"`
	ReleaseTime                   string               `json:"release_time"`
	Address                       nameJSON             `json:"address"`
	ContactPhone                  string               `json:"contact_phone"`
	Notice                        nameJSON             `json:"notice"`
}

type nameJSON struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
}

type hoursJSON struct {
	Open  string `json:"open"`
	Close string `json:"close"`
}

type dateRangeJSON struct {
	From string `json:"from"`
	To   string `json:"to"`
}

func venueOut(v domain.Venue, now time.Time) venueJSON {
	closed := v.ClosedWeekdays
	if closed == nil {
		closed = []int{}
	}
	return venueJSON{
		Slug: v.Slug, Name: nameJSON{v.NameZH, v.NameEN}, Kind: v.Kind, Timezone: v.Timezone,
		Hours: hoursJSON{v.Open.String(), v.Close.String()}, ClosedWeekdays: closed,
		SlotMinutes: v.SlotMinutes, DefaultQuota: v.DefaultQuota, BookingWindowDays: v.BookingWindowDays,
		MaxPartySize: v.MaxPartySize, AdmissionMinutesBefore: v.AdmissionMinutesBefore,
		InstantaneousCapacity: v.InstantaneousCapacity, GateFlowPerMinute: v.GateFlowPerMinute, GateBurst: v.GateBurst,
		Bookable:              dateRangeJSON{v.Today(now).String(), v.LastBookableDay(now).String()},
		ApprovedDailyCapacity: v.ApprovedDailyCapacity, ApprovedInstantaneousCapacity: v.ApprovedInstantaneousCapacity,
		PolicyRatioPct: v.PolicyRatioPct, HeldBackPct: v.HeldBackPct, HeldBackRelease: v.HeldBackRelease.String(),
		HoursByWeekday:     weeklyHoursOut(v.HoursByWeekday),
		NoShowGraceMinutes: v.NoShowGraceMinutes, NoShowStrikes: v.NoShowStrikes, NoShowWindowDays: v.NoShowWindowDays,
		RestrictionDays: v.RestrictionDays, EraseAfterDays: v.EraseAfterDays,
		BookingClosesMinutesBeforeEnd: v.BookingClosesMinutesBeforeEnd, ReleaseTime: v.ReleaseTime.String(),
		Address: nameJSON{v.Address.ZH, v.Address.EN}, ContactPhone: v.ContactPhone, Notice: nameJSON{v.Notice.ZH, v.Notice.EN},
	}
}

func weeklyHoursOut(h map[int]domain.Hours) map[string]hoursJSON {
	if len(h) == 0 {
		return nil
	}
	out := map[string]hoursJSON{}
	for w, x := range h {
		out[strconv.Itoa(w)] = hoursJSON{x.Open.String(), x.Close.String()}
	}
	return out
}

type slotJSON struct {
	ID        int64  `json:"id"`
	Date      string `json:"date"`
	Start     string `json:"start"`
	End       string `json:"end"`
	Quota     int    `json:"quota"`
	Booked    int    `json:"booked"`
	Remaining int    `json:"remaining"`
	Status    string `json:"status"`
	// HeldBack places open for booking at ReleasesAt (the day before).
	HeldBack   int    `json:"held_back,omitempty"`
	ReleasesAt string `json:"releases_at,omitempty"`
	// OpensAt is when a day past the booking window opens (not_yet_open).
	OpensAt string `json:"opens_at,omitempty"`
}

type slotRefJSON struct {
	ID    int64  `json:"id"`
	Date  string `json:"date"`
	Start string `json:"start"`
	End   string `json:"end"`
}

func slotRef(s domain.Slot, loc *time.Location) slotRefJSON {
	return slotRefJSON{ID: s.ID, Date: s.Date.String(), Start: s.Start.In(loc).Format(time.RFC3339), End: s.End.In(loc).Format(time.RFC3339)}
}

type bookingJSON struct {
	ID          int64         `json:"id"`
	Number      string        `json:"number"`
	Code        string        `json:"code"`
	Status      string        `json:"status"`
	Venue       string        `json:"venue"`
	Slot        slotRefJSON   `json:"slot"`
	PartySize   int           `json:"party_size"`
	Visitors    []visitorJSON `json:"visitors"`
	PhoneMasked string        `json:"phone_masked"`
	QRURL       string        `json:"qr_url"`
	CreatedAt   string        `json:"created_at"`
	CancelledAt string        `json:"cancelled_at,omitempty"`
}

type visitorJSON struct {
	Position   int    `json:"position,omitempty"`
	Name       string `json:"name"`
	IDType     string `json:"id_type"`
	IDMasked   string `json:"id_masked"`
	Status     string `json:"status,omitempty"`
	AdmittedAt string `json:"admitted_at,omitempty"`
}

func (s *server) listVenues(c echo.Context) error {
	venues, err := s.Catalog.Venues(c.Request().Context())
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	out := make([]venueJSON, len(venues))
	for i, v := range venues {
		out[i] = venueOut(v, now)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *server) getVenue(c echo.Context) error {
	v, err := s.Catalog.Venue(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, venueOut(v, s.Clock.Now()))
}

// listSlots lists a venue's slots of ?date= (default: today at the venue).
func (s *server) listSlots(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := s.Catalog.Venue(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	day := v.Today(s.Clock.Now())
	if q := c.QueryParam("date"); q != "" {
		if day, err = domain.ParseDate(q); err != nil {
			return domain.Invalid("date", domain.RuleDate)
		}
	}
	views, err := s.Catalog.SlotsOn(ctx, v, day)
	if err != nil {
		return err
	}
	loc := v.Location()
	out := make([]slotJSON, len(views))
	for i, sv := range views {
		ref := slotRef(sv.Slot, loc)
		out[i] = slotJSON{ID: ref.ID, Date: ref.Date, Start: ref.Start, End: ref.End,
			Quota: sv.Slot.Quota, Booked: sv.Availability.Booked, Remaining: sv.Remaining, Status: string(sv.State)}
		if !sv.OpensAt.IsZero() {
			out[i].OpensAt = sv.OpensAt.In(loc).Format(time.RFC3339)
		}
		if sv.HeldBack > 0 {
			out[i].HeldBack, out[i].ReleasesAt = sv.HeldBack, sv.HeldBackReleaseAt.In(loc).Format(time.RFC3339)
		}
	}
	return c.JSON(http.StatusOK, out)
}

type bookingBody struct {
	SlotID   int64         `json:"slot_id"`
	Phone    string        `json:"phone"`
	Visitors []visitorBody `json:"visitors"`
}

type visitorBody struct {
	Name     string `json:"name"`
	IDType   string `json:"id_type"`
	IDNumber string `json:"id_number"`
}

func (b bookingBody) request(idempotencyKey string) domain.BookingRequest {
	r := domain.BookingRequest{SlotID: b.SlotID, Phone: b.Phone, IdempotencyKey: idempotencyKey,
		Visitors: make([]domain.VisitorInput, len(b.Visitors))}
	for i, v := range b.Visitors {
		r.Visitors[i] = domain.VisitorInput{Name: v.Name, IDType: v.IDType, IDNumber: v.IDNumber}
	}
	return r
}

func (s *server) createBooking(c echo.Context) error {
	if err := requireJSON(c); err != nil {
		return err
	}
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer bodyBuffers.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(c.Request().Body); err != nil {
		return malformed(err)
	}
	if c.Request().Header.Get("Idempotency-Key") == "" {
		if slotID, ok := quickSlotID(buf.Bytes()); ok {
			if v, full := s.Bookings.SoldOut(c.Request().Context(), slotID); full {
				s.Metrics.bookings.WithLabelValues(v.Slug, string(domain.CodeSoldOut)).Inc()
				return writeSoldOut(c)
			}
		}
	}
	var body bookingBody
	if err := decodeJSONFrom(bytes.NewReader(buf.Bytes()), &body); err != nil {
		return err
	}
	req := body.request(c.Request().Header.Get("Idempotency-Key"))
	req.ClientAddr = c.RealIP()
	res, err := s.Bookings.Book(c.Request().Context(), req)
	SetRateLimitHeaders(c, res.Limits)
	s.CountBooking(c, body.SlotID, res.Booking, res.Replayed, err)
	if err != nil {
		return err
	}
	out, err := s.bookingOut(c, res.Booking)
	if err != nil {
		return err
	}
	if res.Replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/bookings/"+out.Code)
	return c.JSON(http.StatusCreated, out)
}

func (s *server) getBooking(c echo.Context) error {
	b, err := s.Bookings.ByCode(c.Request().Context(), c.Param("code"))
	if err != nil {
		return err
	}
	out, err := s.bookingOut(c, b)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, out)
}

// findBooking answers GET /bookings?number=&phone=: a booking number is
// found only with its phone.
func (s *server) findBooking(c echo.Context) error {
	b, err := s.Bookings.ByNumber(c.Request().Context(), c.QueryParam("number"), c.QueryParam("phone"))
	if err != nil {
		return err
	}
	return s.bookingAnswer(c, http.StatusOK, b)
}

// cancelPerson cancels one person of a party, named by position.
func (s *server) cancelPerson(c echo.Context) error {
	pos, err := strconv.Atoi(c.Param("position"))
	if err != nil || pos < 1 {
		return domain.ErrNotFound
	}
	b, err := s.Bookings.CancelPerson(c.Request().Context(), c.Param("code"), pos)
	if err != nil {
		return err
	}
	return s.bookingAnswer(c, http.StatusOK, b)
}

func (s *server) bookingAnswer(c echo.Context, status int, b domain.Booking) error {
	out, err := s.bookingOut(c, b)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(status, out)
}

func (s *server) cancelBooking(c echo.Context) error {
	b, err := s.Bookings.Cancel(c.Request().Context(), c.Param("code"))
	if err != nil {
		return err
	}
	out, err := s.bookingOut(c, b)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// QRPixels is the QR image's size: readable from a phone held at arm's length.
const QRPixels = 384

func (s *server) bookingQR(c echo.Context) error {
	b, err := s.Bookings.ByCode(c.Request().Context(), c.Param("code"))
	if err != nil {
		return err
	}
	png, err := s.QR(s.Bookings.Code(b), QRPixels)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "private, max-age=86400")
	return c.Blob(http.StatusOK, "image/png", png)
}

func (s *server) bookingOut(c echo.Context, b domain.Booking) (bookingJSON, error) {
	v, err := s.Catalog.VenueByID(c.Request().Context(), b.VenueID)
	if err != nil {
		return bookingJSON{}, err
	}
	loc := v.Location()
	code := s.Bookings.Code(b)
	out := bookingJSON{
		ID: b.ID, Number: b.Number, Code: code, Status: string(b.Status), Venue: v.Slug, Slot: slotRef(b.Slot, loc),
		PartySize: b.PartySize, PhoneMasked: b.MaskedPhone(), QRURL: "/api/v1/bookings/" + code + "/qr.png",
		CreatedAt: b.CreatedAt.In(loc).Format(time.RFC3339), Visitors: make([]visitorJSON, len(b.Visitors)),
	}
	if !b.CancelledAt.IsZero() {
		out.CancelledAt = b.CancelledAt.In(loc).Format(time.RFC3339)
	}
	for i, vi := range b.Visitors {
		out.Visitors[i] = visitorJSON{Position: vi.Position, Name: vi.Name, IDType: string(vi.IDType), IDMasked: vi.IDMasked,
			Status: string(vi.Status)}
		if !vi.AdmittedAt.IsZero() {
			out.Visitors[i].AdmittedAt = vi.AdmittedAt.In(loc).Format(time.RFC3339)
		}
	}
	return out, nil
}

// CountBooking records a booking request's result by venue: the venue of
// the booking, or "unknown" when the request did not get that far. The
// booking form counts here too, as a booking made by the API does.
func (d *Deps) CountBooking(c echo.Context, slotID int64, b domain.Booking, replayed bool, err error) {
	venue, result := "unknown", "confirmed"
	switch {
	case err != nil:
		result = string(domain.CodeOf(err))
		if result == "" {
			result = "internal"
		}
		if slot, serr := d.Catalog.Slot(c.Request().Context(), slotID); serr == nil {
			b.VenueID = slot.VenueID
		}
	case replayed:
		result = "replayed"
	}
	if v, verr := d.Catalog.VenueByID(c.Request().Context(), b.VenueID); verr == nil {
		venue = v.Slug
	}
	d.Metrics.bookings.WithLabelValues(venue, result).Inc()
}
