package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"slotgate/internal/testkit"
)

// TestSoldOutFromMemory: once a slot is known full, its sold-out answers
// come before the request is decoded, and they are the very bytes the
// error handler writes, in each language; a request with the
// Idempotency-Key of a booking made still gets that booking back.
func TestSoldOutFromMemory(t *testing.T) {
	ta := testkit.StartApp(t, testkit.Modes(t)[0], testkit.Options{})
	s := slots(t, ta, "beibei-library", "2026-03-03")[2]
	setQuota(t, ta, s.ID, 1)
	if _, _, err := ta.Reconcile.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	first := ta.Do(t, nil, "POST", "/api/v1/bookings", body(s.ID, "E90000001"), "Idempotency-Key", "made-before")
	if first.Status != http.StatusCreated {
		t.Fatalf("book the one place: %d %s", first.Status, first.Body)
	}
	var b bookingOut
	first.JSON(t, &b)
	for i, lang := range []string{"zh", "en"} {
		// The first refusal asks the gate; the next one is answered from memory.
		fromGate := ta.Do(t, nil, "POST", "/api/v1/bookings?lang="+lang, body(s.ID, fmt.Sprintf("E9100000%d", i)))
		fromMemory := ta.Do(t, nil, "POST", "/api/v1/bookings?lang="+lang, body(s.ID, fmt.Sprintf("E9200000%d", i)))
		if fromGate.Code() != "sold_out" || string(fromMemory.Body) != string(fromGate.Body) ||
			fromMemory.Status != fromGate.Status || fromMemory.Header.Get("Content-Type") != fromGate.Header.Get("Content-Type") {
			t.Fatalf("%s: from the gate %d %s %q, from memory %d %s %q", lang, fromGate.Status, fromGate.Header.Get("Content-Type"), fromGate.Body,
				fromMemory.Status, fromMemory.Header.Get("Content-Type"), fromMemory.Body)
		}
	}
	again := ta.Do(t, nil, "POST", "/api/v1/bookings", body(s.ID, "E90000001"), "Idempotency-Key", "made-before")
	var replay bookingOut
	again.JSON(t, &replay)
	if again.Status != http.StatusCreated || replay.ID != b.ID || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the retry of the booking made: %d %s", again.Status, again.Body)
	}
}
