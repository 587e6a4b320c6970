package pages

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"slotgate/api"
	"slotgate/domain"
)

// LangView is the language part that every page's view shares: the
// page's language and the one its switch leads to.
type LangView struct {
	Lang api.Lang
}

// Other is the language the switch leads to.
func (v LangView) Other() api.Lang {
	if v.Lang == api.EN {
		return api.ZH
	}
	return api.EN
}

// HTMLLang is the page's language as the lang attribute writes it.
func (v LangView) HTMLLang() string { return htmlLang(v.Lang) }

// OtherHTMLLang is the switch's language as the lang attribute writes it.
func (v LangView) OtherHTMLLang() string { return htmlLang(v.Other()) }

func htmlLang(l api.Lang) string {
	if l == api.EN {
		return "en"
	}
	return "zh-CN"
}

// SwitchURL is the page that answered c in the other language than l,
// with query (nil: none). The path is built from the route that matched,
// its parameters escaped, never copied from the request: a path such as
// //evil.example/phish must not become a link to another site.
func SwitchURL(c echo.Context, query url.Values, l api.Lang) string {
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("lang", string(LangView{l}.Other()))
	return RoutePath(c) + "?" + q.Encode()
}

// RoutePath is the path of the route that answered c, with its parameters
// filled in, escaped; "/" for no route or a wildcard one.
func RoutePath(c echo.Context) string {
	p := c.Path()
	if p == "" || !strings.HasPrefix(p, "/") || strings.Contains(p, "*") || strings.HasPrefix(p, "//") {
		return "/"
	}
	names, values := c.ParamNames(), c.ParamValues()
	var b strings.Builder
	for _, seg := range strings.Split(p, "/")[1:] {
		b.WriteByte('/')
		if name, ok := strings.CutPrefix(seg, ":"); ok {
			for i, n := range names {
				if n == name && i < len(values) {
					v, err := url.PathUnescape(values[i])
					if err != nil {
						v = values[i]
					}
					b.WriteString(url.PathEscape(v))
				}
			}
			continue
		}
		b.WriteString(seg)
	}
	return b.String()
}

// KeepLang remembers a ?lang= choice in the language cookie, which every
// page family and the API read: one choice holds everywhere.
func KeepLang(c echo.Context) {
	if l := c.QueryParam("lang"); l != "" {
		c.SetCookie(&http.Cookie{Name: api.LangCookie, Value: string(api.PickLang(l)), Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: api.Secure(c)})
	}
}

// WeekdayNames name the days 1 (Monday) to 7 (Sunday); index 0 is unused.
var WeekdayNames = [8]api.Text{{}, {"周一", "Monday"}, {"周二", "Tuesday"}, {"周三", "Wednesday"},
	{"周四", "Thursday"}, {"周五", "Friday"}, {"周六", "Saturday"}, {"周日", "Sunday"}}

// WeekdayShort are the short names on the day pickers.
var WeekdayShort = [8]api.Text{{}, {"周一", "Mon"}, {"周二", "Tue"}, {"周三", "Wed"},
	{"周四", "Thu"}, {"周五", "Fri"}, {"周六", "Sat"}, {"周日", "Sun"}}

// ShortDate is "3月3日 周二" or "Tue 3 Mar".
func ShortDate(d domain.Date, l api.Lang) string {
	if l == api.EN {
		return fmt.Sprintf("%s %d %s", WeekdayShort[d.Weekday()].In(l), d.Day, d.Month.String()[:3])
	}
	return fmt.Sprintf("%d月%d日 %s", int(d.Month), d.Day, WeekdayShort[d.Weekday()].In(l))
}

// LongDate is "2026年3月3日（周二）" or "Tuesday 3 March 2026".
func LongDate(d domain.Date, l api.Lang) string {
	if l == api.EN {
		return fmt.Sprintf("%s %d %s %d", WeekdayNames[d.Weekday()].In(l), d.Day, d.Month, d.Year)
	}
	return fmt.Sprintf("%d年%d月%d日（%s）", d.Year, int(d.Month), d.Day, WeekdayNames[d.Weekday()].In(l))
}

// TimeWindow is a slot's times at the venue: "09:00–10:00".
func TimeWindow(sl domain.Slot, loc *time.Location) string {
	return sl.Start.In(loc).Format("15:04") + "–" + sl.End.In(loc).Format("15:04")
}

// kindNames name the kinds a venue may be, as the seeds have them.
var kindNames = map[string]api.Text{
	"scenic_area":     {"景区", "Scenic area"},
	"museum":          {"博物馆", "Museum"},
	"library":         {"图书馆", "Library"},
	"cultural_centre": {"文化馆", "Cultural centre"},
	"art_gallery":     {"美术馆", "Art gallery"},
}

// KindName is a venue kind in language l; an unknown kind is shown as stored.
func KindName(kind string, l api.Lang) string {
	if t, ok := kindNames[kind]; ok {
		return t.In(l)
	}
	return kind
}

// JSTexts hands a page's script its words in the page's language as JSON,
// so that the script holds no text of its own.
func JSTexts(m map[string]string) string {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err) // a map of strings always marshals
	}
	return string(b)
}
