package adminweb

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"slotgate/api"
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
}

// auditKinds are the kinds in the order the filter offers them.
var auditKinds = []domain.AuditKind{domain.AuditSlotQuota, domain.AuditDefaultQuota, domain.AuditClosure, domain.AuditVenueCreate,
	domain.AuditVenueUpdate, domain.AuditUserCreate, domain.AuditUserUpdate, domain.AuditPassword, domain.AuditSignIn,
	domain.AuditSignInFailed, domain.AuditRestriction}

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
				Kind: string(e.Kind), Venue: names[e.VenueID], Subject: e.Subject, Reason: e.Reason, Changes: auditChanges(e.Before, e.After)}
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
