package app_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"slotgate/infra/store"
	"slotgate/internal/testkit"
)

// TestBackupUnderLoad takes a backup of the embedded store while bookings
// keep arriving, restores it into an empty data directory, and compares:
// every booking confirmed before the backup began is in the copy, which
// passes SQLite's integrity check and the store's invariant (a slot's
// booked count is the people of its live bookings), and the restored
// directory opens as a store. Restoring into a directory that holds
// anything, or restoring a file that is not a slotgate database, is refused.
func TestBackupUnderLoad(t *testing.T) {
	ta := testkit.StartApp(t, testkit.Mode{Name: "embedded", DB: "sqlite", Redis: "embedded"}, testkit.Options{})
	ctx := context.Background()
	slotID := floodSlot(t, ta, 100000)

	var (
		mu        sync.Mutex
		confirmed []int64
		halt      atomic.Bool
		person    atomic.Int64
		wg        sync.WaitGroup
	)
	client := testkit.Client()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !halt.Load() {
				p := person.Add(1)
				res := ta.Do(t, client, "POST", "/api/v1/bookings", map[string]any{"slot_id": slotID, "phone": fmt.Sprintf("136%08d", p),
					"visitors": []map[string]string{{"name": "游客", "id_type": "passport", "id_number": fmt.Sprintf("B%07d", p)}}})
				if res.Status != http.StatusCreated {
					t.Errorf("booking: %d %s", res.Status, res.Body)
					return
				}
				var b struct {
					ID int64 `json:"id"`
				}
				res.JSON(t, &b)
				mu.Lock()
				confirmed = append(confirmed, b.ID)
				mu.Unlock()
			}
		}()
	}
	for person.Load() < 100 {
		runtimeYield()
	}
	mu.Lock()
	before := append([]int64(nil), confirmed...)
	mu.Unlock()
	file := filepath.Join(t.TempDir(), "slotgate-backup.db")
	if err := store.Backup(ctx, ta.DB.DataDir, file); err != nil {
		t.Fatal(err)
	}
	n := person.Load()
	for person.Load() < n+50 { // the load goes on after the copy
		runtimeYield()
	}
	halt.Store(true)
	wg.Wait()
	if err := store.Backup(ctx, ta.DB.DataDir, file); err == nil {
		t.Fatal("a backup over an existing file was not refused")
	}

	// Restore refuses a directory that holds anything, and a stranger file.
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "notes.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := store.Restore(ctx, file, full); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("restore into a non-empty directory: %v", err)
	}
	if err := store.Restore(ctx, filepath.Join(full, "notes.txt"), filepath.Join(t.TempDir(), "d")); err == nil {
		t.Fatal("restoring a file that is not a database was not refused")
	}

	dir := filepath.Join(t.TempDir(), "restored")
	if err := store.Restore(ctx, file, dir); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := s.DB()
	var verdict string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&verdict); err != nil || verdict != "ok" {
		t.Fatalf("integrity check of the restored store: %q %v", verdict, err)
	}
	have := map[int64]bool{}
	rows, err := db.Query(`SELECT id FROM bookings WHERE slot_id = ? AND status = 'confirmed'`, slotID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		have[id] = true
	}
	rows.Close()
	for _, id := range before {
		if !have[id] {
			t.Errorf("booking %d, confirmed before the backup began, is not in the restored store", id)
		}
	}
	var total int
	ta.Store.DB().QueryRow(`SELECT COUNT(*) FROM bookings WHERE slot_id = ?`, slotID).Scan(&total)
	t.Logf("%d bookings confirmed before the backup began, %d in the copy, %d in the live store at the end", len(before), len(have), total)
	if len(have) >= total {
		t.Errorf("the copy holds %d bookings, the live store %d: the load did not go on after the copy", len(have), total)
	}
	var bad int
	if err := db.QueryRow(`SELECT COUNT(*) FROM slots s WHERE s.booked <> (SELECT COUNT(*) FROM booking_visitors v
		JOIN bookings b ON b.id = v.booking_id WHERE b.slot_id = s.id AND v.live = 1)`).Scan(&bad); err != nil || bad != 0 {
		t.Fatalf("%d slots whose booked count is not their live bookings' people (%v)", bad, err)
	}
}

// runtimeYield waits a moment for the load to move on.
func runtimeYield() { <-time.After(time.Millisecond) }
