// Package adminweb holds the admins' pages: venues and their policy, a
// venue's day with every slot's quota editable in place, closures, staff
// accounts, the audit log and a live dashboard. The server renders what
// the use cases read; the page's script changes things through the JSON
// API under /api/v1/admin, with the session cookie and the CSRF header, as
// the scanner page does, so that a change made on a page and one made by
// a client go one way.
package adminweb

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"slotgate/api"
	"slotgate/api/pages"
	"slotgate/domain"
)

// The admin pages' templates and static files.
//
//go:embed templates static
var adminWeb embed.FS

// adminPages are the admin pages, from templates/ and static/.
var adminPages = pages.NewSet("admin", adminWeb, "/admin/assets/", template.FuncMap{
	"t": func(l api.Lang, zh, en string) string { return api.Text{zh, en}.In(l) },
})

// server answers the admin pages with the use cases the API has.
type server struct {
	api.Deps
}

// Register adds the admin pages to e. Signing in is the staff sign-in page
// (package staffweb), which leads back here.
func Register(e *echo.Echo, d api.Deps) {
	s := &server{Deps: d}
	e.GET("/admin", s.adminPage("venues", s.adminVenues))
	e.GET("/admin/", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/admin") })
	e.GET("/admin/new-venue", s.adminPage("venues", s.adminNewVenue))
	e.GET("/admin/venues/:slug", s.adminPage("venues", s.adminVenue))
	e.GET("/admin/venues/:slug/days", s.adminPage("venues", s.adminDayPicked))
	e.GET("/admin/venues/:slug/days/:date", s.adminPage("venues", s.adminDay))
	e.GET("/admin/users", s.adminPage("users", s.adminUsers))
	e.GET("/admin/audit", s.adminPage("audit", s.adminAudit))
	e.GET("/admin/live", s.adminPage("live", s.adminLive))
	e.GET("/admin/desk", s.adminPage("desk", s.adminDesk))
	e.GET("/admin/reports", s.adminPage("reports", s.adminReports))
	e.GET("/admin/venues/:slug/calendar", s.adminPage("venues", s.adminCalendar))
	e.GET("/admin/assets/:name", adminPages.ServeAsset)
}

// adminView is what every admin template gets.
type adminView struct {
	pages.LangView
	Title     string
	Page      string // which part of admin.js runs: the body's data-page
	Nav       string // the navigation entry of this page
	CSRF      string
	Username  string
	SwitchURL string
	Texts     string // JSON: the words the page's script needs
	Data      any
}

func (v *adminView) tr(zh, en string) string { return api.Text{zh, en}.In(v.Lang) }

// adminHandler fills v for one page and names its template; "" means it
// has answered by itself (a redirect).
type adminHandler func(c echo.Context, v *adminView) (page string, err error)

// adminPage wraps an admin page: security headers, the language switch, a
// session from the cookie (without one, the sign-in page, which comes back
// here), admins only (staff see a page saying so), and an HTML page for
// any error, so that an admin never sees JSON or a blank page.
func (s *server) adminPage(nav string, h adminHandler) echo.HandlerFunc {
	return func(c echo.Context) error {
		pages.StaffHeaders(c)
		l := api.LangOf(c)
		// The same cookie as the visitor pages' switch: one choice holds everywhere.
		pages.KeepLang(c)
		v := &adminView{LangView: pages.LangView{Lang: l}, Nav: nav, SwitchURL: pages.SwitchURL(c.Request().URL, l)}
		sess, err := s.pageSession(c)
		switch {
		case errors.Is(err, domain.ErrUnauthorized):
			return c.Redirect(http.StatusSeeOther, signInURL(c.Request().URL, l))
		case err != nil:
			return s.renderAdminError(c, v, err)
		}
		api.SetSession(c, sess)
		v.CSRF, v.Username = pages.StaffCSRFToken(c), sess.User.Username
		// The desk is for the venue's staff too; the rest is for admins.
		if sess.User.Role != domain.RoleAdmin && nav != "desk" {
			v.Nav, v.Title = "", v.tr("没有权限", "Not allowed")
			return s.renderAdmin(c, http.StatusForbidden, "forbidden", v)
		}
		page, err := h(c, v)
		if err != nil {
			return s.renderAdminError(c, v, err)
		}
		if page == "" {
			return nil
		}
		return s.renderAdmin(c, http.StatusOK, page, v)
	}
}

// pageSession is the session of the page's cookie. A missing, unknown or
// expired one is ErrUnauthorized; any other error is the store's.
func (s *server) pageSession(c echo.Context) (domain.Session, error) {
	sc, err := c.Cookie(api.SessionCookie)
	if err != nil || sc.Value == "" {
		return domain.Session{}, domain.ErrUnauthorized
	}
	return s.Accounts.Authenticate(c.Request().Context(), sc.Value)
}

// signInURL is the sign-in page that leads back to u afterwards.
func signInURL(u *url.URL, l api.Lang) string {
	out := "/staff/login?next=" + url.QueryEscape(u.RequestURI())
	if l == api.EN {
		out += "&lang=en"
	}
	return out
}

func (s *server) renderAdminError(c echo.Context, v *adminView, err error) error {
	p := api.ProblemOf(err, v.Lang)
	if p.Status >= 500 {
		s.Log.ErrorContext(c.Request().Context(), "admin page failed", "route", c.Path(), "status", p.Status, "err", err)
	}
	if p.Code == domain.CodeNotFound {
		p.Detail = v.tr("没有这个场馆、日期或页面。", "There is no such venue, day or page.")
	}
	v.Title, v.Page, v.Data = p.Title, "", p
	return s.renderAdmin(c, p.Status, "error", v)
}

// renderAdmin writes admin page name with status.
func (s *server) renderAdmin(c echo.Context, status int, name string, v *adminView) error {
	return adminPages.Render(c, status, name, v)
}

// adminOption is one choice of a select or a set of checkboxes.
type adminOption struct {
	Value, Label string
	Selected     bool
}

func kindName(kind string, l api.Lang) string { return pages.KindName(kind, l) }

// venueKinds are the kinds a venue may be, as the seeds have them.
var venueKinds = []string{"scenic_area", "museum", "library", "cultural_centre", "art_gallery"}

func dayURL(slug string, d domain.Date) string {
	return "/admin/venues/" + url.PathEscape(slug) + "/days/" + d.String()
}

// --- The venue list ---

type adminVenueRow struct {
	Slug, Name, AltName, Kind, Hours, Closed, Quota, Inside string
	SlotMinutes                                             int
	URL                                                     string
	Days                                                    []adminDayLink
}

type adminDayLink struct {
	URL, Label     string
	Closed, Today  bool
	Weekday, Short string
}

func (s *server) adminVenues(c echo.Context, v *adminView) (string, error) {
	venues, err := s.Catalog.Venues(c.Request().Context())
	if err != nil {
		return "", err
	}
	now := s.Clock.Now()
	rows := make([]adminVenueRow, 0, len(venues))
	for _, ven := range venues {
		r := adminVenueRow{Slug: ven.Slug, Name: api.PickName(ven, v.Lang), AltName: api.PickName(ven, v.Other()),
			Kind: kindName(ven.Kind, v.Lang), Hours: ven.Open.String() + "–" + ven.Close.String(),
			SlotMinutes: ven.SlotMinutes, URL: "/admin/venues/" + url.PathEscape(ven.Slug),
			Inside: v.tr(fmt.Sprintf("同时在场上限 %d 人", ven.InstantaneousCapacity), fmt.Sprintf("at most %d inside at once", ven.InstantaneousCapacity))}
		r.Closed = closedWeekdays(ven.ClosedWeekdays, v.Lang)
		r.Quota = quotaRule(ven, v)
		today := ven.Today(now)
		for i := 0; i <= ven.BookingWindowDays && i < 8; i++ {
			d := today.AddDays(i)
			r.Days = append(r.Days, adminDayLink{URL: dayURL(ven.Slug, d), Label: pages.LongDate(d, v.Lang), Closed: ven.ClosedOn(d),
				Today: i == 0, Weekday: pages.WeekdayShort[d.Weekday()].In(v.Lang), Short: fmt.Sprintf("%d/%d", int(d.Month), d.Day)})
		}
		rows = append(rows, r)
	}
	v.Title, v.Page, v.Data = v.tr("场馆", "Venues"), "venues", rows
	return "venues", nil
}

func closedWeekdays(days []int, l api.Lang) string {
	if len(days) == 0 {
		return ""
	}
	names := make([]string, 0, len(days))
	for _, d := range days {
		if d >= 1 && d <= 7 {
			names = append(names, pages.WeekdayNames[d].In(l))
		}
	}
	return fmt.Sprintf(api.Text{"每%s闭馆", "Closed on %s"}.In(l), strings.Join(names, api.Text{"、", ", "}.In(l)))
}

// quotaRule says where a venue's slot quotas come from: a number, or the
// approved daily capacity times the policy ratio.
func quotaRule(ven domain.Venue, v *adminView) string {
	if ven.ApprovedDailyCapacity > 0 {
		return v.tr(fmt.Sprintf("核定日容量 %d × %d%%，均分到各时段", ven.ApprovedDailyCapacity, ven.PolicyRatioPct),
			fmt.Sprintf("approved %d a day × %d%%, shared over the slots", ven.ApprovedDailyCapacity, ven.PolicyRatioPct))
	}
	return v.tr(fmt.Sprintf("每时段 %d 人", ven.DefaultQuota), fmt.Sprintf("%d a slot", ven.DefaultQuota))
}

// --- A venue's settings ---

type adminVenueForm struct {
	New         bool
	Slug        string
	Name        string
	Action      string // the API address the form is sent to
	Method      string
	Groups      []adminFieldGroup
	WeeklyHours string
	DaysURL     string
	CalendarURL string
}

type adminFieldGroup struct {
	Legend string
	Fields []adminField
}

// adminField is one input of the venue form; Name is its JSON field, with
// a dot for a nested one ("name.zh"), which is also what the API names in
// its validation errors.
type adminField struct {
	Name, Label, Hint, Value, Kind, Unit string
	Min, Max                             int
	Required                             bool
	Options                              []adminOption
}

// ID is the input's id attribute.
func (f adminField) ID() string {
	return "f-" + strings.NewReplacer(".", "-", "_", "-").Replace(f.Name)
}

func (s *server) adminNewVenue(c echo.Context, v *adminView) (string, error) {
	form := s.venueForm(v, api.NewVenueDefaults(), true)
	v.Title, v.Page, v.Data = v.tr("新建场馆", "New venue"), "venue", form
	v.Texts = venueFormTexts(v)
	return "venue", nil
}

func (s *server) adminVenue(c echo.Context, v *adminView) (string, error) {
	ven, err := s.Catalog.Venue(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return "", err
	}
	form := s.venueForm(v, ven, false)
	v.Title, v.Page, v.Data = form.Name, "venue", form
	v.Texts = venueFormTexts(v)
	return "venue", nil
}

func venueFormTexts(v *adminView) string {
	return pages.JSTexts(map[string]string{
		"int":        v.tr("请输入整数", "enter a whole number"),
		"time":       v.tr("请按 HH:MM 填写，如 09:00", "write it as HH:MM, e.g. 09:00"),
		"required":   v.tr("必填", "is required"),
		"fix":        v.tr("有 %d 处需要修改，见各项下方的说明。", "%d fields need changing; see the notes below them."),
		"saved":      v.tr("已保存。", "Saved."),
		"created":    v.tr("场馆已创建，时段已生成。", "The venue was created and its slots made."),
		"added":      v.tr("新增时段 %d 个，删除空时段 %d 个。", "%d slots added, %d empty slots removed."),
		"kept":       v.tr("以下时段已有预约，不在新的开放时间内，已保留（不会取消预约）：", "These slots hold bookings and fall outside the new hours; they were kept (no booking is cancelled):"),
		"keptRow":    v.tr("%s %s，已预约 %d 人", "%s %s, %d booked"),
		"offline":    v.tr("网络中断，未保存，请重试。", "No connection; nothing was saved. Try again."),
		"saving":     v.tr("正在保存…", "Saving…"),
		"conflict":   v.tr("已有同名场馆", "a venue with this slug exists"),
		"notAllowed": v.tr("没有权限", "Not allowed"),
	})
}

func (s *server) venueForm(v *adminView, ven domain.Venue, isNew bool) adminVenueForm {
	f := adminVenueForm{New: isNew, Slug: ven.Slug, Name: api.PickName(ven, v.Lang)}
	if isNew {
		f.Action, f.Method = "/api/v1/admin/venues", http.MethodPost
	} else {
		f.Action, f.Method = "/api/v1/admin/venues/"+url.PathEscape(ven.Slug), http.MethodPut
		f.DaysURL = dayURL(ven.Slug, ven.Today(s.Clock.Now()))
		f.CalendarURL = "/admin/venues/" + url.PathEscape(ven.Slug) + "/calendar"
	}
	num := func(name, zh, en string, value int, unitZH, unitEN, hintZH, hintEN string, min int) adminField {
		return adminField{Name: name, Label: v.tr(zh, en), Value: strconv.Itoa(value), Kind: "int", Unit: v.tr(unitZH, unitEN),
			Hint: v.tr(hintZH, hintEN), Min: min, Required: true}
	}
	clock := func(name, zh, en string, m domain.Minute, hintZH, hintEN string) adminField {
		return adminField{Name: name, Label: v.tr(zh, en), Value: m.String(), Kind: "time", Hint: v.tr(hintZH, hintEN), Required: true}
	}
	kinds := make([]adminOption, 0, len(venueKinds)+1)
	for _, k := range venueKinds {
		kinds = append(kinds, adminOption{Value: k, Label: kindName(k, v.Lang), Selected: k == ven.Kind})
	}
	if ven.Kind != "" && !slices.Contains(venueKinds, ven.Kind) {
		kinds = append(kinds, adminOption{Value: ven.Kind, Label: ven.Kind, Selected: true})
	}
	weekdays := make([]adminOption, 0, 7)
	for d := 1; d <= 7; d++ {
		weekdays = append(weekdays, adminOption{Value: strconv.Itoa(d), Label: pages.WeekdayNames[d].In(v.Lang), Selected: slices.Contains(ven.ClosedWeekdays, d)})
	}

	basics := adminFieldGroup{Legend: v.tr("基本信息", "The venue")}
	if isNew {
		basics.Fields = append(basics.Fields, adminField{Name: "slug", Label: v.tr("网址名（slug）", "Slug"), Kind: "text", Required: true,
			Hint: v.tr("小写字母、数字和连字符，如 beibei-museum；创建后不能修改", "lower-case letters, digits and hyphens, e.g. beibei-museum; it cannot change later")})
	}
	basics.Fields = append(basics.Fields,
		adminField{Name: "name.zh", Label: v.tr("中文名称", "Name in Chinese"), Value: ven.NameZH, Kind: "text", Required: true},
		adminField{Name: "name.en", Label: v.tr("英文名称", "Name in English"), Value: ven.NameEN, Kind: "text", Required: true},
		adminField{Name: "kind", Label: v.tr("类型", "Kind"), Kind: "select", Options: kinds, Required: true},
		adminField{Name: "timezone", Label: v.tr("时区", "Time zone"), Value: ven.Timezone, Kind: "text", Required: true,
			Hint: v.tr("如 Asia/Shanghai；时段按场馆当地时间", "e.g. Asia/Shanghai; slot times are the venue's local time")},
		adminField{Name: "address.zh", Label: v.tr("地址（中文）", "Address in Chinese"), Value: ven.Address.ZH, Kind: "text"},
		adminField{Name: "address.en", Label: v.tr("地址（英文）", "Address in English"), Value: ven.Address.EN, Kind: "text"},
		adminField{Name: "contact_phone", Label: v.tr("咨询电话", "Contact phone"), Value: ven.ContactPhone, Kind: "text"},
		adminField{Name: "notice.zh", Label: v.tr("参观须知（中文）", "Visiting rules in Chinese"), Value: ven.Notice.ZH, Kind: "text",
			Hint: v.tr("预约前在场馆页面显示", "shown on the venue page before booking")},
		adminField{Name: "notice.en", Label: v.tr("参观须知（英文）", "Visiting rules in English"), Value: ven.Notice.EN, Kind: "text"},
	)
	hours := adminFieldGroup{Legend: v.tr("开放时间与时段", "Hours and slots"), Fields: []adminField{
		clock("hours.open", "开门", "Opens", ven.Open, "", ""),
		clock("hours.close", "闭馆", "Closes", ven.Close, "24:00 表示午夜", "24:00 means midnight"),
		{Name: "closed_weekdays", Label: v.tr("每周闭馆日", "Closed every week on"), Kind: "weekdays", Options: weekdays},
		num("slot_minutes", "每个时段长度", "Slot length", ven.SlotMinutes, "分钟", "minutes", "", "", 1),
		num("booking_window_days", "提前预约天数", "Booking window", ven.BookingWindowDays, "天", "days", "最后一天在下面的放号时间开放预约", "the last day opens at the release time below", 1),
		clock("release_time", "放号时间", "Release time", ven.ReleaseTime, "每天此时（当地时间）开放预约窗口的最后一天", "each day at this local time the window's last day opens"),
		num("booking_closes_minutes_before_end", "停止预约", "Booking closes", ven.BookingClosesMinutesBeforeEnd, "分钟", "minutes before the end",
			"时段开始后仍可预约，直到结束前这么多分钟；0 为直到结束", "a slot under way stays bookable until this long before its end; 0: until the end", 0),
		num("max_party_size", "每笔预约最多人数", "Largest party", ven.MaxPartySize, "人", "people", "", "", 1),
		num("admission_minutes_before", "提前入场", "Admission opens", ven.AdmissionMinutesBefore, "分钟", "minutes before", "时段开始前多久起可检票入场", "how long before a slot starts its visitors may enter", 0),
	}}
	policy := adminFieldGroup{Legend: v.tr("容量与限流政策", "Capacity and policy"), Fields: []adminField{
		num("default_quota", "默认每时段配额", "Default quota a slot", ven.DefaultQuota, "人", "people", "未填核定日容量时使用", "used when no daily capacity is approved", 0),
		num("approved_daily_capacity", "核定日最大承载量", "Approved daily capacity", ven.ApprovedDailyCapacity, "人", "people", "填 0 则按默认配额；否则配额 = 核定日容量 × 比例 ÷ 当天时段数", "0: the default quota applies; otherwise quota = approved × ratio ÷ the day's slots", 0),
		num("policy_ratio_pct", "限流比例", "Policy ratio", ven.PolicyRatioPct, "%", "%", "如 30、50、75。降低比例不会取消预约：超出新配额的时段停售并标记", "e.g. 30, 50, 75. Lowering it cancels no booking: a slot left above its quota stops selling and is flagged", 1),
		num("approved_instantaneous_capacity", "核定瞬时最大承载量", "Approved instantaneous capacity", ven.ApprovedInstantaneousCapacity, "人", "people", "", "", 0),
		num("instantaneous_capacity", "同时在场上限", "Capacity inside at once", ven.InstantaneousCapacity, "人", "people", "检票到此人数即停，出一人进一人", "admissions stop here: one out, one in", 1),
		num("gate_flow_per_minute", "每个入口每分钟放行", "Gate flow", ven.GateFlowPerMinute, "人/分钟", "people a minute", "", "", 1),
		num("gate_burst", "入口瞬时放行", "Gate burst", ven.GateBurst, "人", "people", "", "", 1),
	}}
	held := adminFieldGroup{Legend: v.tr("预留名额", "Held-back places"), Fields: []adminField{
		num("held_back_pct", "每时段预留比例", "Share held back", ven.HeldBackPct, "%", "%", "为不能提前一周预约的人保留，0 为不预留", "kept for people who cannot book a week ahead; 0 holds none back", 0),
		clock("held_back_release", "预留名额放出时间", "Released at", ven.HeldBackRelease, "参观日前一天的当地时间", "local time on the day before the visit"),
	}}
	noShows := adminFieldGroup{Legend: v.tr("爽约与个人信息", "No-shows and personal data"), Fields: []adminField{
		num("no_show_grace_minutes", "爽约宽限", "No-show grace", ven.NoShowGraceMinutes, "分钟", "minutes", "时段结束后多久未入场记为爽约", "after a slot's end, before an unused booking counts as a no-show", 0),
		num("no_show_strikes", "爽约次数上限", "Strikes", ven.NoShowStrikes, "次", "no-shows", "", "", 1),
		num("no_show_window_days", "统计期", "Counted over", ven.NoShowWindowDays, "天", "days", "", "", 1),
		num("restriction_days", "限制预约", "Restricted for", ven.RestrictionDays, "天", "days", "", "", 1),
		num("erase_after_days", "删除个人信息", "Personal data erased after", ven.EraseAfterDays, "天", "days", "参观日后删除姓名与脱敏证件号", "after the visit, names and masked IDs go", 1),
	}}
	f.Groups = []adminFieldGroup{basics, hours, policy, held, noShows}
	if !isNew {
		f.Groups = append(f.Groups, adminFieldGroup{Legend: v.tr("变更原因", "Reason"), Fields: []adminField{
			{Name: "reason", Label: v.tr("变更原因（记入审计日志，可不填）", "Reason (kept in the audit log; optional)"), Kind: "text", Max: 500},
		}})
	}
	if len(ven.HoursByWeekday) > 0 {
		days := make([]int, 0, len(ven.HoursByWeekday))
		for d := range ven.HoursByWeekday {
			days = append(days, d)
		}
		slices.Sort(days)
		parts := make([]string, 0, len(days))
		for _, d := range days {
			if d >= 1 && d <= 7 {
				h := ven.HoursByWeekday[d]
				parts = append(parts, pages.WeekdayNames[d].In(v.Lang)+" "+h.Open.String()+"–"+h.Close.String())
			}
		}
		f.WeeklyHours = v.tr("以下星期另有开放时间（本表单不修改）：", "Other hours on these days (this form leaves them): ") + strings.Join(parts, v.tr("；", "; "))
	}
	return f
}

// --- A venue's day ---

type adminDayData struct {
	Slug, Name, Date, DateLabel string
	VenueURL, Prev, Next, Today string
	APIDay                      string
	ClosedByRule                bool
	Rows                        []adminSlotRow
	Total                       adminSlotRow
	Changeable                  bool // some slot has not ended and is not closed
}

// adminSlotRow is one slot of the day view; Phase is dayPast when it has
// ended, dayRunning while it runs, and "" before.
type adminSlotRow struct {
	ID                                          int64
	Time                                        string
	Quota, Booked, Admitted, NoShows, Remaining int
	Status, Phase                               dayStatus
	StatusLabel                                 string
	Manual, Editable                            bool
}

// dayStatus is how the day view names a slot's state: what staff decided
// (closed, frozen), a lowered quota's flag, the time (past, running), or
// its places (full, open). The page and its script use it as a class name.
type dayStatus string

const (
	dayOpen    dayStatus = "open"
	dayFull    dayStatus = "full"
	dayClosed  dayStatus = "closed"
	dayFrozen  dayStatus = "frozen"
	dayFlagged dayStatus = "flagged"
	dayPast    dayStatus = "past"
	dayRunning dayStatus = "running"
)

// slotStatus is a slot's status and phase in the day view at now.
func slotStatus(r domain.SlotReport, now time.Time) (status, phase dayStatus) {
	switch {
	case !now.Before(r.End):
		phase = dayPast
	case !now.Before(r.Start):
		phase = dayRunning
	}
	switch {
	case r.Status == domain.SlotClosed:
		return dayClosed, phase
	case r.Flagged:
		return dayFlagged, phase
	case r.Status == domain.SlotFrozen:
		return dayFrozen, phase
	case phase != "":
		return phase, phase
	case r.Booked >= r.Quota:
		return dayFull, phase
	}
	return dayOpen, phase
}

// slotStatusTexts name the day view's slot states.
var slotStatusTexts = map[dayStatus]api.Text{
	dayOpen:    {"可预约", "Open"},
	dayFull:    {"已约满", "Full"},
	dayClosed:  {"已关闭", "Closed"},
	dayFrozen:  {"已冻结", "Frozen"},
	dayFlagged: {"超出配额·停售", "Over quota, not selling"},
	dayPast:    {"已结束", "Over"},
	dayRunning: {"进行中", "Running"},
}

// adminDayPicked answers the day picker's form, which cannot put the date
// in the path without a script.
func (s *server) adminDayPicked(c echo.Context, v *adminView) (string, error) {
	d, err := domain.ParseDate(c.QueryParam("date"))
	if err != nil {
		return "", domain.ErrNotFound
	}
	to := dayURL(c.Param("slug"), d)
	if q := c.QueryParam("lang"); q != "" {
		to += "?lang=" + string(api.PickLang(q))
	}
	return "", c.Redirect(http.StatusSeeOther, to)
}

func (s *server) adminDay(c echo.Context, v *adminView) (string, error) {
	d, err := domain.ParseDate(c.Param("date"))
	if err != nil {
		return "", domain.ErrNotFound
	}
	ven, reports, err := s.Admin.DayView(c.Request().Context(), api.SessionOf(c).User, c.Param("slug"), d)
	if err != nil {
		return "", err
	}
	now, loc := s.Clock.Now(), ven.Location()
	data := adminDayData{Slug: ven.Slug, Name: api.PickName(ven, v.Lang), Date: d.String(), DateLabel: pages.LongDate(d, v.Lang),
		VenueURL: "/admin/venues/" + url.PathEscape(ven.Slug), Prev: dayURL(ven.Slug, d.AddDays(-1)), Next: dayURL(ven.Slug, d.AddDays(1)),
		Today: dayURL(ven.Slug, ven.Today(now)), APIDay: "/api/v1/admin/venues/" + url.PathEscape(ven.Slug) + "/days/" + d.String(),
		ClosedByRule: ven.ClosedOn(d)}
	for _, r := range reports {
		row := adminSlotRow{ID: r.ID, Time: pages.TimeWindow(r.Slot, loc), Quota: r.Quota, Booked: r.Booked, Admitted: r.Admitted,
			NoShows: r.NoShows, Remaining: max(r.Quota-r.Booked, 0), Manual: r.ManualQuota}
		row.Status, row.Phase = slotStatus(r, now)
		if row.Status == dayClosed || row.Status == dayFrozen || row.Status == dayFlagged {
			row.Remaining = 0 // it sells nothing, whatever its quota says
		}
		row.StatusLabel = slotStatusTexts[row.Status].In(v.Lang)
		row.Editable = row.Phase != dayPast && r.Status != domain.SlotClosed
		data.Changeable = data.Changeable || row.Editable
		data.Total.Quota += row.Quota
		data.Total.Booked += row.Booked
		data.Total.Admitted += row.Admitted
		data.Total.NoShows += row.NoShows
		data.Total.Remaining += row.Remaining
		data.Rows = append(data.Rows, row)
	}
	texts := map[string]string{
		"int":        v.tr("请输入 0 或更大的整数", "enter a whole number, 0 or more"),
		"reason":     v.tr("请填写原因，将记入审计日志", "give a reason; it goes in the audit log"),
		"saved":      v.tr("已保存", "Saved"),
		"freeze":     v.tr("冻结此时段：配额改为 %d，停止售票，已有预约保留", "Freeze the slot: quota %d, no more sales, bookings kept"),
		"offline":    v.tr("网络中断，未保存，请重试。", "No connection; nothing was saved. Try again."),
		"confirmDay": v.tr("将关闭 %s %s 全天（%d 个时段）。已预约的 %d 人将被取消预约并收到通知，名额释放。此操作不能撤销。", "This closes %s on %s for the whole day (%d slots). The %d people booked lose their bookings and are told; it cannot be undone."),
		"confirmOne": v.tr("将关闭 %s %s 的 %s 时段。已预约的 %d 人将被取消预约并收到通知。此操作不能撤销。", "This closes %s on %s, %s. The %d people booked lose their bookings and are told; it cannot be undone."),
		"closed":     v.tr("已关闭 %d 个时段，取消 %d 笔预约，通知 %d 人。", "%d slots closed, %d bookings cancelled, %d people told."),
		"dayDone":    v.tr("已更新 %d 个时段。", "%d slots updated."),
		"dayRefused": v.tr("以下时段已预约人数高于新配额，未更改（可勾选“冻结”后重试）：%s", "These slots hold more bookings than the new quota and were left (tick “freeze” to stop their sales instead): %s"),
		"pick":       v.tr("请选择要关闭的范围", "choose what to close"),
	}
	for k, t := range slotStatusTexts {
		texts["status."+string(k)] = t.In(v.Lang)
	}
	v.Title = data.Name + " · " + data.DateLabel
	v.Page, v.Data, v.Texts = "day", data, pages.JSTexts(texts)
	return "day", nil
}

// --- Staff accounts ---

type adminUsersData struct {
	Users  []adminUserRow
	Venues []adminOption
}

type adminUserRow struct {
	Username, Role, RoleLabel, VenueNames string
	Venues                                []adminOption
	Disabled, Self                        bool
}

// ID is a form of the username fit for id attributes.
func (u adminUserRow) ID() string { return "u-" + strings.NewReplacer(".", "-").Replace(u.Username) }

var roleTexts = map[domain.Role]api.Text{domain.RoleStaff: {"工作人员", "Staff"}, domain.RoleAdmin: {"管理员", "Admin"}}

func (s *server) adminUsers(c echo.Context, v *adminView) (string, error) {
	ctx := c.Request().Context()
	users, err := s.Admin.Users(ctx, api.SessionOf(c).User)
	if err != nil {
		return "", err
	}
	venues, err := s.Catalog.Venues(ctx)
	if err != nil {
		return "", err
	}
	data := adminUsersData{}
	for _, ven := range venues {
		data.Venues = append(data.Venues, adminOption{Value: ven.Slug, Label: api.PickName(ven, v.Lang)})
	}
	me := api.SessionOf(c).User.ID
	for _, u := range users {
		row := adminUserRow{Username: u.Username, Role: string(u.Role), RoleLabel: roleTexts[u.Role].In(v.Lang), Disabled: u.Disabled, Self: u.ID == me}
		var names []string
		for _, ven := range venues {
			serves := slices.Contains(u.VenueIDs, ven.ID)
			row.Venues = append(row.Venues, adminOption{Value: ven.Slug, Label: api.PickName(ven, v.Lang), Selected: serves})
			if serves {
				names = append(names, api.PickName(ven, v.Lang))
			}
		}
		row.VenueNames = strings.Join(names, v.tr("、", ", "))
		if u.Role == domain.RoleAdmin {
			row.VenueNames = v.tr("全部场馆", "every venue")
		}
		data.Users = append(data.Users, row)
	}
	v.Title, v.Page, v.Data = v.tr("工作人员账号", "Staff accounts"), "users", data
	v.Texts = pages.JSTexts(map[string]string{
		"added":     v.tr("已添加账号 %s。", "Account %s added."),
		"saved":     v.tr("已保存。", "Saved."),
		"disabled":  v.tr("已停用", "Disabled"),
		"enabled":   v.tr("启用中", "Active"),
		"disable":   v.tr("停用账号", "Disable"),
		"enable":    v.tr("重新启用", "Enable"),
		"reset":     v.tr("密码已重置，该账号已在所有设备上退出。", "Password reset; the account is signed out everywhere."),
		"offline":   v.tr("网络中断，未保存，请重试。", "No connection; nothing was saved. Try again."),
		"venues":    v.tr("请至少选择一个场馆", "choose at least one venue"),
		"allVenues": v.tr("全部场馆", "every venue"),
	})
	return "users", nil
}
