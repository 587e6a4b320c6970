package api

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"slotgate/domain"
)

// The desk (find any booking of a day, cancel persons at a visitor's
// request) and the reports the district asks for.

func (s *server) registerDesk(auth signedIn) {
	auth.GET("/admin/bookings", s.deskSearch)
	auth.POST("/admin/bookings/:id/cancel", s.deskCancel)
	auth.GET("/admin/reports/daily", s.dailyReport)
	auth.GET("/admin/reports/origins", s.originReport)
}

// deskBookingOut is a booking as the desk shows it: persons with masked
// IDs and their status, the phone masked, and no code (the code is the
// visitor's key to the booking).
func (s *server) deskBookingOut(c echo.Context, b domain.Booking) (bookingJSON, error) {
	out, err := s.bookingOut(c, b)
	out.Code, out.QRURL = "", ""
	return out, err
}

// deskSearch answers GET /admin/bookings?venue=&date=&q=.
func (s *server) deskSearch(c echo.Context) error {
	d, err := domain.ParseDate(c.QueryParam("date"))
	if err != nil {
		return domain.Invalid("date", domain.RuleDate)
	}
	slug, err := s.staffVenueSlug(c, c.QueryParam("venue"))
	if err != nil {
		return err
	}
	_, bs, err := s.Admin.DeskSearch(c.Request().Context(), SessionOf(c).User, slug, d, c.QueryParam("q"))
	if err != nil {
		return err
	}
	out := make([]bookingJSON, len(bs))
	for i, b := range bs {
		if out[i], err = s.deskBookingOut(c, b); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, out)
}

type deskCancelBody struct {
	Visitors []int  `json:"visitors"`
	Reason   string `json:"reason"`
}

// deskCancel answers POST /admin/bookings/{id}/cancel: persons of a
// booking (those listed, or everyone still outside) cancelled at the desk.
func (s *server) deskCancel(c echo.Context) error {
	var body deskCancelBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return domain.ErrNotFound
	}
	b, err := s.Admin.DeskCancel(c.Request().Context(), SessionOf(c).User, id, body.Visitors, body.Reason)
	if err != nil {
		return err
	}
	out, err := s.deskBookingOut(c, b)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

type DailyRow struct {
	Date      string `json:"date"`
	Venue     string `json:"venue"`
	Quota     int    `json:"quota"`
	Booked    int    `json:"booked"`
	Admitted  int    `json:"admitted"`
	NoShow    int    `json:"no_show"`
	Cancelled int    `json:"cancelled"`
	WalkIns   int    `json:"walk_ins"`
}

type OriginRow struct {
	Region   string `json:"region"`
	Name     string `json:"name"`
	NameEN   string `json:"name_en"`
	Visitors int    `json:"visitors"`
	Booked   int    `json:"booked"`
}

// reportRange reads ?from= and ?to= (default: the 30 days to today in
// China time, the venues' zone).
func reportRange(c echo.Context, now time.Time) (domain.Date, domain.Date, error) {
	today := domain.Venue{Timezone: "Asia/Shanghai"}.Today(now)
	if c.QueryParam("from") == "" {
		from := today.AddDays(-30)
		if q := c.QueryParam("to"); q != "" {
			to, err := domain.ParseDate(q)
			if err != nil {
				return from, to, domain.Invalid("to", domain.RuleDate)
			}
			return to.AddDays(-30), to, nil
		}
		return from, today, nil
	}
	return dateRange(c, today, 30)
}

func (s *server) dailyRows(c echo.Context) ([]DailyRow, error) {
	from, to, err := reportRange(c, s.Clock.Now())
	if err != nil {
		return nil, err
	}
	return dailyRows(c, s.Admin, from, to)
}

func dailyRows(c echo.Context, admin *domain.Admin, from, to domain.Date) ([]DailyRow, error) {
	venues, rows, err := admin.DailyReport(c.Request().Context(), SessionOf(c).User, c.QueryParam("venue"), from, to)
	if err != nil {
		return nil, err
	}
	slugs := map[int64]string{}
	for _, v := range venues {
		slugs[v.ID] = v.Slug
	}
	out := make([]DailyRow, len(rows))
	for i, r := range rows {
		out[i] = DailyRow{Date: r.Date.String(), Venue: slugs[r.VenueID], Quota: r.Quota, Booked: r.Booked,
			Admitted: r.Admitted, NoShow: r.NoShow, Cancelled: r.Cancelled, WalkIns: r.WalkIns}
	}
	return out, nil
}

func (s *server) originRows(c echo.Context) ([]OriginRow, error) {
	from, to, err := reportRange(c, s.Clock.Now())
	if err != nil {
		return nil, err
	}
	return originRows(c, s.Admin, from, to)
}

// Reports are the daily figures and the origins of ?venue=&from=&to=, for
// the reports page.
func Reports(c echo.Context, admin *domain.Admin, now time.Time) ([]DailyRow, []OriginRow, domain.Date, domain.Date, error) {
	from, to, err := reportRange(c, now)
	if err != nil {
		return nil, nil, from, to, err
	}
	daily, err := dailyRows(c, admin, from, to)
	if err != nil {
		return nil, nil, from, to, err
	}
	origins, err := originRows(c, admin, from, to)
	return daily, origins, from, to, err
}

func originRows(c echo.Context, admin *domain.Admin, from, to domain.Date) ([]OriginRow, error) {
	rows, err := admin.OriginReport(c.Request().Context(), SessionOf(c).User, c.QueryParam("venue"), from, to)
	if err != nil {
		return nil, err
	}
	out := make([]OriginRow, len(rows))
	for i, r := range rows {
		name := domain.Regions[r.Region]
		if name.ZH == "" {
			name = domain.Region{ZH: r.Region, EN: r.Region}
		}
		out[i] = OriginRow{Region: r.Region, Name: name.ZH, NameEN: name.EN, Visitors: r.Visitors, Booked: r.Booked}
	}
	return out, nil
}

// wantsCSV reports whether the client asked for CSV.
func wantsCSV(c echo.Context) bool {
	return strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "text/csv") || c.QueryParam("format") == "csv"
}

// writeCSV sends rows as a CSV download, with a byte-order mark so that
// spreadsheet programs read the Chinese text.
func writeCSV(c echo.Context, filename string, rows [][]string) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"`, filename))
	c.Response().WriteHeader(http.StatusOK)
	_, _ = c.Response().Write([]byte("\ufeff"))
	w := csv.NewWriter(c.Response())
	for _, r := range rows {
		_ = w.Write(r)
	}
	w.Flush()
	return w.Error()
}

// csvHeader picks the header row in the request's language: Chinese
// unless English is asked for (?lang=en or Accept-Language).
func csvHeader(c echo.Context, zh, en []string) []string {
	if c.QueryParam("lang") == "en" || (c.QueryParam("lang") == "" && LangOf(c) == EN) {
		return en
	}
	return zh
}

// dailyReport answers GET /admin/reports/daily?venue=&from=&to=.
func (s *server) dailyReport(c echo.Context) error {
	rows, err := s.dailyRows(c)
	if err != nil {
		return err
	}
	if !wantsCSV(c) {
		return c.JSON(http.StatusOK, rows)
	}
	out := [][]string{csvHeader(c,
		[]string{"日期", "场馆", "限额", "预约人数", "入场人数", "未到人数", "取消人数", "现场登记人数"},
		[]string{"date", "venue", "quota", "booked", "admitted", "no_show", "cancelled", "walk_ins"})}
	for _, r := range rows {
		out = append(out, []string{r.Date, r.Venue, strconv.Itoa(r.Quota), strconv.Itoa(r.Booked), strconv.Itoa(r.Admitted),
			strconv.Itoa(r.NoShow), strconv.Itoa(r.Cancelled), strconv.Itoa(r.WalkIns)})
	}
	return writeCSV(c, "daily.csv", out)
}

// originReport answers GET /admin/reports/origins?venue=&from=&to=.
func (s *server) originReport(c echo.Context) error {
	rows, err := s.originRows(c)
	if err != nil {
		return err
	}
	if !wantsCSV(c) {
		return c.JSON(http.StatusOK, rows)
	}
	out := [][]string{csvHeader(c, []string{"地区码", "地区", "入场人数", "预约人数"}, []string{"region", "name", "visitors", "booked"})}
	en := csvHeader(c, []string{"zh"}, []string{"en"})[0] == "en"
	for _, r := range rows {
		name := r.Name
		if en {
			name = r.NameEN
		}
		out = append(out, []string{r.Region, name, strconv.Itoa(r.Visitors), strconv.Itoa(r.Booked)})
	}
	return writeCSV(c, "origins.csv", out)
}
