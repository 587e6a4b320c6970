package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"slotgate/domain"
)

// registerAdmin adds the admins' routes (and the staff list, which staff
// of the venue may read too) to the signed-in group.
func (s *server) registerAdmin(auth signedIn) {
	auth.POST("/admin/venues", s.createVenue)
	auth.PUT("/admin/venues/:slug", s.updateVenue)
	auth.PUT("/admin/venues/:slug/default-quota", s.setDefaultQuota)
	auth.PUT("/admin/venues/:slug/days/:date/quota", s.setDayQuota)
	auth.GET("/admin/venues/:slug/days/:date", s.dayView)
	auth.PUT("/admin/venues/:slug/days/:date", s.setDay)
	auth.GET("/admin/venues/:slug/days", s.listDays)
	auth.POST("/admin/venues/:slug/closures", s.closeVenue)
	auth.PUT("/admin/slots/:id/quota", s.setSlotQuota)
	auth.POST("/admin/users", s.addUser)
	auth.GET("/admin/users", s.listUsers)
	auth.PUT("/admin/users/:username", s.updateUser)
	auth.POST("/admin/users/:username/password", s.resetPassword)
	auth.GET("/admin/audit", s.audit)
	auth.GET("/admin/live", s.live)
	auth.GET("/venues/:slug/bookings.csv", s.staffListCSV)
	s.registerDesk(auth)
}

// venueBody is a venue as admins send it: absent fields keep their value
// on an update and take the SPEC's defaults on a create.
type venueBody struct {
	Slug                          *string              `json:"slug"`
	Name                          *nameJSON            `json:"name"`
	Kind                          *string              `json:"kind"`
	Timezone                      *string              `json:"timezone"`
	Hours                         *hoursJSON           `json:"hours"`
	HoursByWeekday                map[string]hoursJSON `json:"hours_by_weekday"`
	ClosedWeekdays                *[]int               `json:"closed_weekdays"`
	SlotMinutes                   *int                 `json:"slot_minutes"`
	DefaultQuota                  *int                 `json:"default_quota"`
	BookingWindowDays             *int                 `json:"booking_window_days"`
	MaxPartySize                  *int                 `json:"max_party_size"`
	AdmissionMinutesBefore        *int                 `json:"admission_minutes_before"`
	InstantaneousCapacity         *int                 `json:"instantaneous_capacity"`
	GateFlowPerMinute             *int                 `json:"gate_flow_per_minute"`
	GateBurst                     *int                 `json:"gate_burst"`
	ApprovedDailyCapacity         *int                 `json:"approved_daily_capacity"`
	ApprovedInstantaneousCapacity *int                 `json:"approved_instantaneous_capacity"`
	PolicyRatioPct                *int                 `json:"policy_ratio_pct"`
	HeldBackPct                   *int                 `json:"held_back_pct"`
	HeldBackRelease               *string              `json:"held_back_release"`
	NoShowGraceMinutes            *int                 `json:"no_show_grace_minutes"`
	NoShowStrikes                 *int                 `json:"no_show_strikes"`
	NoShowWindowDays              *int                 `json:"no_show_window_days"`
	RestrictionDays               *int                 `json:"restriction_days"`
	EraseAfterDays                *int                 `json:"erase_after_days"`
	BookingClosesMinutesBeforeEnd *int                 `json:"booking_closes_minutes_before_end"`
	ReleaseTime                   *string              `json:"release_time"`
	Address                       *nameJSON            `json:"address"`
	ContactPhone                  *string              `json:"contact_phone"`
	Notice                        *nameJSON            `json:"notice"`
	Reason                        string               `json:"reason"`
	// Bookable is in what GET answers; a venue sent back as read is accepted.
	Bookable *dateRangeJSON `json:"bookable"`
}

// NewVenueDefaults are the settings of a venue created without them.
func NewVenueDefaults() domain.Venue {
	return domain.Venue{Timezone: "Asia/Shanghai", Open: 9 * 60, Close: 17 * 60, SlotMinutes: 60, BookingWindowDays: 7,
		MaxPartySize: 5, AdmissionMinutesBefore: 30, InstantaneousCapacity: 100, GateFlowPerMinute: 30, GateBurst: 10,
		PolicyRatioPct: 100, HeldBackRelease: 17 * 60,
		NoShowGraceMinutes: 30, NoShowStrikes: 3, NoShowWindowDays: 180, RestrictionDays: 30, EraseAfterDays: 30,
		BookingClosesMinutesBeforeEnd: 15}
}

// apply lays the body over v, collecting every field that does not parse.
func (b venueBody) apply(v domain.Venue) (domain.Venue, error) {
	var errs domain.ValidationError
	set := func(dst *int, src *int) {
		if src != nil {
			*dst = *src
		}
	}
	if b.Slug != nil {
		v.Slug = *b.Slug
	}
	if b.Name != nil {
		v.NameZH, v.NameEN = b.Name.ZH, b.Name.EN
	}
	if b.Kind != nil {
		v.Kind = *b.Kind
	}
	if b.Timezone != nil {
		v.Timezone = *b.Timezone
	}
	if b.Hours != nil {
		o, err1 := domain.ParseMinute(b.Hours.Open)
		c, err2 := domain.ParseMinute(b.Hours.Close)
		if err1 != nil || err2 != nil {
			errs.Add("hours", domain.RuleHours)
		}
		v.Open, v.Close = o, c
	}
	if b.HoursByWeekday != nil {
		v.HoursByWeekday = map[int]domain.Hours{}
		for day, h := range b.HoursByWeekday {
			w, err := strconv.Atoi(day)
			o, err1 := domain.ParseMinute(h.Open)
			c, err2 := domain.ParseMinute(h.Close)
			if err != nil || err1 != nil || err2 != nil {
				errs.Add("hours_by_weekday", domain.RuleHours)
				continue
			}
			v.HoursByWeekday[w] = domain.Hours{Open: o, Close: c}
		}
	}
	if b.ClosedWeekdays != nil {
		v.ClosedWeekdays = *b.ClosedWeekdays
	}
	set(&v.SlotMinutes, b.SlotMinutes)
	set(&v.DefaultQuota, b.DefaultQuota)
	set(&v.BookingWindowDays, b.BookingWindowDays)
	set(&v.MaxPartySize, b.MaxPartySize)
	set(&v.AdmissionMinutesBefore, b.AdmissionMinutesBefore)
	set(&v.InstantaneousCapacity, b.InstantaneousCapacity)
	set(&v.GateFlowPerMinute, b.GateFlowPerMinute)
	set(&v.GateBurst, b.GateBurst)
	set(&v.ApprovedDailyCapacity, b.ApprovedDailyCapacity)
	set(&v.ApprovedInstantaneousCapacity, b.ApprovedInstantaneousCapacity)
	set(&v.PolicyRatioPct, b.PolicyRatioPct)
	set(&v.HeldBackPct, b.HeldBackPct)
	set(&v.NoShowGraceMinutes, b.NoShowGraceMinutes)
	set(&v.NoShowStrikes, b.NoShowStrikes)
	set(&v.NoShowWindowDays, b.NoShowWindowDays)
	set(&v.RestrictionDays, b.RestrictionDays)
	set(&v.EraseAfterDays, b.EraseAfterDays)
	set(&v.BookingClosesMinutesBeforeEnd, b.BookingClosesMinutesBeforeEnd)
	if b.ReleaseTime != nil {
		m, err := domain.ParseMinute(*b.ReleaseTime)
		if err != nil || m >= 24*60 {
			errs.Add("release_time", domain.RuleHours)
		}
		v.ReleaseTime = m
	}
	if b.Address != nil {
		v.Address = domain.LocalText{ZH: strings.TrimSpace(b.Address.ZH), EN: strings.TrimSpace(b.Address.EN)}
	}
	if b.ContactPhone != nil {
		v.ContactPhone = strings.TrimSpace(*b.ContactPhone)
	}
	if b.Notice != nil {
		v.Notice = domain.LocalText{ZH: strings.TrimSpace(b.Notice.ZH), EN: strings.TrimSpace(b.Notice.EN)}
	}
	if b.HeldBackRelease != nil {
		m, err := domain.ParseMinute(*b.HeldBackRelease)
		if err != nil {
			errs.Add("held_back_release", domain.RuleHours)
		}
		v.HeldBackRelease = m
	}
	return v, errs.OrNil()
}

func (s *server) createVenue(c echo.Context) error {
	var body venueBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	v, err := body.apply(NewVenueDefaults())
	if err != nil {
		return err
	}
	created, err := s.Admin.CreateVenue(c.Request().Context(), SessionOf(c).User, v)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/venues/"+created.Slug)
	return c.JSON(http.StatusCreated, venueOut(created, s.Clock.Now()))
}

// venueChangeJSON is a venue after a change, with what it did to the slots.
type venueChangeJSON struct {
	Venue    venueJSON    `json:"venue"`
	Schedule scheduleJSON `json:"schedule"`
}

type scheduleJSON struct {
	Added   int        `json:"slots_added"`
	Removed int        `json:"slots_removed"`
	Kept    []slotJSON `json:"booked_slots_kept"`
}

func (s *server) scheduleOut(v domain.Venue, ch domain.ScheduleChange) scheduleJSON {
	out := scheduleJSON{Added: ch.Added, Removed: ch.Removed, Kept: []slotJSON{}}
	for _, sl := range ch.Kept {
		out.Kept = append(out.Kept, adminSlotOut(sl, v))
	}
	return out
}

func adminSlotOut(sl domain.Slot, v domain.Venue) slotJSON {
	ref := slotRef(sl, v.Location())
	st := string(sl.Status)
	if sl.Flagged {
		st = "flagged"
	}
	return slotJSON{ID: ref.ID, Date: ref.Date, Start: ref.Start, End: ref.End, Quota: sl.Quota, Booked: sl.Booked,
		Remaining: max(sl.Quota-sl.Booked, 0), Status: st}
}

func (s *server) updateVenue(c echo.Context) error {
	var body venueBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := requireAdmin(c); err != nil {
		return err
	}
	cur, err := s.Catalog.Venue(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	if body.Slug != nil && *body.Slug != cur.Slug {
		return domain.Invalid("slug", domain.RuleSlug) // a slug names the venue in every code and link
	}
	v, err := body.apply(cur)
	if err != nil {
		return err
	}
	updated, ch, err := s.Admin.UpdateVenue(ctx, SessionOf(c).User, cur.Slug, v, body.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, venueChangeJSON{Venue: venueOut(updated, s.Clock.Now()), Schedule: s.scheduleOut(updated, ch)})
}

func requireAdmin(c echo.Context) error {
	if SessionOf(c).User.Role != domain.RoleAdmin {
		return domain.ErrForbidden
	}
	return nil
}

type quotaBody struct {
	Quota    *int   `json:"quota"`
	RatioPct *int   `json:"ratio_pct"`
	Reason   string `json:"reason"`
	Freeze   bool   `json:"freeze"`
}

func (b quotaBody) spec() domain.QuotaSpec {
	return domain.QuotaSpec{Quota: b.Quota, RatioPct: b.RatioPct}
}

func (s *server) setSlotQuota(c echo.Context) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return domain.ErrNotFound
	}
	var body quotaBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	sl, err := s.Admin.SetSlotQuota(c.Request().Context(), SessionOf(c).User, id, body.spec(), body.Reason, body.Freeze)
	if err != nil {
		return s.belowBooked(c, err)
	}
	v, err := s.Catalog.VenueByID(c.Request().Context(), sl.VenueID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, adminSlotOut(sl, v))
}

// belowBooked says how many places are booked when a quota would go under.
func (s *server) belowBooked(c echo.Context, err error) error {
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeBelowBooked {
		return err
	}
	p := ProblemOf(err, LangOf(c))
	p.Detail = Text{"已预约 %d 人，配额不能低于此数；如需停止售票，请选择冻结。", "%d places are booked; a quota cannot go below them. Freeze the slot to stop its sales instead."}.Format(LangOf(c), de.Booked)
	return writeProblem(c, p)
}

func (s *server) setDayQuota(c echo.Context) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	d, err := domain.ParseDate(c.Param("date"))
	if err != nil {
		return domain.Invalid("date", domain.RuleDate)
	}
	var body quotaBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	results, err := s.Admin.SetDayQuota(c.Request().Context(), SessionOf(c).User, c.Param("slug"), d, body.spec(), body.Reason, body.Freeze)
	if err != nil {
		return err
	}
	v, err := s.Catalog.Venue(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	out := make([]slotQuotaResultJSON, len(results))
	for i, r := range results {
		out[i] = slotQuotaResultJSON{Slot: adminSlotOut(r.Slot, v)}
		if r.Err != nil {
			out[i].Error = string(domain.CodeOf(r.Err))
		}
	}
	return c.JSON(http.StatusOK, out)
}

// slotQuotaResultJSON is one slot of a day's quota change: changed, or
// the code that kept it as it was.
type slotQuotaResultJSON struct {
	Slot  slotJSON `json:"slot"`
	Error string   `json:"error,omitempty"`
}

func (s *server) setDefaultQuota(c echo.Context) error {
	var body quotaBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	v, ch, err := s.Admin.SetDefaultQuota(c.Request().Context(), SessionOf(c).User, c.Param("slug"), body.spec(), body.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, venueChangeJSON{Venue: venueOut(v, s.Clock.Now()), Schedule: s.scheduleOut(v, ch)})
}

type slotReportJSON struct {
	slotJSON
	Admitted    int  `json:"admitted"`
	NoShows     int  `json:"no_shows"`
	ManualQuota bool `json:"manual_quota"`
	Flagged     bool `json:"flagged"`
}

func (s *server) dayView(c echo.Context) error {
	d, err := domain.ParseDate(c.Param("date"))
	if err != nil {
		return domain.Invalid("date", domain.RuleDate)
	}
	v, rows, err := s.Admin.DayView(c.Request().Context(), SessionOf(c).User, c.Param("slug"), d)
	if err != nil {
		return err
	}
	out := make([]slotReportJSON, len(rows))
	for i, r := range rows {
		out[i] = slotReportJSON{slotJSON: adminSlotOut(r.Slot, v), Admitted: r.Admitted, NoShows: r.NoShows,
			ManualQuota: r.ManualQuota, Flagged: r.Flagged}
	}
	return c.JSON(http.StatusOK, out)
}

type closureBody struct {
	Date   string `json:"date"`
	SlotID int64  `json:"slot_id"`
	Reason string `json:"reason"`
}

func (s *server) closeVenue(c echo.Context) error {
	var body closureBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	var d domain.Date
	if body.SlotID == 0 {
		var err error
		if d, err = domain.ParseDate(body.Date); err != nil {
			return domain.Invalid("date", domain.RuleDate)
		}
	}
	res, err := s.Admin.Close(c.Request().Context(), SessionOf(c).User, c.Param("slug"), d, body.SlotID, body.Reason)
	if err != nil {
		return err
	}
	people := 0
	for _, b := range res.Cancelled {
		people += b.PartySize
	}
	return c.JSON(http.StatusOK, closureJSON{SlotsClosed: len(res.Slots), BookingsCancelled: len(res.Cancelled), PeopleNotified: people})
}

type closureJSON struct {
	BookingsCancelled int `json:"bookings_cancelled"`
	PeopleNotified    int `json:"people_notified"`
	SlotsClosed       int `json:"slots_closed"`
}

type userBody struct {
	Username string   `json:"username"`
	Password string   `json:"password"`
	Role     string   `json:"role"`
	Venues   []string `json:"venues"`
}

type userJSON struct {
	Username string   `json:"username"`
	Role     string   `json:"role"`
	Venues   []string `json:"venues"`
	Disabled bool     `json:"disabled"`
}

func (s *server) userOut(c echo.Context, u domain.User) userJSON {
	out := userJSON{Username: u.Username, Role: string(u.Role), Disabled: u.Disabled, Venues: []string{}}
	for _, id := range u.VenueIDs {
		if v, err := s.Catalog.VenueByID(c.Request().Context(), id); err == nil {
			out.Venues = append(out.Venues, v.Slug)
		}
	}
	return out
}

func (s *server) addUser(c echo.Context) error {
	var body userBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	u, err := s.Admin.AddUser(c.Request().Context(), SessionOf(c).User,
		domain.NewUser{Username: body.Username, Password: body.Password, Role: domain.Role(body.Role), Venues: body.Venues})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.userOut(c, u))
}

func (s *server) listUsers(c echo.Context) error {
	users, err := s.Admin.Users(c.Request().Context(), SessionOf(c).User)
	if err != nil {
		return err
	}
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = s.userOut(c, u)
	}
	return c.JSON(http.StatusOK, out)
}

type userChangeBody struct {
	Disabled *bool    `json:"disabled"`
	Role     *string  `json:"role"`
	Venues   []string `json:"venues"`
}

func (s *server) updateUser(c echo.Context) error {
	var body userChangeBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	ch := domain.UserChange{Disabled: body.Disabled, Venues: body.Venues}
	if body.Role != nil {
		r := domain.Role(*body.Role)
		ch.Role = &r
	}
	u, err := s.Admin.UpdateUser(c.Request().Context(), SessionOf(c).User, c.Param("username"), ch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.userOut(c, u))
}

type passwordBody struct {
	Password string `json:"password"`
}

func (s *server) resetPassword(c echo.Context) error {
	var body passwordBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if err := s.Admin.ResetPassword(c.Request().Context(), SessionOf(c).User, c.Param("username"), body.Password); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type auditJSON struct {
	ID       int64  `json:"id"`
	At       string `json:"at"`
	Username string `json:"username"`
	Kind     string `json:"kind"`
	Venue    string `json:"venue,omitempty"`
	Subject  string `json:"subject"`
	Reason   string `json:"reason,omitempty"`
	Before   any    `json:"before,omitempty"`
	After    any    `json:"after,omitempty"`
}

// audit lists the audit log, newest first, ?page= and ?per_page= (max 500)
// with a Link header to the next and previous pages and X-Total-Count.
func (s *server) audit(c echo.Context) error {
	ctx := c.Request().Context()
	q := c.QueryParams()
	f := domain.AuditFilter{Username: q.Get("user"), Kind: domain.AuditKind(q.Get("kind"))}
	var errs domain.ValidationError
	if slug := q.Get("venue"); slug != "" {
		v, err := s.Catalog.Venue(ctx, slug)
		if err != nil {
			errs.Add("venue", domain.RuleUnknownVenue)
		}
		f.VenueID = v.ID
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				errs.Add(p.name, domain.RuleDate)
			}
			*p.dst = t
		}
	}
	page, per := atoiOr(q.Get("page"), 1), atoiOr(q.Get("per_page"), 50)
	if per < 1 || per > 500 {
		errs.AddRange("per_page", 1, 500)
	}
	offset, ok := domain.PageOffset(page, max(per, 1))
	if !ok {
		errs.AddRange("page", 1, domain.MaxPageOffset/max(per, 1)+1)
	}
	if err := errs.OrNil(); err != nil {
		return err
	}
	f.Limit, f.Offset = per, offset
	entries, total, err := s.Admin.Audit(ctx, SessionOf(c).User, f)
	if err != nil {
		return err
	}
	out := make([]auditJSON, len(entries))
	for i, e := range entries {
		out[i] = auditJSON{ID: e.ID, At: e.At.Format(time.RFC3339Nano), Username: e.Username, Kind: string(e.Kind),
			Subject: e.Subject, Reason: e.Reason, Before: e.Before, After: e.After}
		if e.VenueID != 0 {
			if v, err := s.Catalog.VenueByID(ctx, e.VenueID); err == nil {
				out[i].Venue = v.Slug
			}
		}
	}
	SetPageLinks(c, page, per, total)
	return c.JSON(http.StatusOK, out)
}

func atoiOr(s string, def int) int {
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// SetPageLinks writes RFC 8288 links to the neighbouring pages.
func SetPageLinks(c echo.Context, page, per, total int) {
	link := func(p int, rel string) string {
		q := c.QueryParams()
		u := url.Values{}
		for k, v := range q {
			u[k] = v
		}
		u.Set("page", strconv.Itoa(p))
		u.Set("per_page", strconv.Itoa(per))
		return fmt.Sprintf("<%s?%s>; rel=%q", c.Request().URL.Path, u.Encode(), rel)
	}
	var links []string
	if page*per < total {
		links = append(links, link(page+1, "next"))
	}
	if page > 1 {
		links = append(links, link(page-1, "prev"))
	}
	h := c.Response().Header()
	for _, l := range links {
		h.Add("Link", l)
	}
	h.Set("X-Total-Count", strconv.Itoa(total))
}
