package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"slotgate/domain"
	"slotgate/infra/store"
)

// venueMaxParty is the bench venue's largest party.
const venueMaxParty = 5

// fixture is the run's own venue and slots in the server's database.
type fixture struct {
	store *store.Store
	db    *sql.DB
	venue domain.Venue
	// flash takes the flash crowd and the sold-out flood, sustained the
	// sustained phase; raw is the raw MariaDB baseline's scratch slot,
	// which the server never sees.
	flash, sustained, raw domain.Slot
}

// Hours of tomorrow's slots the bench uses, venue time.
const (
	flashHour     = 10
	sustainedHour = 11
	rawHour       = 12
)

// rawQuota is the scratch slot's quota: more than any raw run can book.
const rawQuota = 100_000_000

// setUp opens the server's database with slotgate's own store (which
// migrates it), adds a venue for this run, makes its slots as the server
// does, and sets the quotas of the slots the bench uses. Nothing the server
// caches can be stale: it has never seen this venue.
func setUp(ctx context.Context, dsn, sqliteDir string, slug string, flashQuota, sustainedQuota int) (*fixture, error) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := store.Config{MySQLDSN: dsn, MaxOpenConns: 8, Log: quiet}
	if sqliteDir != "" {
		// The server's SQLite file, opened by a second process: WAL and
		// its busy timeout let both write.
		cfg.MySQLDSN, cfg.DataDir = "", sqliteDir
	}
	st, err := store.Open(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open the server's database: %w", err)
	}
	f := &fixture{store: st, db: st.DB()}
	// Fields left out keep their zero values, which mean "no such policy"
	// (no held-back places, no policy quota). The venue is not put through
	// Validate: its rules grow with the domain, the store takes the venue as
	// given, and what matters here is that the server books its slots,
	// which the run checks.
	v := domain.Venue{
		Slug: slug, NameZH: "压力测试场馆", NameEN: "Benchmark venue " + slug, Kind: "scenic_area",
		Timezone: "Asia/Shanghai", Open: 0, Close: 24 * 60, SlotMinutes: 60,
		// Slots the bench does not set keep no places, so that nothing
		// else can be booked at this venue.
		DefaultQuota: 0, BookingWindowDays: 7, MaxPartySize: venueMaxParty, AdmissionMinutesBefore: 30,
		InstantaneousCapacity: 1_000_000, GateFlowPerMinute: 1_000_000, GateBurst: 1_000_000,
	}
	if err := st.AddVenues(ctx, []domain.Venue{v}); err != nil {
		st.Close()
		return nil, err
	}
	venues, err := st.Venues(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	for _, got := range venues {
		if got.Slug == slug {
			f.venue = got
		}
	}
	if f.venue.ID == 0 {
		st.Close()
		return nil, fmt.Errorf("venue %s was not added", slug)
	}
	// From here on, a failure leaves rows behind unless cleaned up.
	if err := f.makeSlots(ctx, flashQuota, sustainedQuota); err != nil {
		return f, err
	}
	return f, nil
}

func (f *fixture) makeSlots(ctx context.Context, flashQuota, sustainedQuota int) error {
	if _, err := domain.NewSchedule(f.store, domain.SystemClock{}).Materialize(ctx); err != nil {
		return err
	}
	tomorrow := f.venue.Today(time.Now()).AddDays(1)
	slots, err := f.store.SlotsOn(ctx, f.venue.ID, tomorrow)
	if err != nil {
		return err
	}
	loc := f.venue.Location()
	pick := func(hour int) (domain.Slot, error) {
		for _, s := range slots {
			if s.Start.In(loc).Hour() == hour {
				if s.Booked != 0 {
					return s, fmt.Errorf("slot %d of the new venue already has bookings", s.ID)
				}
				return s, nil
			}
		}
		return domain.Slot{}, fmt.Errorf("no %02d:00 slot tomorrow (%s) at venue %s", hour, tomorrow, f.venue.Slug)
	}
	if f.flash, err = pick(flashHour); err != nil {
		return err
	}
	if f.sustained, err = pick(sustainedHour); err != nil {
		return err
	}
	if f.raw, err = pick(rawHour); err != nil {
		return err
	}
	for _, q := range []struct {
		slot  *domain.Slot
		quota int
	}{{&f.flash, flashQuota}, {&f.sustained, sustainedQuota}, {&f.raw, rawQuota}} {
		// Before any request: the server loads a slot's bucket in Redis from
		// these rows at its first booking, and never reads the quota again.
		if _, err := f.db.ExecContext(ctx, `UPDATE slots SET quota = ? WHERE id = ?`, q.quota, q.slot.ID); err != nil {
			return fmt.Errorf("set quota of slot %d: %w", q.slot.ID, err)
		}
		q.slot.Quota = q.quota
	}
	return nil
}

// waitForServer polls the server until it answers for the run's venue: it
// caches its venue list for a few seconds (SLOTGATE_CATALOG_TTL), and a
// venue it cannot see after that is in a database it does not use.
func (f *fixture) waitForServer(ctx context.Context, l *loader, base string, within time.Duration) error {
	if err := l.get(ctx, base+"/healthz"); err != nil {
		return fmt.Errorf("slotgate does not answer at %s: %w", base, err)
	}
	deadline := time.Now().Add(within)
	venueURL := base + "/api/v1/venues/" + f.venue.Slug
	for {
		err := l.get(ctx, venueURL)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server does not know venue %s after %s (%v): does -dsn name the server's database?",
				f.venue.Slug, within, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// cleanUp removes everything of the run's venue, children first. Rows that
// other tables keep about its bookings (any table with a booking_id column:
// admissions, notifications) were made by the run as well, and would block
// the delete or outlive it, so they go first. The server's Redis keeps the
// slots' buckets until they expire a day after the slots end; with their
// slots gone nothing reads them.
func (f *fixture) cleanUp(ctx context.Context) error {
	id := f.venue.ID
	tables := `SELECT DISTINCT table_name FROM information_schema.columns
		WHERE table_schema = DATABASE() AND column_name = 'booking_id' AND table_name <> 'booking_visitors'`
	if f.store.Dialect() == store.SQLite {
		tables = `SELECT DISTINCT m.name FROM sqlite_master m, pragma_table_info(m.name) p
			WHERE m.type = 'table' AND p.name = 'booking_id' AND m.name <> 'booking_visitors'`
	}
	rows, err := f.db.QueryContext(ctx, tables)
	if err != nil {
		return fmt.Errorf("find tables that refer to bookings: %w", err)
	}
	var queries []string
	for rows.Next() {
		var table string
		if err := rows.Scan(&table); err != nil {
			rows.Close()
			return err
		}
		queries = append(queries, "DELETE FROM `"+strings.ReplaceAll(table, "`", "``")+
			"` WHERE booking_id IN (SELECT id FROM bookings WHERE venue_id = ?)")
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	queries = append(queries,
		`DELETE FROM booking_visitors WHERE venue_id = ?`,
		`DELETE FROM bookings WHERE venue_id = ?`,
		`DELETE FROM slots WHERE venue_id = ?`,
		`DELETE FROM venues WHERE id = ?`,
	)
	for _, q := range queries {
		if _, err := f.db.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

func (f *fixture) close() { _ = f.store.Close() }

// slotFacts is what MySQL holds about one slot after a phase.
type slotFacts struct {
	quota, booked int
	bookings      int            // confirmed bookings rows
	places        int            // their party sizes summed
	visitors      int            // their live booking_visitors rows
	ids           map[int64]bool // their ids
}

func (f *fixture) facts(ctx context.Context, slotID int64) (slotFacts, error) {
	fs := slotFacts{ids: map[int64]bool{}}
	err := f.db.QueryRowContext(ctx, `SELECT quota, booked FROM slots WHERE id = ?`, slotID).Scan(&fs.quota, &fs.booked)
	if err != nil {
		return fs, fmt.Errorf("read slot %d: %w", slotID, err)
	}
	rows, err := f.db.QueryContext(ctx, `SELECT id, party_size FROM bookings WHERE slot_id = ? AND status = 'confirmed'`, slotID)
	if err != nil {
		return fs, fmt.Errorf("read bookings of slot %d: %w", slotID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var party int
		if err := rows.Scan(&id, &party); err != nil {
			return fs, err
		}
		fs.ids[id] = true
		fs.bookings++
		fs.places += party
	}
	if err := rows.Err(); err != nil {
		return fs, err
	}
	err = f.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM booking_visitors v JOIN bookings b ON b.id = v.booking_id
		WHERE b.slot_id = ? AND b.status = 'confirmed' AND v.live = 1`, slotID).Scan(&fs.visitors)
	if err != nil {
		return fs, fmt.Errorf("count visitors of slot %d: %w", slotID, err)
	}
	return fs, nil
}

// sameIDs reports whether the 201 answers name exactly the bookings MySQL holds.
func (fs slotFacts) sameIDs(ids []int64) bool {
	if len(ids) != len(fs.ids) {
		return false
	}
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if !fs.ids[id] || seen[id] {
			return false
		}
		seen[id] = true
	}
	return true
}

// runSlug names the run's venue after its start time and process, so that
// two runs never share one.
func runSlug(start time.Time, pid int) string {
	return "bench-" + strconv.FormatInt(start.Unix(), 10) + "-" + strconv.Itoa(pid)
}
