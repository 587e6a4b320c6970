package adminweb

import (
	"fmt"
	"net/url"

	"github.com/labstack/echo/v4"

	"slotgate/api"
	"slotgate/api/pages"
	"slotgate/domain"
)

// --- The desk: a day's bookings, searched, with persons to cancel ---

type deskData struct {
	Venues          []adminOption
	Slug, Name      string
	Date, DateLabel string
	Q               string
	Bookings        []deskRow
	CSV, DayURL     string
	Searched        bool
}

type deskRow struct {
	ID                int64
	Number, Time      string
	Status, StatusTag string
	Phone             string
	Persons           []deskPerson
	Cancellable       bool
}

type deskPerson struct {
	Position                    int
	Name, IDMasked, Status, Tag string
	AdmittedAt                  string
	Cancellable                 bool
}

func personTag(st domain.BookingStatus, l api.Lang) string {
	return map[domain.BookingStatus]api.Text{
		domain.BookingConfirmed: {"未入场", "not in yet"}, domain.BookingAdmitted: {"已入场", "admitted"},
		domain.BookingCancelled: {"已取消", "cancelled"}, domain.BookingNoShow: {"未到", "no-show"},
	}[st].In(l)
}

// bookingTag names where a booking stands, counting a party partly in.
func bookingTag(b domain.Booking, l api.Lang) string {
	if b.Status == domain.BookingConfirmed {
		in := 0
		for _, p := range b.Visitors {
			if p.Status == domain.BookingAdmitted {
				in++
			}
		}
		if in > 0 {
			return api.Text{"部分入场 %d/%d", "%d of %d in"}.Format(l, in, in+len(b.Outside()))
		}
		return api.Text{"有效", "valid"}.In(l)
	}
	return personTag(b.Status, l)
}

// adminDesk is GET /admin/desk?venue=&date=&q=: admins and the venue's
// staff find any booking of a day by phone, number, name or ID number.
func (s *server) adminDesk(c echo.Context, v *adminView) (string, error) {
	ctx := c.Request().Context()
	user := api.SessionOf(c).User
	venues, err := s.Catalog.Venues(ctx)
	if err != nil {
		return "", err
	}
	slug := c.QueryParam("venue")
	var chosen domain.Venue
	data := deskData{Q: c.QueryParam("q"), Searched: c.QueryParam("q") != ""}
	for _, ven := range venues {
		if !user.Serves(ven.ID) {
			continue
		}
		if slug == "" {
			slug = ven.Slug
		}
		if ven.Slug == slug {
			chosen = ven
		}
		data.Venues = append(data.Venues, adminOption{Value: ven.Slug, Label: api.PickName(ven, v.Lang), Selected: ven.Slug == slug})
	}
	if chosen.ID == 0 {
		return "", domain.ErrForbidden
	}
	now := s.Clock.Now()
	d := chosen.Today(now)
	if q := c.QueryParam("date"); q != "" {
		if d, err = domain.ParseDate(q); err != nil {
			return "", domain.Invalid("date", domain.RuleDate)
		}
	}
	_, bs, err := s.Admin.DeskSearch(ctx, user, chosen.Slug, d, data.Q)
	if err != nil {
		return "", err
	}
	loc := chosen.Location()
	data.Slug, data.Name, data.Date, data.DateLabel = chosen.Slug, api.PickName(chosen, v.Lang), d.String(), pages.LongDate(d, v.Lang)
	data.CSV = "/api/v1/venues/" + url.PathEscape(chosen.Slug) + "/bookings.csv?date=" + d.String()
	if v.Lang == api.EN {
		data.CSV += "&lang=en"
	}
	if user.Role == domain.RoleAdmin {
		data.DayURL = dayURL(chosen.Slug, d)
	}
	for _, b := range bs {
		row := deskRow{ID: b.ID, Number: b.Number, Time: b.Slot.Start.In(loc).Format("15:04") + "–" + b.Slot.End.In(loc).Format("15:04"),
			Status: string(b.Status), StatusTag: bookingTag(b, v.Lang), Phone: b.MaskedPhone()}
		open := b.Status == domain.BookingConfirmed && now.Before(b.Slot.End)
		for _, p := range b.Visitors {
			dp := deskPerson{Position: p.Position, Name: p.Name, IDMasked: p.IDMasked, Status: string(p.Status), Tag: personTag(p.Status, v.Lang),
				Cancellable: open && p.Status == domain.BookingConfirmed}
			if !p.AdmittedAt.IsZero() {
				dp.AdmittedAt = p.AdmittedAt.In(loc).Format("15:04")
			}
			row.Cancellable = row.Cancellable || dp.Cancellable
			row.Persons = append(row.Persons, dp)
		}
		data.Bookings = append(data.Bookings, row)
	}
	v.Title, v.Page, v.Data = v.tr("前台查询", "Desk"), "desk", data
	v.Texts = pages.JSTexts(map[string]string{
		"reason":    v.tr("取消原因（游客要求）", "Reason (the visitor's request)"),
		"confirm1":  v.tr("取消 %s 的预约？名额将释放。", "Cancel %s? The place is given back."),
		"confirmA":  v.tr("取消整个预约（%s 人未入场）？", "Cancel the whole booking (%s not in yet)?"),
		"cancelled": v.tr("已取消", "Cancelled"),
	})
	return "desk", nil
}

// --- The holiday calendar: a month with its special days ---

type calendarData struct {
	Slug, Name, Month, Prev, Next, VenueURL string
	Weeks                                   [][]calendarDay
	Days                                    []calendarSpecial
	API                                     string
	Today                                   string
}

type calendarDay struct {
	Date, Day, Label, Class, Note string
	InMonth, Past                 bool
}

type calendarSpecial struct {
	Date, Label, Kind, Reason, Hours, By string
}

// adminCalendar is GET /admin/venues/{slug}/calendar?month=YYYY-MM.
func (s *server) adminCalendar(c echo.Context, v *adminView) (string, error) {
	ctx := c.Request().Context()
	ven, err := s.Catalog.Venue(ctx, c.Param("slug"))
	if err != nil {
		return "", err
	}
	today := ven.Today(s.Clock.Now())
	first := domain.Date{Year: today.Year, Month: today.Month, Day: 1}
	if m := c.QueryParam("month"); m != "" {
		if first, err = domain.ParseDate(m + "-01"); err != nil {
			return "", domain.Invalid("month", domain.RuleDate)
		}
	}
	next := domain.Date{Year: first.Year, Month: first.Month + 1, Day: 1}
	if next.Month > 12 {
		next = domain.Date{Year: first.Year + 1, Month: 1, Day: 1}
	}
	prev := first.AddDays(-1)
	days, err := s.Admin.Days(ctx, api.SessionOf(c).User, ven.Slug, first, next.AddDays(-1))
	if err != nil {
		return "", err
	}
	special := map[domain.Date]domain.SpecialDay{}
	data := calendarData{Slug: ven.Slug, Name: api.PickName(ven, v.Lang), Month: fmt.Sprintf("%04d-%02d", first.Year, first.Month),
		Prev: fmt.Sprintf("?month=%04d-%02d", prev.Year, prev.Month), Next: fmt.Sprintf("?month=%04d-%02d", next.Year, next.Month),
		VenueURL: "/admin/venues/" + url.PathEscape(ven.Slug), API: "/api/v1/admin/venues/" + url.PathEscape(ven.Slug) + "/days/",
		Today: today.String()}
	for _, d := range days {
		special[d.Date] = d
		sp := calendarSpecial{Date: d.Date.String(), Label: pages.LongDate(d.Date, v.Lang), Reason: d.Reason, By: d.UpdatedBy}
		if d.Open {
			sp.Kind, sp.Hours = v.tr("特别开放", "Opened"), d.Hours.Open.String()+"–"+d.Hours.Close.String()
		} else {
			sp.Kind = v.tr("闭馆", "Closed")
		}
		data.Days = append(data.Days, sp)
	}
	// Weeks run Monday to Sunday.
	start := first.AddDays(1 - first.Weekday())
	for d := start; d.Before(next) || d.Weekday() != 1; d = d.AddDays(1) {
		if d.Weekday() == 1 {
			data.Weeks = append(data.Weeks, nil)
		}
		cd := calendarDay{Date: d.String(), Day: fmt.Sprint(d.Day), Label: pages.LongDate(d, v.Lang), InMonth: d.Month == first.Month,
			Past: d.Before(today)}
		sd, isSpecial := special[d]
		switch {
		case isSpecial && sd.Open:
			cd.Class, cd.Note = "opened", v.tr("特别开放", "opened")+" "+sd.Hours.Open.String()+"–"+sd.Hours.Close.String()
		case isSpecial:
			cd.Class, cd.Note = "closed-special", v.tr("闭馆", "closed")
		case ven.ClosedOn(d):
			cd.Class, cd.Note = "closed-rule", v.tr("例行闭馆", "closed weekly")
		}
		if d == today {
			cd.Class += " today"
		}
		data.Weeks[len(data.Weeks)-1] = append(data.Weeks[len(data.Weeks)-1], cd)
	}
	v.Title, v.Page, v.Data = v.tr("开放日历", "Calendar")+" · "+data.Name, "calendar", data
	v.Texts = pages.JSTexts(map[string]string{
		"saved":  v.tr("已保存：%s", "Saved: %s"),
		"closed": v.tr("已关闭，取消 %d 个预约并通知游客", "Closed; %d bookings cancelled and their visitors told"),
		"opened": v.tr("已开放，新建 %d 个时段，重新开放 %d 个", "Opened; %d slots made, %d opened again"),
	})
	return "calendar", nil
}

// --- Reports, with charts drawn on the server as SVG ---

type reportsData struct {
	Venues                  []adminOption
	From, To                string
	Daily                   []api.DailyRow
	Origins                 []api.OriginRow
	DailyChart, OriginChart chart
	DailyCSV, OriginCSV     string
	Totals                  api.DailyRow
}

// chart is an SVG drawn by the template from computed shapes.
type chart struct {
	W, H   int
	Bars   []chartBar
	Labels []chartLabel
	Lines  []chartLine
	Title  string
}

type chartBar struct {
	X, Y, W, H float64
	Class, Tip string
}

type chartLabel struct {
	X, Y   float64
	Text   string
	Anchor string
}

type chartLine struct{ X1, Y1, X2, Y2 float64 }

// adminReports is GET /admin/reports?venue=&from=&to=.
func (s *server) adminReports(c echo.Context, v *adminView) (string, error) {
	ctx := c.Request().Context()
	venues, err := s.Catalog.Venues(ctx)
	if err != nil {
		return "", err
	}
	slug := c.QueryParam("venue")
	data := reportsData{Venues: []adminOption{{Value: "", Label: v.tr("全部场馆", "All venues"), Selected: slug == ""}}}
	for _, ven := range venues {
		data.Venues = append(data.Venues, adminOption{Value: ven.Slug, Label: api.PickName(ven, v.Lang), Selected: ven.Slug == slug})
	}
	daily, origins, from, to, err := api.Reports(c, s.Admin, s.Clock.Now())
	if err != nil {
		return "", err
	}
	data.From, data.To, data.Daily, data.Origins = from.String(), to.String(), daily, origins
	q := url.Values{"venue": {slug}, "from": {data.From}, "to": {data.To}, "format": {"csv"}}
	if v.Lang == api.EN {
		q.Set("lang", "en")
	}
	data.DailyCSV, data.OriginCSV = "/api/v1/admin/reports/daily?"+q.Encode(), "/api/v1/admin/reports/origins?"+q.Encode()
	// One bar pair per day (all venues added up): booked and admitted.
	byDay := map[string]*api.DailyRow{}
	var order []string
	for _, r := range daily {
		if byDay[r.Date] == nil {
			byDay[r.Date] = &api.DailyRow{Date: r.Date}
			order = append(order, r.Date)
		}
		d := byDay[r.Date]
		d.Quota += r.Quota
		d.Booked += r.Booked
		d.Admitted += r.Admitted
		d.NoShow += r.NoShow
		d.Cancelled += r.Cancelled
		d.WalkIns += r.WalkIns
		data.Totals.Booked += r.Booked
		data.Totals.Admitted += r.Admitted
		data.Totals.NoShow += r.NoShow
		data.Totals.Cancelled += r.Cancelled
		data.Totals.WalkIns += r.WalkIns
		data.Totals.Quota += r.Quota
	}
	data.DailyChart = dailyChart(order, byDay, v)
	data.OriginChart = originChart(origins, v)
	v.Title, v.Page, v.Data = v.tr("报表", "Reports"), "reports", data
	return "reports", nil
}

func dailyChart(order []string, byDay map[string]*api.DailyRow, v *adminView) chart {
	ch := chart{W: 720, H: 260, Title: v.tr("每日预约与入场人数", "Booked and admitted per day")}
	left, top, bottom := 44.0, 12.0, 40.0
	plotW, plotH := float64(ch.W)-left-8, float64(ch.H)-top-bottom
	most := 1
	for _, d := range order {
		most = max(most, byDay[d].Booked+byDay[d].WalkIns, byDay[d].Admitted)
	}
	maxY := niceMax(most)
	for i := 0; i <= 4; i++ {
		y := top + plotH - plotH*float64(i)/4
		ch.Lines = append(ch.Lines, chartLine{X1: left, Y1: y, X2: float64(ch.W) - 8, Y2: y})
		ch.Labels = append(ch.Labels, chartLabel{X: left - 6, Y: y + 4, Text: fmt.Sprint(maxY * i / 4), Anchor: "end"})
	}
	if len(order) == 0 {
		return ch
	}
	col := plotW / float64(len(order))
	bw := min(col*0.38, 24)
	every := max(1, len(order)/10)
	for i, date := range order {
		d := byDay[date]
		x := left + col*float64(i) + col/2
		booked := float64(d.Booked+d.WalkIns) / float64(maxY) * plotH
		admitted := float64(d.Admitted) / float64(maxY) * plotH
		ch.Bars = append(ch.Bars,
			chartBar{X: x - bw, Y: top + plotH - booked, W: bw, H: booked, Class: "booked",
				Tip: fmt.Sprintf("%s %s %d", date, v.tr("预约（含现场登记）", "booked (walk-ins included)"), d.Booked+d.WalkIns)},
			chartBar{X: x, Y: top + plotH - admitted, W: bw, H: admitted, Class: "admitted",
				Tip: fmt.Sprintf("%s %s %d", date, v.tr("入场", "admitted"), d.Admitted)})
		if i%every == 0 {
			ch.Labels = append(ch.Labels, chartLabel{X: x, Y: float64(ch.H) - bottom + 16, Text: date[5:], Anchor: "middle"})
		}
	}
	return ch
}

func originChart(origins []api.OriginRow, v *adminView) chart {
	rows := origins
	if len(rows) > 12 {
		rows = rows[:12]
	}
	ch := chart{W: 720, H: 28*len(rows) + 16, Title: v.tr("游客来源（入场人数）", "Where visitors come from (admitted)")}
	most := 1
	for _, r := range rows {
		most = max(most, r.Visitors)
	}
	left, right := 190.0, 60.0
	plotW := float64(ch.W) - left - right
	for i, r := range rows {
		y := 8 + float64(i)*28
		w := float64(r.Visitors) / float64(most) * plotW
		name := r.Name
		if v.Lang == api.EN {
			name = r.NameEN
		}
		ch.Labels = append(ch.Labels, chartLabel{X: left - 8, Y: y + 15, Text: name, Anchor: "end"},
			chartLabel{X: left + w + 6, Y: y + 15, Text: fmt.Sprint(r.Visitors), Anchor: "start"})
		ch.Bars = append(ch.Bars, chartBar{X: left, Y: y, W: w, H: 20, Class: "origin",
			Tip: fmt.Sprintf("%s %d / %s %d", name, r.Visitors, v.tr("预约", "booked"), r.Booked)})
	}
	return ch
}

// niceMax rounds n up to a round number for an axis.
func niceMax(n int) int {
	for _, step := range []int{4, 8, 20, 40, 80, 200, 400, 800, 2000, 4000, 8000, 20000, 40000, 80000} {
		if n <= step {
			return step
		}
	}
	return (n/100000 + 1) * 100000
}
