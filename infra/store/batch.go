package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"slotgate/domain"
)

// CreateBookings commits bookings of one slot in one transaction (the
// domain's Coalescer gathers them): one conditional update of the slot by
// their sum, one multi-row insert of the bookings and one of their people,
// one commit. Every booking gets the answer CreateBooking would give it:
//
//   - a booking whose Idempotency-Key or person the store already holds is
//     left out and goes alone, through CreateBooking, which names the
//     visitor or replays the first booking;
//   - when the sum does not fit, the bookings that fit are taken in order
//     and the others are refused sold out (or all slot_closed);
//   - a unique key broken all the same (a booking of another instance
//     committed in between) rolls the batch back, and every booking of it
//     then goes alone;
//   - a deadlock or lock wait timeout retries the whole batch; a commit of
//     unknown outcome is ErrOutcomeUnknown for every booking of it.
//
// The statements are raw SQL on the transaction's connection: GORM's
// per-statement work (reflection, callbacks) is paid once per batch at most.
func (s *Store) CreateBookings(ctx context.Context, nbs []domain.NewBooking) []domain.BookingOutcome {
	out := make([]domain.BookingOutcome, len(nbs))
	if len(nbs) == 0 {
		return out
	}
	slot := nbs[0].Slot
	alone, err := s.clashes(ctx, nbs)
	if err != nil {
		for i := range out {
			out[i].Err = s.fault("check batch for duplicates", err)
		}
		return out
	}
	var batch []int
	prints := make(map[string]bool, len(nbs))
	for i, nb := range nbs {
		if nb.Slot.ID != slot.ID || prints[nb.Fingerprint] {
			// Not this batch's slot, or the same request twice (the
			// domain sends neither): alone, so that ids stay unambiguous.
			alone[i] = true
		}
		prints[nb.Fingerprint] = true
		if !alone[i] {
			batch = append(batch, i)
		}
	}
	if len(batch) > 0 {
		var res []domain.BookingOutcome
		err := s.transact(ctx, func(tx *gorm.DB) error {
			var err error
			res, err = s.insertBatch(ctx, tx, slot, nbs, batch)
			return err
		})
		_, dup := uniqueViolation(err)
		switch {
		case errors.Is(err, errNothingTaken) || err == nil:
			for k, i := range batch {
				out[i] = res[k]
			}
		case dup:
			s.log.DebugContext(ctx, "batch broke a unique key; its bookings go one by one", "slot", slot.ID, "size", len(batch))
			for _, i := range batch {
				alone[i] = true
			}
		default:
			if !errors.Is(err, domain.ErrOutcomeUnknown) {
				err = s.fault("create bookings", err)
			}
			for _, i := range batch {
				out[i].Err = err
			}
		}
	}
	for i, nb := range nbs {
		if alone[i] {
			out[i].Booking, out[i].Err = s.CreateBooking(ctx, nb)
		}
	}
	return out
}

// errNothingTaken rolls back a batch none of whose bookings fit: each has
// its refusal already.
var errNothingTaken = errors.New("no booking of the batch fits")

// clashes marks the bookings whose Idempotency-Key or person (same ID,
// venue and day) the store holds already, read before the transaction so
// that the hot slot row is not held for it. A booking committed after this
// read is caught by the unique keys.
func (s *Store) clashes(ctx context.Context, nbs []domain.NewBooking) (map[int]bool, error) {
	alone := map[int]bool{}
	var keys, hashes []any
	for _, nb := range nbs {
		if nb.IdempotencyKey != "" {
			keys = append(keys, nb.IdempotencyKey)
		}
		for _, v := range nb.Visitors {
			hashes = append(hashes, v.IDHash)
		}
	}
	taken := map[string]bool{}
	read := func(query string, args ...any) error {
		rows, err := s.sqlDB.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				return err
			}
			taken[v] = true
		}
		return rows.Err()
	}
	if len(keys) > 0 {
		if err := read(`SELECT idempotency_key FROM bookings WHERE idempotency_key IN (`+marks(len(keys))+`)`, keys...); err != nil {
			return nil, err
		}
	}
	slot := nbs[0].Slot
	args := append([]any{slot.VenueID, slot.Date.String()}, hashes...)
	if err := read(`SELECT id_hash FROM booking_visitors WHERE venue_id = ? AND visit_date = ? AND live = 1 AND id_hash IN (`+
		marks(len(hashes))+`)`, args...); err != nil {
		return nil, err
	}
	if len(taken) == 0 {
		return alone, nil
	}
	for i, nb := range nbs {
		if nb.IdempotencyKey != "" && taken[nb.IdempotencyKey] {
			alone[i] = true
		}
		for _, v := range nb.Visitors {
			if taken[v.IDHash] {
				alone[i] = true
			}
		}
	}
	return alone, nil
}

// insertBatch is the batch's transaction: take the places of those that
// fit, insert their bookings and people. res[k] answers nbs[batch[k]].
func (s *Store) insertBatch(ctx context.Context, tx *gorm.DB, slot domain.Slot, nbs []domain.NewBooking, batch []int) ([]domain.BookingOutcome, error) {
	conn := tx.Statement.ConnPool
	res := make([]domain.BookingOutcome, len(batch))
	sum := 0
	for _, i := range batch {
		sum += len(nbs[i].Visitors)
	}
	const take = `UPDATE slots SET booked = booked + ? WHERE id = ? AND status = ? AND booked + ? <= quota - held_back`
	r, err := conn.ExecContext(ctx, take, sum, slot.ID, string(domain.SlotOpen), sum)
	if err != nil {
		return nil, err
	}
	fits := make([]bool, len(batch))
	if n, err := r.RowsAffected(); err != nil {
		return nil, err
	} else if n == 1 {
		for k := range fits {
			fits[k] = true
		}
	} else {
		// Not all of it fits: read the row under its lock (SQLite's
		// immediate transaction holds the database's) and take, in order,
		// the bookings that fit; the rest are sold out.
		lock := ""
		if s.dialect == MySQL {
			lock = " FOR UPDATE"
		}
		var quota, heldBack, booked int
		var status string
		if err := conn.QueryRowContext(ctx, `SELECT quota, held_back, booked, status FROM slots WHERE id = ?`+lock, slot.ID).
			Scan(&quota, &heldBack, &booked, &status); err != nil {
			return nil, err
		}
		if status != string(domain.SlotOpen) {
			for k := range res {
				res[k].Err = domain.ErrSlotClosed
			}
			return res, errNothingTaken
		}
		room := quota - heldBack - booked
		sum = 0
		for k, i := range batch {
			if n := len(nbs[i].Visitors); n <= room {
				fits[k], room, sum = true, room-n, sum+n
			}
		}
		for k := range batch {
			if !fits[k] {
				res[k].Err = &domain.Error{Code: domain.CodeSoldOut, Remaining: max(room, 0), Detail: "store refused"}
			}
		}
		if sum == 0 {
			return res, errNothingTaken
		}
		r, err := conn.ExecContext(ctx, take, sum, slot.ID, string(domain.SlotOpen), sum)
		if err != nil {
			return nil, err
		}
		if n, err := r.RowsAffected(); err != nil || n != 1 {
			return nil, fmt.Errorf("slot %d changed under its lock (%d rows, %v)", slot.ID, n, err)
		}
	}

	// The bookings, in one statement; their ids come back by fingerprint,
	// which is unique within a batch (it covers the people, and a person is
	// in one booking of a batch at most).
	var rows []int
	for k := range batch {
		if fits[k] {
			rows = append(rows, k)
		}
	}
	var q strings.Builder
	q.WriteString("INSERT INTO bookings (booking_number, venue_id, slot_id, visit_date, party_size, party_booked, status, phone, idempotency_key, fingerprint, created_at, updated_at) VALUES ")
	args := make([]any, 0, 12*len(rows))
	date := slot.Date.String()
	byPrint := make(map[string]int, len(rows))
	for j, k := range rows {
		nb := nbs[batch[k]]
		if j > 0 {
			q.WriteString(",")
		}
		q.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?)")
		var key, number any
		if nb.IdempotencyKey != "" {
			key = nb.IdempotencyKey
		}
		if nb.Number != "" {
			number = nb.Number
		}
		at := nb.CreatedAt.UTC()
		args = append(args, number, slot.VenueID, slot.ID, date, len(nb.Visitors), len(nb.Visitors), string(domain.BookingConfirmed),
			nb.Phone, key, nb.Fingerprint, at, at)
		byPrint[nb.Fingerprint] = k
	}
	ids := make([]int64, len(batch))
	if s.returning {
		q.WriteString(" RETURNING id, fingerprint")
		if err := s.scanIDs(ctx, conn, q.String(), args, byPrint, ids); err != nil {
			return nil, err
		}
	} else {
		// MySQL: the ids of one multi-row insert increase but need not be
		// consecutive (innodb_autoinc_lock_mode 2). Bookings of this slot
		// are inserted only under its row lock, which this transaction
		// holds, so those at or above the first id are this insert's.
		r, err := conn.ExecContext(ctx, q.String(), args...)
		if err != nil {
			return nil, err
		}
		first, err := r.LastInsertId()
		if err != nil {
			return nil, err
		}
		if err := s.scanIDs(ctx, conn, `SELECT id, fingerprint FROM bookings WHERE slot_id = ? AND id >= ? AND status = ?`,
			[]any{slot.ID, first, string(domain.BookingConfirmed)}, byPrint, ids); err != nil {
			return nil, err
		}
	}

	q.Reset()
	q.WriteString("INSERT INTO booking_visitors (booking_id, venue_id, visit_date, position, name, id_type, id_hash, id_masked, live, status) VALUES ")
	args = args[:0]
	visitors := make([][]visitorRow, len(batch))
	for j, k := range rows {
		nb := nbs[batch[k]]
		if ids[k] == 0 {
			return nil, fmt.Errorf("batch insert: no id came back for booking %d of slot %d", k, slot.ID)
		}
		visitors[k] = make([]visitorRow, len(nb.Visitors))
		for p, v := range nb.Visitors {
			if j > 0 || p > 0 {
				q.WriteString(",")
			}
			q.WriteString("(?,?,?,?,?,?,?,?,1,?)")
			args = append(args, ids[k], slot.VenueID, date, p+1, v.Name, string(v.IDType), v.IDHash, v.IDMasked, string(domain.BookingConfirmed))
			visitors[k][p] = visitorRow{BookingID: ids[k], VenueID: slot.VenueID, VisitDate: date, Position: p + 1, Name: v.Name,
				IDType: string(v.IDType), IDHash: v.IDHash, IDMasked: v.IDMasked, Live: sql.NullInt16{Int16: 1, Valid: true},
				Status: string(domain.BookingConfirmed)}
		}
	}
	if _, err := conn.ExecContext(ctx, q.String(), args...); err != nil {
		return nil, err
	}
	// The booked notices go out with the bookings, as CreateBooking's do.
	var notices []outboxRow
	for _, k := range rows {
		nb := nbs[batch[k]]
		at := nb.CreatedAt.UTC()
		row := bookingRow{ID: ids[k], BookingNumber: sql.NullString{String: nb.Number, Valid: nb.Number != ""},
			VenueID: slot.VenueID, SlotID: slot.ID, VisitDate: date, PartySize: len(nb.Visitors), PartyBooked: len(nb.Visitors),
			Status: string(domain.BookingConfirmed), Phone: nb.Phone, Fingerprint: nb.Fingerprint, CreatedAt: at, UpdatedAt: at}
		if nb.IdempotencyKey != "" {
			row.IdempotencyKey = sql.NullString{String: nb.IdempotencyKey, Valid: true}
		}
		res[k].Booking = row.booking(nb.Slot, visitors[k])
		if nb.Notice != nil {
			payload, err := json.Marshal(nb.Notice(res[k].Booking))
			if err != nil {
				return nil, err
			}
			notices = append(notices, outboxRow{Kind: "booked", BookingID: row.ID, Phone: row.Phone, Payload: string(payload),
				CreatedAt: at, NextAttemptAt: at.Unix()})
		}
	}
	if len(notices) > 0 {
		if err := tx.Create(&notices).Error; err != nil {
			return nil, err
		}
	}
	return res, nil
}

// scanIDs reads (id, fingerprint) rows into ids by the fingerprint's place.
func (s *Store) scanIDs(ctx context.Context, conn gorm.ConnPool, query string, args []any, byPrint map[string]int, ids []int64) error {
	rows, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var print string
		if err := rows.Scan(&id, &print); err != nil {
			return err
		}
		if k, ok := byPrint[print]; ok {
			ids[k] = id
		}
	}
	return rows.Err()
}

// marks is n SQL placeholders, comma-separated.
func marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}
