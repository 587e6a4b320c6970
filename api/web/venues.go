package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

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
	State string // open, full, closed, over, none
	Level string // high or low places left, when open
	Text  string
	Width int // bar width in percent, by fives
}

// daySummary adds up a day's slots as a visitor sees them now.
type daySummary struct {
	State            string
	Remaining, Quota int
	OpenSlots        int
}

func summarize(venue domain.Venue, d domain.Date, slots []domain.SlotView) daySummary {
	var sum daySummary
	if venue.ClosedOn(d) {
		sum.State = "closed"
		return sum
	}
	full, past := 0, 0
	for _, sv := range slots {
		switch sv.State {
		case "open":
			sum.OpenSlots++
			sum.Remaining += sv.Remaining
			sum.Quota += sv.Availability.Quota
		case "full":
			full++
			sum.Quota += sv.Availability.Quota
		case "past":
			past++
		}
	}
	switch {
	case len(slots) == 0:
		sum.State = "none"
	case sum.OpenSlots > 0:
		sum.State = "open"
	case full > 0:
		sum.State = "full"
	case past == len(slots):
		sum.State = "over"
	default:
		sum.State = "closed"
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
	card.Kind = venue.Kind
	if t, ok := pageTexts["kind."+venue.Kind]; ok {
		card.Kind = t.In(v.Lang)
	}
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
	case "open":
		g.Text = v.textf("glance.open", placesText(sum.Remaining, v.Lang), sum.OpenSlots)
		g.Level, g.Width = placesLevel(sum.Remaining, sum.Quota), barWidth(sum.Remaining, sum.Quota)
	case "full":
		g.Text = v.text("glance.full")
	case "closed":
		g.Text = v.text("glance.closed")
	case "over":
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
	State    string
	Selected bool
	URL      string
}

// slotRow is one slot on the venue page.
type slotRow struct {
	ID        int64
	Time      string
	State     string
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
	Slots      []slotRow
	LiveURL    string
	LiveTexts  string // JSON: the words app.js needs to update the slots
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
		if chosen.IsZero() && sums[d].State == "open" && status == http.StatusOK {
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
		case "open":
			chip.Note = v.text("state.open")
		case "full":
			chip.Note = v.text("state.full")
		case "closed":
			chip.Note = v.text("venue.closed.day")
		case "over":
			chip.Note = v.text("state.over")
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
	case len(days[chosen]) == 0:
		data.Empty = true
	}
	if sums[chosen].State != "open" {
		for d := chosen.AddDays(1); !last.Before(d); d = d.AddDays(1) {
			if sums[d].State == "open" {
				data.NextOpen = &pageLink{v.textf("venue.next.open", pages.ShortDate(d, v.Lang)), "/venues/" + url.PathEscape(venue.Slug) + "?date=" + d.String()}
				break
			}
		}
	}
	for _, sv := range days[chosen] {
		row := slotRow{ID: sv.ID, Time: pages.TimeWindow(sv.Slot, loc), State: sv.State, Remaining: sv.Remaining,
			Quota: sv.Availability.Quota, Width: barWidth(sv.Remaining, sv.Availability.Quota),
			Bookable: sv.State == "open", BookURL: "/book/" + strconv.FormatInt(sv.ID, 10)}
		row.StateText = v.text("state." + sv.State)
		if sv.State == "open" {
			row.Level = placesLevel(sv.Remaining, sv.Availability.Quota)
			if row.Level == "low" {
				row.StateText = v.text("state.low")
			}
		}
		row.CountText = v.textf("venue.remaining", sv.Remaining, sv.Availability.Quota)
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
