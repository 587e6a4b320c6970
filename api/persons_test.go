package api_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"slotgate/internal/testkit"
)

// personsOut is a booking with its number and its persons.
type personsOut struct {
	ID        int64  `json:"id"`
	Number    string `json:"number"`
	Code      string `json:"code"`
	Status    string `json:"status"`
	PartySize int    `json:"party_size"`
	Visitors  []struct {
		Position   int    `json:"position"`
		Name       string `json:"name"`
		Status     string `json:"status"`
		AdmittedAt string `json:"admitted_at"`
	} `json:"visitors"`
}

func (b personsOut) statuses() string {
	var s []string
	for _, v := range b.Visitors {
		s = append(s, v.Status)
	}
	return strings.Join(s, ",")
}

func bookPersons(t *testing.T, ta *testkit.TestApp, slotID int64, ids ...string) personsOut {
	t.Helper()
	res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(slotID, ids...))
	if res.Status != 201 {
		t.Fatalf("book: %d %s", res.Status, res.Body)
	}
	var b personsOut
	res.JSON(t, &b)
	return b
}

// TestBookingNumber: every booking has a number of its own, which finds
// the booking only together with its phone, however the phone is typed.
func TestBookingNumber(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			s := slots(t, ta, "beibei-library", "2026-03-03")[0]
			a := bookPersons(t, ta, s.ID, "E10000001")
			b := bookPersons(t, ta, s.ID, "E10000002")
			for _, x := range []personsOut{a, b} {
				if len(x.Number) != 10 || strings.Trim(x.Number, "0123456789") != "" || x.Number[0] == '0' {
					t.Fatalf("booking number %q", x.Number)
				}
			}
			if a.Number == b.Number {
				t.Fatalf("two bookings share number %s", a.Number)
			}
			var stored string
			ta.Store.DB().QueryRow(`SELECT booking_number FROM bookings WHERE id = ?`, a.ID).Scan(&stored)
			if stored != a.Number {
				t.Fatalf("stored number %q, answered %q", stored, a.Number)
			}
			find := func(number, phone string) (int, personsOut) {
				res := ta.Do(t, nil, "GET", "/api/v1/bookings?number="+url.QueryEscape(number)+"&phone="+url.QueryEscape(phone), nil)
				var out personsOut
				if res.Status == 200 {
					res.JSON(t, &out)
				} else if res.Code() != "not_found" {
					t.Fatalf("lookup: %d %s", res.Status, res.Body)
				}
				return res.Status, out
			}
			for _, phone := range []string{"13800138000", "+86 138 0013 8000", "138-0013-8000", "１３８００１３８０００"} {
				if st, got := find(a.Number, phone); st != 200 || got.ID != a.ID || got.Code != a.Code {
					t.Fatalf("lookup with %q: %d %+v", phone, st, got)
				}
			}
			for _, c := range [][2]string{{a.Number, "13900139000"}, {a.Number, ""}, {"", "13800138000"},
				{"1234567890", "13800138000"}, {a.Number[:9], "13800138000"}, {a.Number + "x", "13800138000"}} {
				if st, _ := find(c[0], c[1]); st != 404 {
					t.Fatalf("lookup %q %q: %d, want 404", c[0], c[1], st)
				}
			}
		})
	}
}

// TestCancelPerson: one person of a party is cancelled, the place is back
// on sale at once (in the store and in the capacity gate), the standby
// list is served first, the code keeps working, and the last person's
// cancellation cancels the booking.
func TestCancelPerson(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			s := slots(t, ta, "beibei-library", "2026-03-03")[0]
			admin := ta.Login(t, "admin", testkit.AdminPassword)
			if res := ta.Do(t, nil, "PUT", "/api/v1/admin/slots/"+itoa(s.ID)+"/quota", map[string]any{"quota": 3, "reason": "test"},
				"Authorization", admin); res.Status != 200 {
				t.Fatalf("quota: %d %s", res.Status, res.Body)
			}
			ids := []string{"E20000001", "E20000002", "E20000003"}
			b := bookPersons(t, ta, s.ID, ids...)
			if b.PartySize != 3 || b.statuses() != "confirmed,confirmed,confirmed" ||
				b.Visitors[0].Position != 1 || b.Visitors[2].Position != 3 {
				t.Fatalf("booking: %+v", b)
			}
			if res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(s.ID, "E20000009")); res.Code() != "sold_out" {
				t.Fatalf("full slot: %d %s", res.Status, res.Body)
			}
			// A party of one waits for the slot.
			entry, res := joinStandbyAPI(t, ta, s.ID, "E20000010")
			if res.Status != 201 {
				t.Fatalf("standby: %d %s", res.Status, res.Body)
			}

			del := func(pos string) (int, personsOut, string) {
				res := ta.Do(t, nil, "DELETE", "/api/v1/bookings/"+b.Code+"/visitors/"+pos, nil)
				var out personsOut
				if res.Status == 200 {
					res.JSON(t, &out)
				}
				return res.Status, out, res.Code()
			}
			st, got, _ := del("2")
			if st != 200 || got.PartySize != 2 || got.Status != "confirmed" || got.statuses() != "confirmed,cancelled,confirmed" || got.Number != b.Number {
				t.Fatalf("cancel person 2: %d %+v", st, got)
			}
			// The place went to the standby list, not to the public.
			var standing struct {
				Status  string `json:"status"`
				Booking string `json:"booking"`
			}
			ta.Do(t, nil, "GET", "/api/v1/standby/"+entry, nil).JSON(t, &standing)
			if standing.Status != "booked" || standing.Booking == "" {
				t.Fatalf("standby after a person's cancellation: %+v", standing)
			}
			if res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(s.ID, "E20000011")); res.Code() != "sold_out" {
				t.Fatalf("the standby list's place was sold to the public: %d %s", res.Status, res.Body)
			}
			// The same code still reads the booking; a repeat answers it again.
			if res := ta.Do(t, nil, "GET", "/api/v1/bookings/"+b.Code, nil); res.Status != 200 {
				t.Fatalf("code after a person's cancellation: %d %s", res.Status, res.Body)
			}
			if st, got, _ := del("2"); st != 200 || got.PartySize != 2 {
				t.Fatalf("cancel person 2 again: %d %+v", st, got)
			}
			for _, pos := range []string{"0", "4", "x", "-1"} {
				if st, _, code := del(pos); st != 404 || code != "not_found" {
					t.Fatalf("cancel person %s: %d %s", pos, st, code)
				}
			}
			// With nobody waiting, the next place is on sale at once: the
			// capacity gate sells it without waiting for reconciliation.
			if st, got, _ := del("3"); st != 200 || got.PartySize != 1 {
				t.Fatalf("cancel person 3: %d %+v", st, got)
			}
			if got := slots(t, ta, "beibei-library", "2026-03-03")[0]; got.Remaining != 1 || got.Booked != 2 {
				t.Fatalf("slot after cancelling person 3: %+v", got)
			}
			buckets, err := ta.Gate.Buckets(context.Background(), []int64{s.ID})
			if err != nil || buckets[s.ID].Quota-buckets[s.ID].Taken() != 1 {
				t.Fatalf("gate after cancelling person 3: %+v %v", buckets[s.ID], err)
			}
			// The cancelled person's day is free again: they book the place.
			again := bookPersons(t, ta, s.ID, ids[2])
			if again.PartySize != 1 {
				t.Fatalf("rebook: %+v", again)
			}
			// The last person cancels the booking.
			if st, got, _ := del("1"); st != 200 || got.Status != "cancelled" || got.PartySize != 0 || got.statuses() != "cancelled,cancelled,cancelled" {
				t.Fatalf("cancel the last person: %d %+v", st, got)
			}
			var booked int
			ta.Store.DB().QueryRow(`SELECT booked FROM slots WHERE id = ?`, s.ID).Scan(&booked)
			if booked != 2 { // the standby booking and the rebooking
				t.Fatalf("slot booked %d, want 2", booked)
			}
			if st, _, code := del("1"); st != 200 && code != "not_cancellable" {
				t.Fatalf("cancel a person of a cancelled booking: %d %s", st, code)
			}

			// Once the slot has started nobody can be cancelled.
			late := bookPersons(t, ta, s.ID, "E20000020")
			ta.Clock.Set(time.Date(2026, 3, 3, 9, 1, 0, 0, shanghai))
			res = ta.Do(t, nil, "DELETE", "/api/v1/bookings/"+late.Code+"/visitors/1", nil)
			if res.Status != 409 || res.Code() != "not_cancellable" {
				t.Fatalf("cancel a person after the start: %d %s", res.Status, res.Body)
			}
		})
	}
}

func joinStandbyAPI(t *testing.T, ta *testkit.TestApp, slotID int64, ids ...string) (string, testkit.Response) {
	t.Helper()
	var vs []map[string]string
	for _, id := range ids {
		vs = append(vs, map[string]string{"name": "候补", "id_type": "passport", "id_number": id})
	}
	res := ta.Do(t, nil, "POST", "/api/v1/standby", map[string]any{"slot_id": slotID, "phone": "13700137000", "visitors": vs})
	var out struct {
		Token string `json:"token"`
	}
	if res.Status == 201 {
		res.JSON(t, &out)
	}
	return out.Token, res
}

// TestCancelPersonRace: the same person cancelled by many requests at once
// gives one place back.
func TestCancelPersonRace(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			s := slots(t, ta, "beibei-library", "2026-03-03")[0]
			b := bookPersons(t, ta, s.ID, "E30000001", "E30000002")
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res := ta.Do(t, testkit.Client(), "DELETE", "/api/v1/bookings/"+b.Code+"/visitors/2", nil)
					if res.Status != 200 {
						t.Errorf("concurrent cancel: %d %s", res.Status, res.Body)
					}
				}()
			}
			wg.Wait()
			got := slots(t, ta, "beibei-library", "2026-03-03")[0]
			if got.Booked != 1 || got.Remaining != s.Quota-1 {
				t.Fatalf("after 8 cancels of one person: %+v", got)
			}
		})
	}
}

// TestAdmittedPersons: admitting a booking admits its persons, with the
// time; an admitted person cannot be cancelled.
func TestAdmittedPersons(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta, tokens := gateApp(t, mode)
			b := book(t, ta, "jinyun-mountain", "10:00", 2)
			ta.Clock.Set(at("09:40:00"))
			if res := admit(t, ta, tokens["north"], b.Code, "north-1"); res.Status != 200 {
				t.Fatalf("admit: %d %s", res.Status, res.Body)
			}
			var got personsOut
			ta.Do(t, nil, "GET", "/api/v1/bookings/"+b.Code, nil).JSON(t, &got)
			if got.statuses() != "admitted,admitted" || got.Visitors[0].AdmittedAt != "2026-03-02T09:40:00+08:00" {
				t.Fatalf("admitted booking: %+v", got)
			}
			res := ta.Do(t, nil, "DELETE", "/api/v1/bookings/"+b.Code+"/visitors/1", nil)
			if res.Status != 409 || res.Code() != "not_cancellable" {
				t.Fatalf("cancel an admitted person: %d %s", res.Status, res.Body)
			}
		})
	}
}
