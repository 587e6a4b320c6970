package store_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"slotgate/domain"
	"slotgate/infra/store"
	"slotgate/internal/testkit"
	"slotgate/migrations"
)

// The contract suite: every test runs on SQLite and, when configured, on
// MySQL/MariaDB, through the same code.

var quiet = slog.New(slog.DiscardHandler)

// monday0800 is a Monday morning in Beibei, before any slot of the day.
var monday0800 = time.Date(2026, 3, 2, 8, 0, 0, 0, mustLoc("Asia/Shanghai"))

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func forEachDB(t *testing.T, fn func(t *testing.T, db testkit.DB)) {
	for _, db := range testkit.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, db.Prepare(t))
		})
	}
}

func open(t *testing.T, db testkit.DB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), store.Config{MySQLDSN: db.MySQLDSN, DataDir: db.DataDir, Log: quiet})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// seeded opens a store with the seeded venues and their slots as of monday0800.
func seeded(t *testing.T, db testkit.DB) (*store.Store, *domain.Schedule) {
	t.Helper()
	s := open(t, db)
	sch := domain.NewSchedule(s, domain.NewManualClock(monday0800))
	if err := sch.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := sch.Materialize(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, sch
}

func venue(t *testing.T, s *store.Store, slug string) domain.Venue {
	t.Helper()
	vs, err := s.Venues(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.Slug == slug {
			return v
		}
	}
	t.Fatalf("venue %s not seeded", slug)
	return domain.Venue{}
}

// slotWithQuota returns the first slot of venue on day d, with its quota set.
func slotWithQuota(t *testing.T, s *store.Store, slug string, d domain.Date, quota int) domain.Slot {
	t.Helper()
	v := venue(t, s, slug)
	slots, err := s.SlotsOn(context.Background(), v.ID, d)
	if err != nil || len(slots) == 0 {
		t.Fatalf("slots of %s on %s: %v (%d)", slug, d, err, len(slots))
	}
	if _, err := s.DB().Exec(`UPDATE slots SET quota = ? WHERE id = ?`, quota, slots[0].ID); err != nil {
		t.Fatal(err)
	}
	slots[0].Quota = quota
	return slots[0]
}

var hasher = domain.NewIDHasher([]byte("test key"))

// party makes n visitors with distinct passport numbers starting at first.
func party(n, first int) []domain.Visitor {
	vs := make([]domain.Visitor, n)
	for i := range vs {
		num := fmt.Sprintf("P%07d", first+i)
		vs[i] = domain.Visitor{Name: fmt.Sprintf("Visitor %d", first+i), IDType: domain.IDPassport,
			IDHash: hasher.Hash(domain.IDPassport, num), IDMasked: domain.MaskID(num)}
	}
	return vs
}

func newBooking(slot domain.Slot, visitors []domain.Visitor, key string) domain.NewBooking {
	return domain.NewBooking{Slot: slot, Phone: "13800138000", Visitors: visitors, CreatedAt: monday0800,
		IdempotencyKey: key, Fingerprint: "fp-" + key}
}

func TestMigrationsConcurrentAndRepeatable(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testkit.DB) {
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := store.Open(context.Background(), store.Config{MySQLDSN: db.MySQLDSN, DataDir: db.DataDir, Log: quiet})
				if err == nil {
					s.Close()
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent open: %v", err)
			}
		}
		s := open(t, db)
		var n int
		if err := s.DB().QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		files, _ := fs.Glob(migrations.FS, string(s.Dialect())+"/*.sql")
		if n != len(files) || n < 3 {
			t.Fatalf("schema_migrations has %d rows, want %d (each migration once)", n, len(files))
		}
	})
}

func TestSeedAndMaterializeAreIdempotent(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testkit.DB) {
		s, sch := seeded(t, db)
		ctx := context.Background()
		var total0 int
		if err := s.DB().QueryRow(`SELECT COUNT(*) FROM slots`).Scan(&total0); err != nil {
			t.Fatal(err)
		}
		// Several instances seeding and materializing at once create nothing twice.
		var wg sync.WaitGroup
		var created atomic.Int64
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				other := open(t, db)
				osch := domain.NewSchedule(other, domain.NewManualClock(monday0800))
				if err := osch.Seed(ctx); err != nil {
					t.Error(err)
				}
				n, err := osch.Materialize(ctx)
				if err != nil {
					t.Error(err)
				}
				created.Add(int64(n))
			}()
		}
		wg.Wait()
		var total, venues int
		s.DB().QueryRow(`SELECT COUNT(*) FROM slots`).Scan(&total)
		s.DB().QueryRow(`SELECT COUNT(*) FROM venues`).Scan(&venues)
		if total != total0 || created.Load() != 0 || venues != 5 {
			t.Fatalf("after re-running: %d slots (was %d), %d created, %d venues", total, total0, created.Load(), venues)
		}
		// Window of 7 days plus one: museum closed Mondays, 8 hourly slots a day.
		museum := venue(t, s, "beibei-museum")
		day := domain.DateOf(monday0800)
		for i := 0; i <= 8; i++ {
			d := day.AddDays(i)
			slots, err := s.SlotsOn(ctx, museum.ID, d)
			if err != nil {
				t.Fatal(err)
			}
			want := 8
			if d.Weekday() == 1 {
				want = 0
			}
			if len(slots) != want {
				t.Errorf("museum on %s (weekday %d): %d slots, want %d", d, d.Weekday(), len(slots), want)
			}
		}
		library := venue(t, s, "beibei-library")
		slots, _ := s.SlotsOn(ctx, library.ID, day)
		if len(slots) != 6 || slots[0].Start.In(library.Location()).Format("15:04") != "09:00" ||
			slots[5].End.In(library.Location()).Format("15:04") != "21:00" {
			t.Errorf("library slots: %d, first %v, last %v", len(slots), slots[0].Start, slots[len(slots)-1].End)
		}
		// Moving a day on adds exactly one more day of slots per venue.
		sch2 := domain.NewSchedule(s, domain.NewManualClock(monday0800.AddDate(0, 0, 1)))
		n, err := sch2.Materialize(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The new last day is a Wednesday: 11 + 8 + 6 + 8 + 8 slots.
		if n != 41 {
			t.Errorf("next day created %d slots, want 41", n)
		}
		_ = sch
	})
}

func TestCreateBookingRules(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testkit.DB) {
		s, _ := seeded(t, db)
		ctx := context.Background()
		slot := slotWithQuota(t, s, "jinyun-mountain", domain.DateOf(monday0800).AddDays(1), 5)

		b, err := s.CreateBooking(ctx, newBooking(slot, party(3, 1), "k1"))
		if err != nil {
			t.Fatalf("book 3 of 5: %v", err)
		}
		if b.ID == 0 || b.PartySize != 3 || len(b.Visitors) != 3 || b.Status != domain.BookingConfirmed {
			t.Fatalf("booking: %+v", b)
		}
		got, err := s.Booking(ctx, b.ID)
		if err != nil || got.Visitors[2].Name != "Visitor 3" || !got.Slot.Start.Equal(slot.Start) || !got.CreatedAt.Equal(monday0800) {
			t.Fatalf("read back: %+v, %v", got, err)
		}

		// Three more do not fit in the two places left: the store refuses.
		_, err = s.CreateBooking(ctx, newBooking(slot, party(3, 10), ""))
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != domain.CodeSoldOut || de.Remaining != 2 {
			t.Fatalf("over quota: %v", err)
		}
		// A person already booked that day at that venue is refused, named.
		_, err = s.CreateBooking(ctx, newBooking(slot, append(party(1, 20), party(1, 2)...), ""))
		if !errors.As(err, &de) || de.Code != domain.CodeAlreadyBooked || de.Field.String() != "visitors[1].id_number" {
			t.Fatalf("same person twice: %v", err)
		}
		// The same idempotency key again is a replay, and changes nothing.
		_, err = s.CreateBooking(ctx, newBooking(slot, party(1, 30), "k1"))
		if !errors.Is(err, domain.ErrIdempotentReplay) {
			t.Fatalf("same key: %v", err)
		}
		first, fp, err := s.BookingByIdempotencyKey(ctx, "k1")
		if err != nil || first.ID != b.ID || fp != "fp-k1" {
			t.Fatalf("by key: %v %q %v", first.ID, fp, err)
		}
		assertBooked(t, s, slot.ID, 3)

		// Cancelling gives the places back and frees the people's day.
		c, err := s.CancelBooking(ctx, b.ID, monday0800.Add(time.Minute), nil)
		if err != nil || c.Status != domain.BookingCancelled || c.CancelledAt.IsZero() {
			t.Fatalf("cancel: %+v %v", c, err)
		}
		assertBooked(t, s, slot.ID, 0)
		if _, err := s.CancelBooking(ctx, b.ID, monday0800, nil); !errors.Is(err, domain.ErrNotCancellable) {
			t.Fatalf("cancel twice: %v", err)
		}
		assertBooked(t, s, slot.ID, 0)
		again, err := s.CreateBooking(ctx, newBooking(slot, party(5, 1), "k2"))
		if err != nil || again.PartySize != 5 {
			t.Fatalf("rebook after cancel: %v", err)
		}

		// A closed slot sells nothing, whatever its places.
		other := slotWithQuota(t, s, "beibei-library", domain.DateOf(monday0800).AddDays(2), 50)
		s.DB().Exec(`UPDATE slots SET status = 'closed' WHERE id = ?`, other.ID)
		if _, err := s.CreateBooking(ctx, newBooking(other, party(1, 40), "")); !errors.Is(err, domain.ErrSlotClosed) {
			t.Fatalf("closed slot: %v", err)
		}
		if _, err := s.Booking(ctx, 999999); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("missing booking: %v", err)
		}
	})
}

func assertBooked(t *testing.T, s *store.Store, slotID int64, want int) {
	t.Helper()
	counts, err := s.SlotCounts(context.Background(), []int64{slotID})
	if err != nil || len(counts) != 1 {
		t.Fatalf("counts: %v", err)
	}
	var live int
	s.DB().QueryRow(`SELECT COALESCE(SUM(party_size), 0) FROM bookings WHERE slot_id = ? AND status <> 'cancelled'`, slotID).Scan(&live)
	if counts[0].Booked != want || live != want {
		t.Fatalf("slot %d: booked %d, bookings hold %d; want %d", slotID, counts[0].Booked, live, want)
	}
}

// TestStoreAloneNeverOverbooks races bookings straight at the store, with
// no Redis in front: the conditional update alone must hold the quota, and
// must sell it, not just stay under it.
func TestStoreAloneNeverOverbooks(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testkit.DB) {
		s, _ := seeded(t, db)
		const quota = 17
		slot := slotWithQuota(t, s, "beibei-museum", domain.DateOf(monday0800).AddDays(1), quota)
		var wg sync.WaitGroup
		var sold, made, refused atomic.Int64
		var smallestRefused atomic.Int64
		smallestRefused.Store(99)
		const tries = 60 // parties of 1, 2 and 3: 120 people for 17 places
		for i := range tries {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n := 1 + i%3
				b, err := s.CreateBooking(context.Background(), newBooking(slot, party(n, 100*i), fmt.Sprintf("race-%d", i)))
				switch {
				case err == nil:
					if b.PartySize != n {
						t.Errorf("booking %d: party of %d, asked %d", i, b.PartySize, n)
					}
					sold.Add(int64(b.PartySize))
					made.Add(1)
				case errors.Is(err, domain.ErrSoldOut):
					refused.Add(1)
					for {
						cur := smallestRefused.Load()
						if int64(n) >= cur || smallestRefused.CompareAndSwap(cur, int64(n)) {
							break
						}
					}
				default:
					t.Errorf("booking %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		// Every request was answered, some sold, none over the quota, and no
		// party was refused while places for it were left at the end.
		left := quota - int(sold.Load())
		if made.Load()+refused.Load() != tries || made.Load() == 0 || left < 0 || int64(left) >= smallestRefused.Load() {
			t.Fatalf("sold %d of %d places in %d bookings, %d refused (smallest refused party %d)",
				sold.Load(), quota, made.Load(), refused.Load(), smallestRefused.Load())
		}
		assertBooked(t, s, slot.ID, int(sold.Load()))
		// What is left sells, one person at a time, to exactly the quota.
		for i := range left {
			if _, err := s.CreateBooking(context.Background(), newBooking(slot, party(1, 9000+i), "")); err != nil {
				t.Fatalf("the %d places left: booking %d: %v", left, i+1, err)
			}
		}
		if _, err := s.CreateBooking(context.Background(), newBooking(slot, party(1, 9500), "")); !errors.Is(err, domain.ErrSoldOut) {
			t.Fatalf("one more after the quota: %v, want sold out", err)
		}
		assertBooked(t, s, slot.ID, quota)
	})
}

func TestSettingIsGeneratedOnceForAll(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testkit.DB) {
		a, b := open(t, db), open(t, db)
		var wg sync.WaitGroup
		vals := make([]string, 8)
		for i := range vals {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st := a
				if i%2 == 1 {
					st = b
				}
				v, err := st.Setting(context.Background(), "k", func() (string, error) { return fmt.Sprint("value-", i), nil })
				if err != nil {
					t.Error(err)
				}
				vals[i] = v
			}()
		}
		wg.Wait()
		for _, v := range vals {
			if v != vals[0] || v == "" {
				t.Fatalf("instances disagree on a generated setting: %q", vals)
			}
		}
	})
}

// TestMarkNoShowsCountsWhatCommitted makes the first no-show's transaction
// fail: on MySQL with a deadlock (1213), which is retried and then commits;
// on SQLite with an error that rolls it back. The count is of bookings
// marked and committed, once each.
func TestMarkNoShowsCountsWhatCommitted(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testkit.DB) {
		s, _ := seeded(t, db)
		ctx := context.Background()
		slot := slotWithQuota(t, s, "jinyun-mountain", domain.DateOf(monday0800).AddDays(1), 10)
		b, err := s.CreateBooking(ctx, newBooking(slot, party(2, 1), ""))
		if err != nil {
			t.Fatal(err)
		}
		var setup []string
		want := 1
		if s.Dialect() == store.MySQL {
			setup = []string{
				`CREATE TABLE inject_fail (n INT NOT NULL) ENGINE=MEMORY`, // not rolled back with the transaction
				`INSERT INTO inject_fail VALUES (1)`,
				`CREATE TRIGGER no_show_deadlock BEFORE INSERT ON no_shows FOR EACH ROW BEGIN
					IF (SELECT n FROM inject_fail) > 0 THEN
						UPDATE inject_fail SET n = n - 1;
						SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 1213, MESSAGE_TEXT = 'injected deadlock';
					END IF;
				END`,
			}
		} else {
			setup = []string{`CREATE TRIGGER no_show_fails BEFORE INSERT ON no_shows BEGIN SELECT RAISE(ABORT, 'injected failure'); END`}
			want = 0
		}
		for _, q := range setup {
			if _, err := s.DB().Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		n, err := s.MarkNoShows(ctx, venue(t, s, "jinyun-mountain"), slot.End.Add(time.Hour), slot.Date, 10)
		if n != want || (want == 0) != (err != nil) {
			t.Fatalf("marked %d, %v; want %d", n, err, want)
		}
		var status string
		var strikes int
		s.DB().QueryRow(`SELECT status FROM bookings WHERE id = ?`, b.ID).Scan(&status)
		s.DB().QueryRow(`SELECT COUNT(*) FROM no_shows WHERE booking_id = ?`, b.ID).Scan(&strikes)
		if want == 1 && (status != "no_show" || strikes != 2) || want == 0 && (status != "confirmed" || strikes != 0) {
			t.Fatalf("booking %s with %d strikes", status, strikes)
		}
	})
}
