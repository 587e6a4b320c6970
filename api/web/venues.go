package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"slotgate/api"
	"slotgate/api/pages"
	"slotgate/domain"
)

// The visitor's first pages: the venues with today's and tomorrow's
// places at a glance, and a venue's days and slots.

// venueCard is a venue as the list and the venue page head show it.
type venueCard struct {
	URL        string
	Name       string
	AltName    string // the name in the other language, as signs show it
	AltLang    string
	Kind       string
	Hours      string
	ClosedNote string
	Days       []dayGlance
}

// dayGlance is one day's availability at a glance.
type dayGlance struct {
	Label string
	State dayState
	Level string // high or low places left, when open
	Text  string
	Width int // bar width in percent, by fives
}

// daySummary adds up a day's slots as a visitor sees them now.
type daySummary struct {
	State            dayState
	Remaining, Quota int
	OpenSlots        int
}

// dayState is a day at a glance: some slot open, all full, closed (by
// the venue's rules or staff), over (every slot has started), or none
// (no slots made yet). Templates use it as a class name.
type dayState string

const (
	dayOpen   dayState = "open"
	dayFull   dayState = "full"
	dayClosed dayState = "closed"
	dayOver   dayState = "over"
	dayNone   dayState = "none"
	daySoon   dayState = "soon" // past the booking window: it opens at the release time
)

func summarize(venue domain.Venue, d domain.Date, slots []domain.SlotView) daySummary {
	var sum daySummary
	if venue.ClosedOn(d) {
		sum.State = dayClosed
		return sum
	}
	full, past, soon := 0, 0, 0
	for _, sv := range slots {
		switch sv.State {
		case domain.SlotStateNotYetOpen:
			soon++
		case domain.SlotStateOpen:
			sum.OpenSlots++
			sum.Remaining += sv.Remaining
			sum.Quota += sv.Availability.Quota
		case domain.SlotStateFull:
			full++
			sum.Quota += sv.Availability.Quota
		case domain.SlotStatePast:
			past++
		}
	}
	switch {
	case len(slots) == 0:
		sum.State = dayNone
	case sum.OpenSlots > 0:
		sum.State = dayOpen
	case full > 0:
		sum.State = dayFull
	case past == len(slots):
		sum.State = dayOver
	case soon > 0:
		sum.State = daySoon
	default:
		sum.State = dayClosed
	}
	return sum
}

// barWidth is remaining out of quota in steps of five percent; any place
// left shows at least a sliver, so "almost full" never looks like "full".
func barWidth(remaining, quota int) int {
	if quota <= 0 || remaining <= 0 {
		return 0
	}
	w := (remaining*100/quota + 2) / 5 * 5
	return min(max(w, 5), 100)
}

// placesLevel tells a comfortable number of places from a few.
func placesLevel(remaining, quota int) string {
	if quota > 0 && remaining*5 < quota {
		return "low"
	}
	return "high"
}

func (s *server) venueCard(v *pageView, venue domain.Venue) venueCard {
	card := venueCard{URL: "/venues/" + url.PathEscape(venue.Slug),
		Name: venue.NameZH, AltName: venue.NameEN, AltLang: "en",
		Hours: venue.Open.String() + "–" + venue.Close.String()}
	if v.Lang == api.EN {
		card.Name, card.AltName, card.AltLang = venue.NameEN, venue.NameZH, "zh-CN"
	}
	card.Kind = pages.KindName(venue.Kind, v.Lang)
	if len(venue.ClosedWeekdays) > 0 {
		names := make([]string, len(venue.ClosedWeekdays))
		for i, w := range venue.ClosedWeekdays {
			if w >= 1 && w <= 7 {
				names[i] = pages.WeekdayNames[w].In(v.Lang)
			}
			if v.Lang == api.EN {
				names[i] += "s"
			}
		}
		sep := "、"
		if v.Lang == api.EN {
			sep = ", "
		}
		card.ClosedNote = v.textf("closed.weekday", strings.Join(names, sep))
	}
	return card
}

func (v *pageView) glance(label string, sum daySummary) dayGlance {
	g := dayGlance{Label: label, State: sum.State}
	switch sum.State {
	case dayOpen:
		g.Text = v.textf("glance.open", placesText(sum.Remaining, v.Lang), sum.OpenSlots)
		g.Level, g.Width = placesLevel(sum.Remaining, sum.Quota), barWidth(sum.Remaining, sum.Quota)
	case dayFull:
		g.Text = v.text("glance.full")
	case dayClosed:
		g.Text = v.text("glance.closed")
	case dayOver:
		g.Text = v.text("glance.over")
	default:
		g.Text = v.text("glance.none")
	}
	return g
}

// placesText writes a count of places as each language groups digits:
// 5400 in Chinese, 5,400 in English.
func placesText(n int, l api.Lang) string {
	s := strconv.Itoa(n)
	if l != api.EN || n < 1000 {
		return s
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

type homeData struct {
	Venues []venueCard
}

// homePage lists the venues with today's and tomorrow's places.
func (s *server) homePage(c echo.Context) error {
	ctx := c.Request().Context()
	venues, err := s.Catalog.Venues(ctx)
	if err != nil {
		return err
	}
	v := s.newView(c, "venues")
	data := homeData{}
	for _, venue := range venues {
		card := s.venueCard(v, venue)
		today := venue.Today(s.Clock.Now())
		for i, key := range []string{"home.today", "home.tomorrow"} {
			d := today.AddDays(i)
			slots, err := s.Catalog.SlotsOn(ctx, venue, d)
			if err != nil {
				return err
			}
			card.Days = append(card.Days, v.glance(v.text(key)+" · "+pages.ShortDate(d, v.Lang), summarize(venue, d, slots)))
		}
		data.Venues = append(data.Venues, card)
	}
	v.Title, v.Data = v.text("home.title"), data
	return s.renderPage(c, http.StatusOK, "home", v)
}

// dayChip is one day of the venue page's day picker.
type dayChip struct {
	Date     string
	Weekday  string
	DayMonth string
	Note     string
	State    dayState
	Selected bool
	URL      string
}

// slotChoice is one slot as the venue page offers it.
type slotChoice struct {
	ID        int64
	Time      string
	State     domain.SlotState
	Level     string
	Remaining int
	Quota     int
	Width     int
	StateText string
	CountText string
	Bookable  bool
	BookURL   string
	BookLabel string
	// HeldNote says when the places held back for latecomers open.
	HeldNote string
	// A full slot links to its standby list while the list is open.
	StandbyURL, StandbyLabel string
}

type venueData struct {
	Venue      venueCard
	PartyNote  string
	WindowNote string
	Days       []dayChip
	Date       string
	DateLabel  string
	DateError  string
	ClosedNote string
	Empty      bool
	NextOpen   *pageLink
	Slots      []slotChoice
	// What a visitor reads before booking.
	Address, Contact, Notice string
	LiveURL                  string
	LiveTexts                string // JSON: the words app.js needs to update the slots
}

// venuePage shows a venue's booking window as a day picker and the slots
// of the chosen day (?date=, else the first day with places) with places left.
func (s *server) venuePage(c echo.Context) error {
	ctx := c.Request().Context()
	venue, err := s.Catalog.Venue(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	v := s.newView(c, "venues")
	now := s.Clock.Now()
	first, last := venue.Today(now), venue.LastBookableDay(now)
	data := venueData{Venue: s.venueCard(v, venue), PartyNote: v.textf("venue.party", venue.MaxPartySize),
		WindowNote: v.textf("venue.window", pages.ShortDate(first, v.Lang), pages.ShortDate(last, v.Lang))}
	status := http.StatusOK
	data.Address, data.Notice = pickText(venue.Address, v.Lang), pickText(venue.Notice, v.Lang)
	data.Contact = venue.ContactPhone
	// The day after the window shows too, saying when it opens.
	if next, err := s.Catalog.SlotsOn(ctx, venue, last.AddDays(1)); err == nil && len(next) > 0 && next[0].State == domain.SlotStateNotYetOpen {
		last = last.AddDays(1)
	}

	var chosen domain.Date
	if q := c.QueryParam("date"); q != "" {
		d, err := domain.ParseDate(q)
		switch {
		case err != nil:
			status, data.DateError = http.StatusUnprocessableEntity, api.RuleText(domain.FieldError{Rule: domain.RuleDate}, v.Lang)
		case d.Before(first) || last.Before(d):
			status, data.DateError = http.StatusUnprocessableEntity, api.RuleText(domain.FieldError{Rule: domain.RuleOutsideWindow}, v.Lang)
		default:
			chosen = d
		}
	}
	days := map[domain.Date][]domain.SlotView{}
	sums := map[domain.Date]daySummary{}
	for d := first; !last.Before(d); d = d.AddDays(1) {
		slots, err := s.Catalog.SlotsOn(ctx, venue, d)
		if err != nil {
			return err
		}
		days[d], sums[d] = slots, summarize(venue, d, slots)
		if chosen.IsZero() && sums[d].State == dayOpen && status == http.StatusOK {
			chosen = d
		}
	}
	if chosen.IsZero() {
		chosen = first
	}
	for d := first; !last.Before(d); d = d.AddDays(1) {
		chip := dayChip{Date: d.String(), Weekday: pages.WeekdayShort[d.Weekday()].In(v.Lang), State: sums[d].State,
			Selected: d == chosen, URL: "/venues/" + url.PathEscape(venue.Slug) + "?date=" + d.String()}
		chip.DayMonth = fmt.Sprintf("%d/%d", int(d.Month), d.Day)
		if v.Lang == api.EN {
			chip.DayMonth = fmt.Sprintf("%d %s", d.Day, d.Month.String()[:3])
		}
		switch chip.State {
		case dayOpen:
			chip.Note = v.text("state.open")
		case dayFull:
			chip.Note = v.text("state.full")
		case dayClosed:
			chip.Note = v.text("venue.closed.day")
		case dayOver:
			chip.Note = v.text("state.over")
		case daySoon:
			chip.Note = v.text("state.not_yet_open")
		}
		// A special day of the holiday calendar says so.
		if sd, ok := venue.SpecialDayOn(d); ok && sd.Open && chip.State == dayOpen {
			chip.Note = api.Text{"特别开放", "Open (holiday)"}.In(v.Lang)
		}
		if d == first {
			chip.Weekday = v.text("home.today")
		}
		data.Days = append(data.Days, chip)
	}

	loc := venue.Location()
	data.Date, data.DateLabel = chosen.String(), pages.LongDate(chosen, v.Lang)
	switch {
	case venue.ClosedOn(chosen):
		data.ClosedNote = v.textf("venue.closed.notice", pages.LongDate(chosen, v.Lang))
		if sd, ok := venue.SpecialDayOn(chosen); ok && sd.Reason != "" {
			data.ClosedNote = v.textf("venue.closed.reason", sd.Reason)
		}
	case len(days[chosen]) == 0:
		data.Empty = true
	case sums[chosen].State == "closed":
		// Closed by an admin: say why, and show no places.
		if reason, err := s.Admin.ClosureReason(ctx, venue.ID, chosen, 0); err == nil && reason != "" {
			data.ClosedNote = v.textf("venue.closed.reason", reason)
		}
	}
	if sums[chosen].State != dayOpen {
		for d := chosen.AddDays(1); !last.Before(d); d = d.AddDays(1) {
			if sums[d].State == dayOpen {
				data.NextOpen = &pageLink{v.textf("venue.next.open", pages.ShortDate(d, v.Lang)), "/venues/" + url.PathEscape(venue.Slug) + "?date=" + d.String()}
				break
			}
		}
	}
	for _, sv := range days[chosen] {
		row := slotChoice{ID: sv.ID, Time: pages.TimeWindow(sv.Slot, loc), State: sv.State, Remaining: sv.Remaining,
			Quota: sv.Availability.Quota, Width: barWidth(sv.Remaining, sv.Availability.Quota),
			Bookable: sv.State == domain.SlotStateOpen, BookURL: "/book/" + strconv.FormatInt(sv.ID, 10)}
		row.StateText = v.text("state." + string(sv.State))
		if sv.State == domain.SlotStateOpen {
			row.Level = placesLevel(sv.Remaining, sv.Availability.Quota)
			if row.Level == "low" {
				row.StateText = v.text("state.low")
			}
		}
		row.CountText = v.textf("venue.remaining", sv.Remaining, sv.Availability.Quota)
		switch sv.State {
		case domain.SlotStateClosed, domain.SlotStatePast:
			row.CountText, row.Width = "", 0
		case domain.SlotStateNotYetOpen:
			row.StateText, row.CountText = v.textf("venue.opens", opensAt(sv.OpensAt.In(loc), v.Lang)), ""
		case domain.SlotStateFull:
			if opens, _ := domain.AdmissionWindow(venue, sv.Slot); now.Before(opens) {
				row.StandbyURL = standbyURL(sv.ID, 1)
				row.StandbyLabel = v.textf("venue.standby.label", row.Time)
			}
		}
		if sv.HeldBack > 0 {
			at := sv.HeldBackReleaseAt.In(loc)
			row.HeldNote = v.textf("venue.held", sv.HeldBack, pages.ShortDate(domain.DateOf(at), v.Lang)+" "+at.Format("15:04"))
		}
		row.BookLabel = v.textf("venue.book.label", row.Time)
		data.Slots = append(data.Slots, row)
	}
	data.LiveURL = "/api/v1/venues/" + url.PathEscape(venue.Slug) + "/slots?date=" + chosen.String()
	data.LiveTexts = pages.JSTexts(map[string]string{"remaining": v.text("venue.remaining"), "open": v.text("state.open"),
		"low": v.text("state.low"), "full": v.text("state.full"), "closed": v.text("state.closed"), "past": v.text("state.past")})
	v.Title, v.Data = data.Venue.Name, data
	return s.renderPage(c, status, "venue", v)
}

// pickText is t in language l, or in the other language when l's is empty.
func pickText(t domain.LocalText, l api.Lang) string {
	if l == api.EN && t.EN != "" || t.ZH == "" {
		return t.EN
	}
	return t.ZH
}

// opensAt is when a day opens for booking: "12-08 08:00", "12-08 at 08:00".
func opensAt(t time.Time, l api.Lang) string {
	if l == api.EN {
		return t.Format("01-02") + " at " + t.Format("15:04")
	}
	return t.Format("01-02 15:04")
}
