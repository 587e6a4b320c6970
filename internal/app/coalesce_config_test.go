package app_test

import (
	"strings"
	"testing"
	"time"

	"slotgate/internal/app"
)

// TestCoalesceSettings: coalescing is on by default (2 ms, 64), "0" turns
// it off, and a value that means nothing is refused with its name.
func TestCoalesceSettings(t *testing.T) {
	t.Parallel()
	def := app.Defaults()
	if def.CoalesceWindow != 2*time.Millisecond || def.CoalesceMax != 64 {
		t.Fatalf("defaults: %v / %d", def.CoalesceWindow, def.CoalesceMax)
	}
	for _, c := range []struct {
		window, max string
		want        time.Duration
		wantMax     int
		err         string
	}{
		{window: "0", want: 0, wantMax: 64},
		{window: "5ms", max: "16", want: 5 * time.Millisecond, wantMax: 16},
		{max: "0", want: 2 * time.Millisecond, wantMax: 0},
		{window: "-1ms", err: "SLOTGATE_COALESCE_WINDOW"},
		{window: "2s", err: "SLOTGATE_COALESCE_WINDOW"},
		{window: "soon", err: "SLOTGATE_COALESCE_WINDOW"},
		{max: "many", err: "SLOTGATE_COALESCE_MAX"},
		{max: "5000", err: "SLOTGATE_COALESCE_MAX"},
	} {
		got, err := app.FromEnv(envOf(map[string]string{"SLOTGATE_COALESCE_WINDOW": c.window, "SLOTGATE_COALESCE_MAX": c.max}))
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q/%q: %v, want an error naming %s", c.window, c.max, err, c.err)
		case c.err == "" && (err != nil || got.CoalesceWindow != c.want || got.CoalesceMax != c.wantMax):
			t.Errorf("%q/%q: %v / %d, %v", c.window, c.max, got.CoalesceWindow, got.CoalesceMax, err)
		}
	}
}
