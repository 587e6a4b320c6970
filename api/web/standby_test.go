package web_test

import (
	"strings"
	"testing"

	"slotgate/internal/testkit"
)

// TestPageStandby: a full slot's refusal page offers the standby list; the
// visitor joins through the form, keeps the entry's page with the place in
// the queue, is booked when a place frees up, and can withdraw.
func TestPageStandby(t *testing.T) { inEveryMode(t, pageStandby) }

func pageStandby(t *testing.T, mode testkit.Mode) {
	ta := testkit.StartApp(t, mode, testkit.Options{})
	var pages []string
	b := newPageBrowser(t, ta, &pages)
	s := pageSlot(t, ta, "beibei-library", "2026-03-03", 1)
	pageQuota(t, ta, s.ID, 1)
	first := ta.Do(t, nil, "POST", "/api/v1/bookings", body(s.ID, "E90000001"))
	var held bookingOut
	first.JSON(t, &held)

	path := "/book/" + itoa(s.ID)
	wantPage(t, b.get(path), 409, path+"/standby")

	join := b.get(path + "/standby?n=2")
	wantPage(t, join, 200, "候补登记", `action="`+path+`/standby"`)
	res := b.do("POST", path+"/standby", party(formFields(t, join), "13800138001", pageIDs[0], "G55501234"))
	if res.Status != 303 || !strings.HasPrefix(res.Header.Get("Location"), "/standby/") {
		t.Fatalf("join: %d %s", res.Status, res.Body)
	}
	entry := res.Header.Get("Location")
	wantPage(t, b.get(entry), 200, "候补中", "您排在第 1 位", "5001**********", "standby-withdraw")

	// One place freed does not fit a party of two; a quota raised to 3 does.
	ta.Do(t, nil, "DELETE", "/api/v1/bookings/"+held.Code, nil)
	wantPage(t, b.get(entry), 200, "候补中")
	admin := ta.Login(t, "admin", testkit.AdminPassword)
	if res := ta.Do(t, nil, "PUT", "/api/v1/admin/slots/"+itoa(s.ID)+"/quota", map[string]any{"quota": 3, "reason": "a second guide"},
		"Authorization", admin); res.Status != 200 {
		t.Fatalf("raise quota: %d %s", res.Status, res.Body)
	}
	wantPage(t, b.get(entry), 200, "已候补成功", "standby-booking")

	// The last place taken, another party joins and then withdraws.
	ta.Do(t, nil, "POST", "/api/v1/bookings", body(s.ID, "E90000002"))
	other := b.get(path + "/standby?n=1")
	res = b.do("POST", path+"/standby", party(formFields(t, other), "13800138002", "E98765432"))
	if res.Status != 303 {
		t.Fatalf("join again: %d %s", res.Status, res.Body)
	}
	mine := res.Header.Get("Location")
	page := b.get(mine)
	res = b.do("POST", mine+"/withdraw", formFields(t, page))
	if res.Status != 303 {
		t.Fatalf("withdraw: %d %s", res.Status, res.Body)
	}
	wantPage(t, b.get(mine), 200, "已退出")
	noFullIDs(t, pages)
}
