package domain_test

import (
	"log/slog"
	"testing"
	"time"

	"slotgate/domain"
)

// TestSoldOutMemory: a slot found full is answered from memory for
// SoldOutMemory; once the note is out of date, the first request that will
// ask the gate itself is let through to ask, the others keep the note's
// answer for the 50 ms grace at most, and a request that would not ask
// (the fast path before decoding) never trusts an out-of-date note.
func TestSoldOutMemory(t *testing.T) {
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	cat := domain.NewCatalog(nil, nil, domain.NewManualClock(now), slog.New(slog.DiscardHandler), time.Second)
	cat.CacheClock = func() time.Time { return now }
	later := func(d time.Duration) { now = now.Add(d) }

	if _, full := cat.KnownSoldOut(7, 1); full {
		t.Fatal("a slot nobody found full is not known full")
	}
	cat.NoteSoldOut(7, 1) // one place left
	if _, full := cat.KnownSoldOut(7, 1); full {
		t.Fatal("a party of one fits the place left")
	}
	if left, full := cat.KnownSoldOut(7, 2); !full || left != 1 {
		t.Fatalf("a party of two: %d %v", left, full)
	}
	later(domain.DefaultSoldOutMemory - time.Millisecond)
	if _, full := cat.PeekSoldOut(7, 2); !full {
		t.Fatal("within the memory, the fast path trusts the note")
	}
	later(2 * time.Millisecond) // out of date
	if _, full := cat.PeekSoldOut(7, 2); full {
		t.Fatal("the fast path trusted an out-of-date note")
	}
	if _, full := cat.KnownSoldOut(7, 2); full {
		t.Fatal("the first request after the memory must ask the gate")
	}
	for _, d := range []time.Duration{0, 25 * time.Millisecond, 24 * time.Millisecond} {
		later(d)
		if _, full := cat.KnownSoldOut(7, 2); !full {
			t.Fatalf("while one request asks, the others keep the note (%v into the grace)", d)
		}
	}
	later(2 * time.Millisecond) // past the 50 ms grace: the asking request never came back
	if _, full := cat.KnownSoldOut(7, 2); full {
		t.Fatal("a note out of date past the grace still answered")
	}
	cat.NoteSoldOut(7, 0) // the gate's answer renews it
	if _, full := cat.KnownSoldOut(7, 1); !full {
		t.Fatal("a renewed note answers again")
	}
	cat.ForgetSoldOut(7) // a place freed on this instance
	if _, full := cat.KnownSoldOut(7, 1); full {
		t.Fatal("a forgotten note answered")
	}
	cat.SoldOutMemory = 0
	cat.NoteSoldOut(8, 0)
	if _, full := cat.KnownSoldOut(8, 1); full {
		t.Fatal("with no memory, every request asks the gate")
	}
}
