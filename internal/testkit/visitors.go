package testkit

import (
	"fmt"
	"strings"
	"testing"

	"slotgate/domain"
)

// The JSON API's answers and bodies as the tests of the API and of the
// pages read and send them.

// APISlot is a slot as GET /api/v1/venues/:slug/slots lists it.
type APISlot struct {
	ID        int64  `json:"id"`
	Date      string `json:"date"`
	Start     string `json:"start"`
	End       string `json:"end"`
	Quota     int    `json:"quota"`
	Booked    int    `json:"booked"`
	Remaining int    `json:"remaining"`
	Status    string `json:"status"`
}

// APIBooking is a booking as the API answers it.
type APIBooking struct {
	ID        int64  `json:"id"`
	Code      string `json:"code"`
	Status    string `json:"status"`
	Venue     string `json:"venue"`
	PartySize int    `json:"party_size"`
	Slot      struct {
		ID    int64  `json:"id"`
		Date  string `json:"date"`
		Start string `json:"start"`
	} `json:"slot"`
	Visitors []struct {
		Name     string `json:"name"`
		IDMasked string `json:"id_masked"`
	} `json:"visitors"`
	QRURL string `json:"qr_url"`
}

// Resident makes a valid resident ID number from its first 17 digits.
func Resident(first17 string) string { return first17 + string(domain.ResidentCheckChar(first17)) }

// Slots lists a venue's slots on date through the API.
func Slots(t *testing.T, ta *TestApp, venue, date string) []APISlot {
	t.Helper()
	var out []APISlot
	res := ta.Do(t, nil, "GET", "/api/v1/venues/"+venue+"/slots?date="+date, nil)
	if res.Status != 200 {
		t.Fatalf("slots: %d %s", res.Status, res.Body)
	}
	res.JSON(t, &out)
	return out
}

// BookingBody is a POST /api/v1/bookings body for one visitor per ID
// number (resident IDs start with 1 or 5; others are passports).
func BookingBody(slotID int64, visitors ...string) map[string]any {
	var vs []map[string]string
	for i, id := range visitors {
		typ := "resident_id"
		if !strings.HasPrefix(id, "1") && !strings.HasPrefix(id, "5") {
			typ = "passport"
		}
		vs = append(vs, map[string]string{"name": fmt.Sprintf("访客%d", i+1), "id_type": typ, "id_number": id})
	}
	return map[string]any{"slot_id": slotID, "phone": "13800138000", "visitors": vs}
}

// SetQuota sets a slot's quota in the store and drops the cached catalog.
func SetQuota(t *testing.T, ta *TestApp, slotID int64, quota int) {
	t.Helper()
	if _, err := ta.Store.DB().Exec(`UPDATE slots SET quota = ? WHERE id = ?`, quota, slotID); err != nil {
		t.Fatal(err)
	}
	ta.Catalog.Forget()
}

// WantPage fails unless res is an HTML page with status that holds every
// one of texts.
func WantPage(t *testing.T, res Response, status int, texts ...string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d: %s", res.Status, status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("Content-Type %q, want HTML", ct)
	}
	for _, s := range texts {
		if !strings.Contains(string(res.Body), s) {
			t.Errorf("page lacks %q: %s", s, res.Body)
		}
	}
}
