package api_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"slotgate/internal/testkit"
)

// Admission by ID card and by booking number, a person at a time.

type personAdmitted struct {
	Result    string     `json:"result"`
	Booking   personsOut `json:"booking"`
	Occupancy struct {
		Inside int `json:"inside"`
	} `json:"occupancy"`
	AdmittedNow []struct {
		Position int    `json:"position"`
		Name     string `json:"name"`
	} `json:"admitted_now"`
	Outside []struct {
		Position int `json:"position"`
	} `json:"outside"`
}

func (a personAdmitted) now() []int {
	var out []int
	for _, p := range a.AdmittedNow {
		out = append(out, p.Position)
	}
	return out
}

func (a personAdmitted) outside() []int {
	var out []int
	for _, p := range a.Outside {
		out = append(out, p.Position)
	}
	return out
}

// slotAt finds the venue's slot of date starting at hhmm.
func slotAt(t *testing.T, ta *testkit.TestApp, venue, date, hhmm string) int64 {
	t.Helper()
	for _, s := range slots(t, ta, venue, date) {
		if strings.Contains(s.Start, "T"+hhmm+":00+08:00") {
			return s.ID
		}
	}
	t.Fatalf("no %s slot at %s %s", venue, date, hhmm)
	return 0
}

func admitBy(t *testing.T, ta *testkit.TestApp, auth string, req map[string]any) testkit.Response {
	t.Helper()
	if req["venue"] == nil {
		req["venue"] = "jinyun-mountain"
	}
	if req["gate"] == nil {
		req["gate"] = "North"
	}
	return ta.Do(t, nil, "POST", "/api/v1/admissions", req, "Authorization", auth)
}

// TestAdmitByIDCardAndNumber: an ID card admits its one person, then is
// already admitted; an ID with no booking that day is not found; the
// booking number admits the persons listed; the code admits whoever is
// left; then the code is already admitted. Occupancy counts persons.
func TestAdmitByIDCardAndNumber(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta, tokens := gateApp(t, mode)
			north := tokens["north"]
			first, second := resident("50010919900307123"), resident("11010519850101002")
			b := bookPersons(t, ta, slotAt(t, ta, "jinyun-mountain", "2026-03-02", "09:00"), first, second, "E77000001")
			// Booked for tomorrow: not today's booking.
			tomorrow := resident("11010819920215003")
			bookPersons(t, ta, slotAt(t, ta, "jinyun-mountain", "2026-03-03", "09:00"), tomorrow)
			ta.Clock.Set(at("08:40:00"))

			// A card reader types the number; the check letter may come lower-case.
			res := admitBy(t, ta, north, map[string]any{"id_number": strings.ToLower(second)})
			var a personAdmitted
			if res.Status != 200 {
				t.Fatalf("by ID card: %d %s", res.Status, res.Body)
			}
			res.JSON(t, &a)
			if !slices.Equal(a.now(), []int{2}) || !slices.Equal(a.outside(), []int{1, 3}) || a.Booking.Status != "confirmed" ||
				a.Booking.statuses() != "confirmed,admitted,confirmed" || a.Occupancy.Inside != 1 {
				t.Fatalf("by ID card: %s", res.Body)
			}
			if res := admitBy(t, ta, north, map[string]any{"id_number": second, "gate": "South"}); res.Status != 409 || res.Code() != "already_admitted" ||
				!strings.Contains(string(res.Body), `"gate":"North"`) {
				t.Fatalf("the same card again: %d %s", res.Status, res.Body)
			}
			for _, id := range []string{resident("31010419880808004"), tomorrow} {
				if res := admitBy(t, ta, north, map[string]any{"id_number": id}); res.Status != 404 || res.Code() != "not_found" {
					t.Fatalf("an ID with no booking today: %d %s", res.Status, res.Body)
				}
			}

			// The booking number, for the third person only.
			res = admitBy(t, ta, north, map[string]any{"number": b.Number, "visitors": []int{3}})
			a = personAdmitted{}
			res.JSON(t, &a)
			if res.Status != 200 || !slices.Equal(a.now(), []int{3}) || !slices.Equal(a.outside(), []int{1}) || a.Occupancy.Inside != 2 {
				t.Fatalf("by number with visitors: %d %s", res.Status, res.Body)
			}
			if res := admitBy(t, ta, north, map[string]any{"number": b.Number, "visitors": []int{3}}); res.Status != 409 || res.Code() != "already_admitted" {
				t.Fatalf("the same person by number again: %d %s", res.Status, res.Body)
			}
			if res := admitBy(t, ta, north, map[string]any{"number": b.Number, "visitors": []int{7}}); res.Status != 422 {
				t.Fatalf("a position the party does not have: %d %s", res.Status, res.Body)
			}
			if res := admitBy(t, ta, north, map[string]any{"number": b.Number, "code": b.Code}); res.Status != 422 {
				t.Fatalf("two keys at once: %d %s", res.Status, res.Body)
			}
			if res := admitBy(t, ta, north, map[string]any{"number": "1234567890"}); res.Status != 404 {
				t.Fatalf("an unknown number: %d %s", res.Status, res.Body)
			}

			// The code admits whoever is left; the booking is admitted.
			res = admitBy(t, ta, north, map[string]any{"code": b.Code})
			a = personAdmitted{}
			res.JSON(t, &a)
			if res.Status != 200 || !slices.Equal(a.now(), []int{1}) || len(a.outside()) != 0 || a.Booking.Status != "admitted" ||
				a.Booking.statuses() != "admitted,admitted,admitted" || a.Occupancy.Inside != 3 {
				t.Fatalf("the code for whoever is left: %d %s", res.Status, res.Body)
			}
			if res := admitBy(t, ta, north, map[string]any{"code": b.Code}); res.Status != 409 || res.Code() != "already_admitted" {
				t.Fatalf("the code once everyone is in: %d %s", res.Status, res.Body)
			}
			var stored personsOut
			ta.Do(t, nil, "GET", "/api/v1/bookings/"+b.Code, nil).JSON(t, &stored)
			if stored.Status != "admitted" || stored.statuses() != "admitted,admitted,admitted" {
				t.Fatalf("stored: %+v", stored)
			}
			var admissions, people int
			ta.Store.DB().QueryRow(`SELECT COUNT(*), SUM(party_size) FROM admissions WHERE booking_id = ?`, b.ID).Scan(&admissions, &people)
			if admissions != 3 || people != 3 {
				t.Fatalf("%d admissions of %d people, want 3 of 3", admissions, people)
			}

			// Counting out: three are inside, four cannot leave.
			exit := func(n int) testkit.Response {
				return ta.Do(t, nil, "POST", "/api/v1/venues/jinyun-mountain/exits", map[string]any{"gate": "North", "count": n},
					"Authorization", north)
			}
			if res := exit(4); res.Status != 409 || res.Code() != "nobody_inside" || !strings.Contains(string(res.Body), `"inside":3`) {
				t.Fatalf("exit past zero: %d %s", res.Status, res.Body)
			}
			if res := exit(3); res.Status != 200 || !strings.Contains(string(res.Body), `"inside":0`) {
				t.Fatalf("exit of all: %d %s", res.Status, res.Body)
			}
			if res := exit(1); res.Status != 409 || res.Code() != "nobody_inside" {
				t.Fatalf("exit with nobody inside: %d %s", res.Status, res.Body)
			}
		})
	}
}

// TestOneIDCardAtTwoGates: the same card swiped at two gates at once
// admits once, every time; the other gate hears already_admitted.
func TestOneIDCardAtTwoGates(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta, tokens := gateApp(t, mode)
			slot := slotAt(t, ta, "jinyun-mountain", "2026-03-02", "09:00")
			var cards []string
			for i := range 6 {
				card := resident(fmt.Sprintf("500109199003%02d1%02d", 10+i, i))
				cards = append(cards, card)
				bookPersons(t, ta, slot, card, fmt.Sprintf("E880000%02d", i))
			}
			ta.Clock.Set(at("08:40:00"))
			for _, card := range cards {
				var wg sync.WaitGroup
				statuses := make([]int, 2)
				for g, gate := range []string{"North", "South"} {
					wg.Go(func() {
						statuses[g] = admitBy(t, ta, tokens["north"], map[string]any{"id_number": card, "gate": gate}).Status
					})
				}
				wg.Wait()
				slices.Sort(statuses)
				if !slices.Equal(statuses, []int{200, 409}) {
					t.Fatalf("one card at two gates: %v", statuses)
				}
			}
			var people int
			ta.Store.DB().QueryRow(`SELECT COUNT(*) FROM booking_visitors WHERE status = 'admitted'`).Scan(&people)
			var inside struct{ Inside int }
			ta.Do(t, nil, "GET", "/api/v1/venues/jinyun-mountain/occupancy", nil, "Authorization", tokens["north"]).JSON(t, &inside)
			if people != len(cards) || inside.Inside != len(cards) {
				t.Fatalf("%d admitted, %d inside; want %d", people, inside.Inside, len(cards))
			}
		})
	}
}

// TestNoShowPerPerson: of a party of three, the one who came is admitted
// and the two who never came are the no-shows, each with a strike; a
// party of whom no one came is a no-show whole.
func TestNoShowPerPerson(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta, tokens := gateApp(t, mode)
			slot := slotAt(t, ta, "jinyun-mountain", "2026-03-02", "09:00")
			came := resident("50010919900307201")
			family := bookPersons(t, ta, slot, came, "E66000001", "E66000002")
			nobody := bookPersons(t, ta, slot, "E66000003")
			ta.Clock.Set(at("08:40:00"))
			if res := admitBy(t, ta, tokens["north"], map[string]any{"id_number": came}); res.Status != 200 {
				t.Fatalf("admit: %d %s", res.Status, res.Body)
			}
			ta.Clock.Set(at("10:31:00"))
			if _, err := ta.Fairness.MarkNoShows(context.Background()); err != nil {
				t.Fatal(err)
			}
			for _, want := range []struct {
				b        personsOut
				status   string
				statuses string
				strikes  int
			}{{family, "admitted", "admitted,no_show,no_show", 2}, {nobody, "no_show", "no_show", 1}} {
				var got personsOut
				ta.Do(t, nil, "GET", "/api/v1/bookings/"+want.b.Code, nil).JSON(t, &got)
				var strikes int
				ta.Store.DB().QueryRow(`SELECT COUNT(*) FROM no_shows WHERE booking_id = ?`, want.b.ID).Scan(&strikes)
				if got.Status != want.status || got.statuses() != want.statuses || strikes != want.strikes {
					t.Fatalf("booking %d: %s %s with %d strikes, want %s %s with %d", want.b.ID, got.Status, got.statuses(), strikes,
						want.status, want.statuses, want.strikes)
				}
			}
		})
	}
}
