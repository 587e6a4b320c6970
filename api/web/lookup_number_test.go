package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"slotgate/internal/testkit"
)

// TestLookupByNumberPage: the lookup page finds a booking by its short
// number and the phone it was booked with (typed any common way), never
// by the number alone or with another phone, and writes no code back on a
// refusal.
func TestLookupByNumberPage(t *testing.T) { inEveryMode(t, lookupByNumberPage) }

func lookupByNumberPage(t *testing.T, mode testkit.Mode) {
	ta := testkit.StartApp(t, mode, testkit.Options{})
	var pages []string
	b := newPageBrowser(t, ta, &pages)
	s := pageSlot(t, ta, "beibei-library", "2026-03-03", 0)
	form := b.get(fmt.Sprintf("/book/%d?n=1", s.ID))
	res := b.do("POST", fmt.Sprintf("/book/%d", s.ID), party(formFields(t, form), "13800138000", pageIDs[0]))
	if res.Status != http.StatusSeeOther {
		t.Fatalf("book: %d %s", res.Status, res.Body)
	}
	where := res.Header.Get("Location")
	code := strings.TrimPrefix(where, "/bookings/")
	var booking struct{ Number string }
	ta.Do(t, nil, "GET", "/api/v1/bookings/"+code, nil).JSON(t, &booking)
	if len(booking.Number) < 8 {
		t.Fatalf("booking number %q", booking.Number)
	}

	page := b.get("/lookup")
	wantPage(t, page, 200, "用预约号查询", `name="number"`, `action="/lookup/number"`)
	fields := formFields(t, page)

	fields.Set("number", booking.Number)
	fields.Set("phone", "13900139000")
	res = b.do("POST", "/lookup/number", fields)
	wantPage(t, res, http.StatusNotFound, "预约号与手机号不匹配")
	if strings.Contains(string(res.Body), code) {
		t.Fatal("a refused lookup shows the booking's code")
	}

	fields.Set("phone", "")
	wantPage(t, b.do("POST", "/lookup/number", fields), http.StatusUnprocessableEntity)

	fields.Set("phone", "+86 138-0013 8000")
	res = b.do("POST", "/lookup/number", fields)
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != where {
		t.Fatalf("lookup by number and phone: %d %v, want 303 to %s", res.Status, res.Header, where)
	}

	// Without the form's CSRF token the post is refused.
	fields.Del("_csrf")
	if res := b.do("POST", "/lookup/number", fields); res.Status == http.StatusSeeOther {
		t.Fatal("a lookup without the CSRF token went through")
	}
}
