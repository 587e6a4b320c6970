package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"slotgate/domain"
	"slotgate/internal/testkit"
)

// bookOn books n people into the venue's slot at hhmm on day, with the
// clock at 08:00 that Monday.
func bookOn(t *testing.T, ta *testkit.TestApp, venue, day, hhmm string, n int) bookingOut {
	t.Helper()
	var slotID int64
	for _, s := range slots(t, ta, venue, day) {
		if strings.Contains(s.Start, "T"+hhmm+":00+08:00") {
			slotID = s.ID
		}
	}
	if slotID == 0 {
		t.Fatalf("no %s slot at %s %s", venue, day, hhmm)
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("G%08d", passportSeq.Add(1))
	}
	res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(slotID, ids...))
	if res.Status != 201 {
		t.Fatalf("book %s %s %s: %d %s", venue, day, hhmm, res.Status, res.Body)
	}
	var b bookingOut
	res.JSON(t, &b)
	return b
}

// TestOfflineUploadsKeepTheRules: an offline scan passes the same rules as
// an online one (venue, day, admission window, cancelled), refused scans are
// recorded as refused, the booking stays the visitor's to cancel, and nonces
// are unique per venue and scanner: two venues' scanners both called scn-1
// do not swallow each other's scans.
func TestOfflineUploadsKeepTheRules(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta, tokens := gateApp(t, mode)
			ta.Clock.Set(at("08:00:00"))
			tomorrow := bookOn(t, ta, "jinyun-mountain", "2026-03-03", "09:00", 1)
			today := bookOn(t, ta, "jinyun-mountain", "2026-03-02", "10:00", 1)
			library := bookOn(t, ta, "beibei-library", "2026-03-02", "09:00", 1)
			ta.Clock.Set(at("09:30:00"))

			upload := func(auth, venue, scanner string, scans ...map[string]any) []map[string]any {
				var out struct {
					Results []map[string]any `json:"results"`
				}
				res := ta.Do(t, nil, "POST", "/api/v1/admissions/offline",
					map[string]any{"venue": venue, "scanner_id": scanner, "scans": scans}, "Authorization", auth)
				if res.Status != 200 {
					t.Fatalf("upload: %d %s", res.Status, res.Body)
				}
				res.JSON(t, &out)
				return out.Results
			}
			scan := func(code, nonce string, when time.Time) map[string]any {
				return map[string]any{"code": code, "gate": "North", "nonce": nonce, "scanned_at": when}
			}
			got := upload(tokens["north"], "jinyun-mountain", "scn-1",
				scan(tomorrow.Code, "n1", time.Date(2001, 1, 1, 9, 0, 0, 0, time.UTC)), // tomorrow's booking, dated 2001
				scan(tomorrow.Code, "n2", at("09:05:00")),                              // tomorrow's booking, today
				scan(today.Code, "n3", at("07:00:00")),                                 // today's 10:00, before its window
				scan(library.Code, "n4", at("09:10:00")),                               // another venue's booking
			)
			want := []string{"wrong_time", "wrong_time", "wrong_time", "wrong_venue"}
			for i, w := range want {
				if got[i]["result"] != w {
					t.Errorf("scan %d: %v, want %s", i, got[i], w)
				}
			}
			var attempts, admissions int
			ta.Store.DB().QueryRow(`SELECT COUNT(*) FROM admission_attempts WHERE offline = 1 AND result <> 'admitted'`).Scan(&attempts)
			ta.Store.DB().QueryRow(`SELECT COUNT(*) FROM admissions`).Scan(&admissions)
			if attempts != 4 || admissions != 0 {
				t.Fatalf("%d refused offline attempts and %d admissions; want 4 and 0", attempts, admissions)
			}
			// The visitor can still cancel tomorrow's booking.
			if res := ta.Do(t, nil, "DELETE", "/api/v1/bookings/"+tomorrow.Code, nil); res.Status != 200 {
				t.Fatalf("cancel after a refused offline scan: %d %s", res.Status, res.Body)
			}

			// The library's scanner is also called scn-1, and uses nonce n1 too.
			lib := upload(tokens["librarian"], "beibei-library", "scn-1", scan(library.Code, "n1", at("09:10:00")))
			if lib[0]["result"] != "admitted" || lib[0]["repeat"] == true {
				t.Fatalf("another venue's scanner with the same id and nonce: %v", lib)
			}
			b, err := ta.Store.Booking(t.Context(), library.ID)
			if err != nil || b.Status != domain.BookingAdmitted {
				t.Fatalf("library booking: %+v %v", b.Status, err)
			}
		})
	}
}
