package api_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"slotgate/domain"
	"slotgate/internal/app"
	"slotgate/internal/testkit"
)

// The API's answers and bodies, shared with the page tests (testkit).
type (
	slotOut    = testkit.APISlot
	bookingOut = testkit.APIBooking
)

var (
	resident = testkit.Resident
	slots    = testkit.Slots
	body     = testkit.BookingBody
	setQuota = testkit.SetQuota
)

type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
		Rule    string `json:"rule"`
	} `json:"errors"`
}

// TestVisitorAPIErrors asks for every refusal of the visitor API and checks
// its status and problem code, and that the refusal changed nothing.
func TestVisitorAPIErrors(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			var proxy *testkit.CuttingProxy
			ta := testkit.StartApp(t, mode, testkit.Options{RedisURL: func(r *testkit.Redis) string {
				addr := r.Addr()
				proxy = testkit.NewCuttingProxy(t, addr)
				return strings.Replace(r.URL, addr, proxy.Addr(), 1)
			}})
			tuesday := slots(t, ta, "jinyun-mountain", "2026-03-03")
			open, soldOut, closed := tuesday[3].ID, tuesday[4].ID, tuesday[5].ID
			setQuota(t, ta, soldOut, 1)
			if res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(soldOut, "E00000001")); res.Status != 201 {
				t.Fatalf("book the last place: %d %s", res.Status, res.Body)
			}
			ta.Store.DB().Exec(`UPDATE slots SET status = 'closed' WHERE id = ?`, closed)
			ta.Catalog.Forget()
			today := slots(t, ta, "jinyun-mountain", "2026-03-02")
			started := today[0].ID // 07:00, and it is 08:00
			beyond := slots(t, ta, "jinyun-mountain", "2026-03-10")[0].ID
			first := resident("50010919900307123")
			if res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(open, first), "Idempotency-Key", "key-1"); res.Status != 201 {
				t.Fatalf("book: %d %s", res.Status, res.Body)
			}
			bad := resident("11010519491231002")
			bad = bad[:17] + map[bool]string{true: "1", false: "2"}[bad[17] != '1']

			cases := []struct {
				name, method, path string
				body               any
				header             []string
				status             int
				code               string
				field              string
			}{
				{"malformed JSON", "POST", "/api/v1/bookings", `{"slot_id":`, nil, 400, "malformed_request", ""},
				{"empty body", "POST", "/api/v1/bookings", ``, nil, 400, "malformed_request", ""},
				{"unknown field", "POST", "/api/v1/bookings", `{"slot_id":1,"price":0}`, nil, 400, "malformed_request", ""},
				{"wrong type", "POST", "/api/v1/bookings", `{"slot_id":"1"}`, nil, 400, "malformed_request", "slot_id"},
				{"trailing data", "POST", "/api/v1/bookings", `{"slot_id":1} {}`, nil, 400, "malformed_request", ""},
				{"oversized body", "POST", "/api/v1/bookings", `{"phone":"` + strings.Repeat("1", 20<<10) + `"}`, nil, 413, "malformed_request", ""},
				{"no slot", "POST", "/api/v1/bookings", body(0, "E10000001"), nil, 422, "validation_failed", "slot_id"},
				{"unknown slot", "POST", "/api/v1/bookings", body(99999999, "E10000001"), nil, 404, "not_found", ""},
				{"party too large", "POST", "/api/v1/bookings", body(open, "E1", "E2", "E3", "E4", "E5", "E6"), nil, 422, "validation_failed", "visitors"},
				{"no visitors", "POST", "/api/v1/bookings", body(open), nil, 422, "validation_failed", "visitors"},
				{"bad check digit", "POST", "/api/v1/bookings", body(open, bad), nil, 422, "validation_failed", "visitors[0].id_number"},
				{"same ID twice in party", "POST", "/api/v1/bookings", body(open, "E20000001", "E20000001"), nil, 422, "validation_failed", "visitors[1].id_number"},
				{"bad phone", "POST", "/api/v1/bookings", map[string]any{"slot_id": open, "phone": "12345", "visitors": body(open, "E30000009")["visitors"]}, nil, 422, "validation_failed", "phone"},
				{"sold out", "POST", "/api/v1/bookings", body(soldOut, "E30000001"), nil, 409, "sold_out", ""},
				{"closed slot", "POST", "/api/v1/bookings", body(closed, "E30000002"), nil, 409, "slot_closed", ""},
				{"slot started", "POST", "/api/v1/bookings", body(started, "E30000003"), nil, 409, "slot_closed", ""},
				{"beyond booking window", "POST", "/api/v1/bookings", body(beyond, "E30000004"), nil, 409, "slot_closed", ""},
				{"already booked that day", "POST", "/api/v1/bookings", body(open, "E30000005", first), nil, 409, "already_booked", "visitors[1].id_number"},
				{"key reused for another booking", "POST", "/api/v1/bookings", body(open, "E30000006"), []string{"Idempotency-Key", "key-1"}, 422, "validation_failed", "Idempotency-Key"},
				{"unknown venue", "GET", "/api/v1/venues/nowhere", nil, nil, 404, "not_found", ""},
				{"slots of unknown venue", "GET", "/api/v1/venues/nowhere/slots", nil, nil, 404, "not_found", ""},
				{"bad date", "GET", "/api/v1/venues/jinyun-mountain/slots?date=2026-3-3", nil, nil, 422, "validation_failed", "date"},
				{"garbage code", "GET", "/api/v1/bookings/not-a-code", nil, nil, 404, "not_found", ""},
				{"unknown route", "GET", "/api/v1/nothing", nil, nil, 404, "not_found", ""},
				{"wrong method", "PUT", "/api/v1/bookings", nil, nil, 405, "method_not_allowed", ""},
			}
			before := countRows(t, ta)
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					res := ta.Do(t, nil, c.method, c.path, c.body, c.header...)
					var p problem
					res.JSON(t, &p)
					if res.Status != c.status || p.Code != c.code || p.Status != c.status {
						t.Fatalf("got %d %s, want %d %s: %s", res.Status, p.Code, c.status, c.code, res.Body)
					}
					if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
						t.Errorf("Content-Type %q", ct)
					}
					if p.Title == "" || p.Type == "" {
						t.Errorf("problem without title or type: %s", res.Body)
					}
					if c.field != "" {
						found := false
						for _, e := range p.Errors {
							found = found || (e.Field == c.field && e.Message != "")
						}
						if !found {
							t.Errorf("no error for field %s: %s", c.field, res.Body)
						}
					}
				})
			}
			if after := countRows(t, ta); after != before {
				t.Fatalf("refused requests changed the store: %v -> %v", before, after)
			}

			// In English when asked, Chinese by default.
			res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(soldOut, "E40000001"), "Accept-Language", "en-GB,en;q=0.9")
			if !strings.Contains(string(res.Body), "fully booked") {
				t.Errorf("English sold-out: %s", res.Body)
			}
			res = ta.Do(t, nil, "POST", "/api/v1/bookings", body(soldOut, "E40000001"))
			if !strings.Contains(string(res.Body), "已约满") {
				t.Errorf("Chinese sold-out: %s", res.Body)
			}

			// Redis gone: booking answers 503 with Retry-After, and /readyz names it.
			proxy.Down()
			res = ta.Do(t, nil, "POST", "/api/v1/bookings", body(open, "E50000001"))
			if res.Status != 503 || res.Code() != "unavailable" || res.Header.Get("Retry-After") == "" {
				t.Fatalf("booking without Redis: %d %s %v", res.Status, res.Body, res.Header)
			}
			res = ta.Do(t, nil, "GET", "/readyz", nil)
			if res.Status != 503 || !strings.Contains(string(res.Body), `"down":["redis"]`) {
				t.Fatalf("readyz without Redis: %d %s", res.Status, res.Body)
			}
			if after := countRows(t, ta); after != before {
				t.Fatalf("a booking without Redis changed the store: %v -> %v", before, after)
			}
			// The store gone too.
			ta.Store.Close()
			res = ta.Do(t, nil, "GET", "/readyz", nil)
			if res.Status != 503 || !strings.Contains(string(res.Body), `"down":["store","redis"]`) {
				t.Fatalf("readyz without store: %d %s", res.Status, res.Body)
			}
			if res := ta.Do(t, nil, "GET", "/healthz", nil); res.Status != 200 {
				t.Fatalf("healthz: %d", res.Status)
			}
		})
	}
}

func countRows(t *testing.T, ta *testkit.TestApp) [3]int {
	t.Helper()
	var n [3]int
	db := ta.Store.DB()
	db.QueryRow(`SELECT COUNT(*) FROM bookings`).Scan(&n[0])
	db.QueryRow(`SELECT COUNT(*) FROM booking_visitors`).Scan(&n[1])
	db.QueryRow(`SELECT SUM(booked) FROM slots`).Scan(&n[2])
	return n
}

// TestBookReadCancel walks a booking through its life by its code.
func TestBookReadCancel(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{})
			s := slots(t, ta, "beibei-library", "2026-03-03")[0]
			if s.Remaining != 120 || s.Status != "open" || s.Start != "2026-03-03T09:00:00+08:00" || s.End != "2026-03-03T11:00:00+08:00" {
				t.Fatalf("library's first Tuesday slot: %+v", s)
			}
			ids := []string{resident("50010919900307123"), resident("50010919920517456"), "E12345678"}
			res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(s.ID, ids...), "Idempotency-Key", "abc")
			if res.Status != 201 {
				t.Fatalf("book: %d %s", res.Status, res.Body)
			}
			var b bookingOut
			res.JSON(t, &b)
			if b.Status != "confirmed" || b.PartySize != 3 || b.Venue != "beibei-library" || b.Slot.ID != s.ID ||
				b.Visitors[0].IDMasked != ids[0][:4]+"**********"+ids[0][14:] || res.Header.Get("Location") != "/api/v1/bookings/"+b.Code {
				t.Fatalf("booking: %s", res.Body)
			}
			for _, id := range ids {
				if strings.Contains(string(res.Body), id) {
					t.Fatalf("the answer holds a full ID number: %s", res.Body)
				}
			}
			// A retry with the same key answers the same booking.
			res = ta.Do(t, nil, "POST", "/api/v1/bookings", body(s.ID, ids...), "Idempotency-Key", "abc")
			var again bookingOut
			res.JSON(t, &again)
			if res.Status != 201 || again.ID != b.ID || res.Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("retry: %d %s", res.Status, res.Body)
			}
			if got := slots(t, ta, "beibei-library", "2026-03-03")[0]; got.Remaining != 117 || got.Booked != 3 {
				t.Fatalf("after booking: %+v", got)
			}
			res = ta.Do(t, nil, "GET", "/api/v1/bookings/"+b.Code, nil)
			if res.Status != 200 || !strings.Contains(string(res.Body), `"status":"confirmed"`) {
				t.Fatalf("read: %d %s", res.Status, res.Body)
			}

			// The QR code holds the booking's code and nothing else.
			res = ta.Do(t, nil, "GET", b.QRURL, nil)
			if res.Status != 200 || res.Header.Get("Content-Type") != "image/png" {
				t.Fatalf("qr: %d %s", res.Status, res.Header)
			}
			if got := decodeQR(t, res.Body); got != b.Code {
				t.Fatalf("QR says %q, want %q", got, b.Code)
			}

			// Tampered or cut codes are not found, never a crash.
			tampered := []string{b.Code[:len(b.Code)-2], b.Code + "x", flip(b.Code, 5), flip(b.Code, len(b.Code)-3), strings.Repeat("A", 400)}
			for _, code := range tampered {
				for _, path := range []string{"/api/v1/bookings/" + code, "/api/v1/bookings/" + code + "/qr.png"} {
					if res := ta.Do(t, nil, "GET", path, nil); res.Status != 404 || res.Code() != "not_found" {
						t.Errorf("GET %s: %d %s", path, res.Status, res.Body)
					}
				}
				if res := ta.Do(t, nil, "DELETE", "/api/v1/bookings/"+code, nil); res.Status != 404 {
					t.Errorf("DELETE tampered: %d", res.Status)
				}
			}

			// Cancel gives the places back; a second cancel answers the same.
			for range 2 {
				res = ta.Do(t, nil, "DELETE", "/api/v1/bookings/"+b.Code, nil)
				if res.Status != 200 || !strings.Contains(string(res.Body), `"status":"cancelled"`) {
					t.Fatalf("cancel: %d %s", res.Status, res.Body)
				}
			}
			if got := slots(t, ta, "beibei-library", "2026-03-03")[0]; got.Remaining != 120 {
				t.Fatalf("after cancel: %+v", got)
			}
			// The people may book that day again.
			res = ta.Do(t, nil, "POST", "/api/v1/bookings", body(s.ID, ids[0]))
			if res.Status != 201 {
				t.Fatalf("rebook after cancel: %d %s", res.Status, res.Body)
			}
			res.JSON(t, &b)

			// Once the slot has started, the booking can no longer be cancelled.
			ta.Clock.Set(time.Date(2026, 3, 3, 9, 1, 0, 0, testkit.Monday0800.Location()))
			if res := ta.Do(t, nil, "DELETE", "/api/v1/bookings/"+b.Code, nil); res.Status != 409 || res.Code() != "not_cancellable" {
				t.Fatalf("cancel a started slot: %d %s", res.Status, res.Body)
			}
			// It is still on sale (the slot under way), until 15 minutes before its end.
			if got := slots(t, ta, "beibei-library", "2026-03-03")[0]; got.Status != "open" {
				t.Fatalf("started slot: %+v", got)
			}
			ta.Clock.Set(time.Date(2026, 3, 3, 10, 45, 0, 0, testkit.Monday0800.Location()))
			if got := slots(t, ta, "beibei-library", "2026-03-03")[0]; got.Status != "past" {
				t.Fatalf("slot 15 minutes before its end: %+v", got)
			}

			// Closed weekday: the museum has no slots on Monday.
			if got := slots(t, ta, "beibei-museum", "2026-03-02"); len(got) != 0 {
				t.Fatalf("museum on Monday: %+v", got)
			}
		})
	}
}

func flip(s string, i int) string {
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func decodeQR(t *testing.T, pngData []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	// The image is drawn, not photographed: read it as a pure barcode, as
	// zxing advises for generated images (the finder-pattern search can
	// miss on some module patterns), and try harder if that fails.
	reader := qrcode.NewQRCodeReader()
	res, err := reader.Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		res, err = reader.Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true})
	}
	if err != nil {
		t.Fatalf("decode QR: %v", err)
	}
	return res.GetText()
}

// TestRestartKeepsBookings: bookings and their codes survive a restart of
// the whole instance on the embedded defaults (the embedded Redis starts
// empty and is loaded again from the store).
func TestRestartKeepsBookings(t *testing.T) {
	ta := testkit.StartApp(t, testkit.Mode{Name: "embedded", DB: "sqlite", Redis: "embedded"}, testkit.Options{})
	s := slots(t, ta, "beibei-library", "2026-03-03")[1]
	setQuota(t, ta, s.ID, 4)
	res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(s.ID, "E1000001", "E1000002", "E1000003"))
	if res.Status != 201 {
		t.Fatalf("book: %d %s", res.Status, res.Body)
	}
	var b bookingOut
	res.JSON(t, &b)

	ta.Restart(t)
	res = ta.Do(t, nil, "GET", "/api/v1/bookings/"+b.Code, nil)
	if res.Status != 200 || !strings.Contains(string(res.Body), `"status":"confirmed"`) {
		t.Fatalf("after restart: %d %s", res.Status, res.Body)
	}
	if got := slots(t, ta, "beibei-library", "2026-03-03")[1]; got.Remaining != 1 || got.Booked != 3 {
		t.Fatalf("after restart the slot shows %+v, want 1 place left", got)
	}
	if res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(s.ID, "E2000001", "E2000002")); res.Code() != "sold_out" {
		t.Fatalf("2 of 1 left after restart: %d %s", res.Status, res.Body)
	}
	if res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(s.ID, "E2000003")); res.Status != http.StatusCreated {
		t.Fatalf("last place after restart: %d %s", res.Status, res.Body)
	}
}

// TestBookingIsRateLimited: past its burst a client is refused with 429,
// Retry-After and the RateLimit fields, and the refusal changes nothing.
func TestBookingIsRateLimited(t *testing.T) {
	for _, mode := range testkit.Modes(t) {
		t.Run(mode.Name, func(t *testing.T) {
			t.Parallel()
			ta := testkit.StartApp(t, mode, testkit.Options{Configure: func(c *app.Config) {
				c.RateLimits = "on"
				c.BookingLimits.ByClient = domain.LimitPolicy{Name: "booking-client", Quota: 3, Window: time.Minute, Burst: 3}
			}})
			s := slots(t, ta, "beibei-library", "2026-03-03")[0]
			for i := range 3 {
				res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(s.ID, fmt.Sprintf("E700000%02d", i)))
				if res.Status != 201 {
					t.Fatalf("request %d within the burst: %d %s", i, res.Status, res.Body)
				}
				want := fmt.Sprintf(`"booking-client";r=%d;`, 2-i)
				if !strings.Contains(res.Header.Get("RateLimit"), want) ||
					!strings.Contains(res.Header.Get("RateLimit-Policy"), `"booking-client";q=3;w=60`) {
					t.Fatalf("request %d headers: %q / %q", i, res.Header.Get("RateLimit"), res.Header.Get("RateLimit-Policy"))
				}
			}
			before := countRows(t, ta)
			res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(s.ID, "E70000099"))
			if res.Status != 429 || res.Code() != "rate_limited" {
				t.Fatalf("past the burst: %d %s", res.Status, res.Body)
			}
			if ra := res.Header.Get("Retry-After"); ra != "20" && ra != "19" {
				t.Errorf("Retry-After %q, want about 20 s (one request per 20 s)", ra)
			}
			if !strings.Contains(res.Header.Get("RateLimit"), `"booking-client";r=0;`) {
				t.Errorf("RateLimit on 429: %q", res.Header.Get("RateLimit"))
			}
			if after := countRows(t, ta); after != before {
				t.Fatalf("a limited request changed the store: %v -> %v", before, after)
			}
		})
	}
}

// TestSoldOutFloodSkipsRedis: once the gate has said a slot is full with
// nothing in flight, more requests for it are answered without asking
// Redis, for a moment; a cancellation here makes the next one ask again.
func TestSoldOutFloodSkipsRedis(t *testing.T) {
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{})
	s := slots(t, ta, "beibei-library", "2026-03-03")[2]
	setQuota(t, ta, s.ID, 1)
	if _, _, err := ta.Reconcile.Run(context.Background()); err != nil { // the gate learns the new quota
		t.Fatal(err)
	}
	res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(s.ID, "E80000001"))
	var b bookingOut
	res.JSON(t, &b)
	takes := func() string {
		m := string(ta.Do(t, nil, "GET", "/metrics", nil).Body)
		for _, line := range strings.Split(m, "\n") {
			if strings.HasPrefix(line, `slotgate_capacity_gate_seconds_count{outcome="sold_out"}`) {
				return strings.Fields(line)[1]
			}
		}
		return "0"
	}
	for i := range 20 {
		if res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(s.ID, fmt.Sprintf("E8100%04d", i))); res.Code() != "sold_out" {
			t.Fatalf("flood %d: %d %s", i, res.Status, res.Body)
		}
	}
	if got := takes(); got != "1" {
		t.Fatalf("the gate was asked %s times for 20 sold-out answers; want once", got)
	}
	ta.Do(t, nil, "DELETE", "/api/v1/bookings/"+b.Code, nil)
	if res := ta.Do(t, nil, "POST", "/api/v1/bookings", body(s.ID, "E82000001")); res.Status != 201 {
		t.Fatalf("the freed place right after a cancellation: %d %s", res.Status, res.Body)
	}
}
