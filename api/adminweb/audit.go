package adminweb

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"slotgate/api"
	"slotgate/api/pages"
	"slotgate/domain"
)

// --- The audit log ---

type adminAuditData struct {
	Venue, User, Kind, From, To string
	Venues, Kinds               []adminOption
	Entries                     []adminAuditRow
	Total, Page, Pages          int
	Prev, Next                  string
	Errors                      map[string]string
}

type adminAuditRow struct {
	At, User, Kind, KindCode, Venue, Subject, Reason string
	Changes                                          []string
}

var auditKindTexts = map[domain.AuditKind]api.Text{
	domain.AuditSlotQuota:    {"时段配额", "Slot quota"},
	domain.AuditDefaultQuota: {"默认配额", "Default quota"},
	domain.AuditClosure:      {"关闭", "Closure"},
	domain.AuditVenueCreate:  {"新建场馆", "Venue created"},
	domain.AuditVenueUpdate:  {"修改场馆", "Venue changed"},
	domain.AuditUserCreate:   {"新建账号", "Account created"},
	domain.AuditUserUpdate:   {"修改账号", "Account changed"},
	domain.AuditPassword:     {"重置密码", "Password reset"},
	domain.AuditSignIn:       {"登录", "Sign-in"},
	domain.AuditSignInFailed: {"登录失败", "Failed sign-in"},
	domain.AuditRestriction:  {"解除预约限制", "Restriction lifted"},
	domain.AuditSpecialDay:   {"特别日期", "Special day"},
	domain.AuditReopen:       {"重新开放", "Reopened"},
	domain.AuditDeskCancel:   {"前台取消", "Cancelled at the desk"},
}

// auditKinds are the kinds in the order the filter offers them.
var auditKinds = []domain.AuditKind{domain.AuditSlotQuota, domain.AuditDefaultQuota, domain.AuditClosure, domain.AuditVenueCreate,
	domain.AuditVenueUpdate, domain.AuditUserCreate, domain.AuditUserUpdate, domain.AuditPassword, domain.AuditSignIn,
	domain.AuditSignInFailed, domain.AuditRestriction, domain.AuditSpecialDay, domain.AuditReopen, domain.AuditDeskCancel}

// auditPerPage is how many entries a page of the audit log shows.
const auditPerPage = 50

// adminAudit reads the audit log with the filters and pages of the API's
// GET /api/v1/admin/audit (page, per_page), and sends the same Link header.
func (s *server) adminAudit(c echo.Context, v *adminView) (string, error) {
	ctx := c.Request().Context()
	q := c.QueryParams()
	venues, err := s.Catalog.Venues(ctx)
	if err != nil {
		return "", err
	}
	// Entries are shown, and times typed, in the venues' zone.
	loc := time.UTC
	if len(venues) > 0 {
		loc = venues[0].Location()
	}
	data := adminAuditData{Venue: q.Get("venue"), User: strings.TrimSpace(q.Get("user")), Kind: q.Get("kind"),
		From: q.Get("from"), To: q.Get("to"), Errors: map[string]string{}}
	f := domain.AuditFilter{Username: data.User, Kind: domain.AuditKind(data.Kind)}
	data.Venues = append(data.Venues, adminOption{Value: "", Label: v.tr("全部场馆", "All venues")})
	names := map[int64]string{}
	for _, ven := range venues {
		names[ven.ID] = api.PickName(ven, v.Lang)
		data.Venues = append(data.Venues, adminOption{Value: ven.Slug, Label: api.PickName(ven, v.Lang), Selected: ven.Slug == data.Venue})
		if ven.Slug == data.Venue {
			f.VenueID = ven.ID
		}
	}
	if data.Venue != "" && f.VenueID == 0 {
		data.Errors["venue"] = api.RuleText(domain.FieldError{Rule: domain.RuleUnknownVenue}, v.Lang)
	}
	data.Kinds = append(data.Kinds, adminOption{Value: "", Label: v.tr("全部类型", "All kinds")})
	for _, k := range auditKinds {
		data.Kinds = append(data.Kinds, adminOption{Value: string(k), Label: auditKindTexts[k].In(v.Lang), Selected: string(k) == data.Kind})
	}
	for _, p := range []struct {
		name, value string
		dst         *time.Time
	}{{"from", data.From, &f.From}, {"to", data.To, &f.To}} {
		if p.value == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02T15:04", p.value, loc)
		if err != nil {
			data.Errors[p.name] = v.tr("请按 年-月-日 时:分 填写", "write it as a date and a time")
			continue
		}
		*p.dst = t
	}
	data.Page = max(pageNumber(q.Get("page")), 1)
	offset, ok := domain.PageOffset(data.Page, auditPerPage)
	if !ok {
		data.Page, offset = 1, 0 // a page past any log: the first
	}
	f.Limit, f.Offset = auditPerPage, offset
	if len(data.Errors) == 0 {
		entries, total, err := s.Admin.Audit(ctx, api.SessionOf(c).User, f)
		if err != nil {
			return "", err
		}
		data.Total, data.Pages = total, max((total+auditPerPage-1)/auditPerPage, 1)
		for _, e := range entries {
			row := adminAuditRow{At: e.At.In(loc).Format("2006-01-02 15:04:05"), User: e.Username, KindCode: string(e.Kind),
				Kind: string(e.Kind), Venue: names[e.VenueID], Subject: s.auditSubject(c, e, loc, v.Lang), Reason: e.Reason,
				Changes: auditReadable(auditChanges(e.Before, e.After), names, v.Lang)}
			if t, ok := auditKindTexts[e.Kind]; ok {
				row.Kind = t.In(v.Lang)
			}
			data.Entries = append(data.Entries, row)
		}
		api.SetPageLinks(c, data.Page, auditPerPage, total)
		page := func(n int) string {
			u := url.Values{}
			for k, vs := range q {
				u[k] = vs
			}
			u.Set("page", strconv.Itoa(n))
			return "/admin/audit?" + u.Encode()
		}
		if data.Page > 1 {
			data.Prev = page(data.Page - 1)
		}
		if data.Page*auditPerPage < total {
			data.Next = page(data.Page + 1)
		}
	}
	v.Title, v.Page, v.Data = v.tr("审计日志", "Audit log"), "audit", data
	return "audit", nil
}

// auditChanges lists what an entry changed, one "field: before → after"
// for each field whose value differs, or the values themselves when the
// entry has only one side.
func auditChanges(before, after any) []string {
	b, a := auditFields(before), auditFields(after)
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		bv, inB := b[k]
		av, inA := a[k]
		switch {
		case inB && inA && reflect.DeepEqual(bv, av):
			continue
		case inB && inA:
			out = append(out, fmt.Sprintf("%s: %s → %s", k, auditValue(bv), auditValue(av)))
		case inA:
			out = append(out, fmt.Sprintf("%s: %s", k, auditValue(av)))
		default:
			out = append(out, fmt.Sprintf("%s: %s → –", k, auditValue(bv)))
		}
	}
	return out
}

// auditFields reads one side of an entry, as stored (JSON), as fields.
func auditFields(side any) map[string]any {
	out := map[string]any{}
	if side == nil {
		return out
	}
	raw, ok := side.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(side); err != nil {
			return out
		}
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		var whole any
		if json.Unmarshal(raw, &whole) == nil && whole != nil {
			out["value"] = whole
		}
	}
	return out
}

// auditValue writes a value briefly: a long one is cut.
func auditValue(v any) string {
	var s string
	if str, ok := v.(string); ok {
		s = str
	} else {
		b, _ := json.Marshal(v)
		s = string(b)
	}
	if r := []rune(s); len(r) > 80 {
		s = string(r[:79]) + "…"
	}
	return s
}

// pageNumber reads the audit log's ?page=, 1 when absent and 0 when not a number.
func pageNumber(s string) int {
	if s == "" {
		return 1
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

// auditSubject names what an entry changed as an operator reads it: the
// venue by name, a slot by its venue, day and time, a day as a date, not
// internal ids ("slot 42").
func (s *server) auditSubject(c echo.Context, e domain.AuditEntry, loc *time.Location, l api.Lang) string {
	kind, rest, ok := strings.Cut(e.Subject, " ")
	if !ok {
		return e.Subject
	}
	ctx := c.Request().Context()
	switch kind {
	case "slot":
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			return e.Subject
		}
		sl, err := s.Catalog.Slot(ctx, id)
		if err != nil {
			return e.Subject
		}
		ven, err := s.Catalog.VenueByID(ctx, sl.VenueID)
		if err != nil {
			return e.Subject
		}
		vl := ven.Location()
		return api.Text{"%s %s %s 时段", "%s, %s, the %s slot"}.Format(l, api.PickName(ven, l), pages.LongDate(sl.Date, l),
			sl.Start.In(vl).Format("15:04")+"–"+sl.End.In(vl).Format("15:04"))
	case "venue":
		if ven, err := s.Catalog.Venue(ctx, rest); err == nil {
			return api.Text{"场馆 %s", "venue %s"}.Format(l, api.PickName(ven, l))
		}
	case "day":
		if d, err := domain.ParseDate(rest); err == nil {
			return pages.LongDate(d, l)
		}
	case "user":
		return api.Text{"账号 %s", "account %s"}.Format(l, rest)
	case "booking":
		return api.Text{"预约号 %s", "booking No. %s"}.Format(l, rest)
	case "restriction":
		return api.Text{"预约限制 #%s", "restriction #%s"}.Format(l, rest)
	}
	return e.Subject
}

// auditFieldNames are the changed fields as operators call them.
var auditFieldNames = map[string]api.Text{
	"NameZH": {"中文名称", "Chinese name"}, "NameEN": {"英文名称", "English name"}, "Kind": {"类型", "kind"},
	"Timezone": {"时区", "time zone"}, "Open": {"开放时间", "opens"}, "Close": {"闭馆时间", "closes"},
	"ClosedWeekdays": {"每周闭馆日", "closed weekdays"}, "SlotMinutes": {"时段长度（分钟）", "slot length (min)"},
	"DefaultQuota": {"默认配额", "default quota"}, "BookingWindowDays": {"可提前预约天数", "booking window (days)"},
	"MaxPartySize": {"每单人数上限", "party size limit"}, "AdmissionMinutesBefore": {"提前入场（分钟）", "admission lead (min)"},
	"InstantaneousCapacity": {"瞬时承载量", "instantaneous capacity"}, "GateFlowPerMinute": {"入口每分钟通行", "gate flow a minute"},
	"GateBurst": {"入口突发量", "gate burst"}, "ApprovedDailyCapacity": {"核定日承载量", "approved daily capacity"},
	"ApprovedInstantaneousCapacity": {"核定瞬时承载量", "approved instantaneous capacity"},
	"PolicyRatioPct":                {"预约比例（%）", "policy ratio (%)"}, "HeldBackPct": {"预留比例（%）", "held back (%)"},
	"HeldBackRelease": {"预留放出时间", "held-back release"}, "HoursByWeekday": {"按星期的开放时间", "hours by weekday"},
	"NoShowGraceMinutes": {"爽约宽限（分钟）", "no-show grace (min)"}, "NoShowStrikes": {"爽约次数上限", "no-show strikes"},
	"NoShowWindowDays": {"爽约统计天数", "no-show window (days)"}, "RestrictionDays": {"限制天数", "restriction (days)"},
	"EraseAfterDays": {"个人信息保留天数", "erase after (days)"}, "quota": {"配额", "quota"}, "Quota": {"配额", "quota"},
	"role": {"角色", "role"}, "venues": {"场馆", "venues"}, "disabled": {"停用", "disabled"}, "username": {"用户名", "username"},
	"open": {"开放", "open"}, "hours": {"开放时间", "hours"}, "reason": {"原因", "reason"}, "status": {"状态", "status"},
	"party_size": {"人数", "party size"}, "persons": {"人员状态", "persons"},
	"flagged": {"超额停售", "frozen"}, "manual": {"手动配额", "manual quota"}, "held_back": {"预留名额", "held back"},
}

// auditHidden are fields that mean nothing to an operator.
var auditHidden = map[string]bool{"ID": true, "Slug": true, "VenueID": true, "Days": true}

// ids finds the numbers of an audit value.
var ids = regexp.MustCompile(`\d+`)

// auditReadable rewrites "field: before → after" lines with the field's
// name in the operator's language, minutes of the day as times, and
// venue ids as venue names.
func auditReadable(lines []string, names map[int64]string, l api.Lang) []string {
	out := make([]string, 0, len(lines))
	for _, line := range lines {
		key, value, ok := strings.Cut(line, ": ")
		if !ok {
			out = append(out, line)
			continue
		}
		if auditHidden[key] {
			continue
		}
		switch key {
		case "Open", "Close", "HeldBackRelease":
			value = ids.ReplaceAllStringFunc(value, func(n string) string {
				m, _ := strconv.Atoi(n)
				return domain.Minute(m).String()
			})
		case "venues":
			value = ids.ReplaceAllStringFunc(value, func(n string) string {
				id, _ := strconv.ParseInt(n, 10, 64)
				if name, ok := names[id]; ok {
					return name
				}
				return n
			})
			value = strings.NewReplacer("[", "", "]", "", ",", "、", "null", "–").Replace(value)
		}
		if t, ok := auditFieldNames[key]; ok {
			key = t.In(l)
		}
		out = append(out, key+": "+value)
	}
	return out
}
