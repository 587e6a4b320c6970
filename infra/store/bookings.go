package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"slotgate/domain"
)

// CreateBooking takes the party's places with a conditional update, the
// arbiter of capacity, then writes the booking and its visitors, in one
// short transaction. Update first: it holds the hot row's lock a little
// longer, but insert-then-update deadlocked under concurrent retries.
func (s *Store) CreateBooking(ctx context.Context, nb domain.NewBooking) (domain.Booking, error) {
	var (
		row      bookingRow
		visitors []visitorRow
	)
	err := s.withFreshNumber(&nb, func() error {
		return s.transact(ctx, func(tx *gorm.DB) error {
			var err error
			row, visitors, err = s.insertBooking(tx, nb)
			return err
		})
	})
	if err != nil {
		return domain.Booking{}, s.bookingFault(ctx, nb, err)
	}
	return row.booking(nb.Slot, visitors), nil
}

// insertBooking is the heart of a booking transaction: the conditional
// update that takes the places, the booking and its people.
func (s *Store) insertBooking(tx *gorm.DB, nb domain.NewBooking) (bookingRow, []visitorRow, error) {
	n := len(nb.Visitors)
	now := nb.CreatedAt.UTC()
	row := bookingRow{
		BookingNumber: sql.NullString{String: nb.Number, Valid: nb.Number != ""},
		VenueID:       nb.Slot.VenueID, SlotID: nb.Slot.ID, VisitDate: nb.Slot.Date.String(), PartySize: n, PartyBooked: n,
		Status: string(domain.BookingConfirmed), Phone: nb.Phone, Fingerprint: nb.Fingerprint,
		CreatedAt: now, UpdatedAt: now,
	}
	if nb.IdempotencyKey != "" {
		row.IdempotencyKey = sql.NullString{String: nb.IdempotencyKey, Valid: true}
	}
	res := tx.Exec(`UPDATE slots SET booked = booked + ? WHERE id = ? AND status = ? AND booked + ? <= quota - held_back`,
		n, nb.Slot.ID, string(domain.SlotOpen), n)
	if res.Error != nil {
		return row, nil, res.Error
	}
	if res.RowsAffected != 1 {
		return row, nil, s.whyNoPlaces(tx, nb.Slot.ID, n)
	}
	if err := tx.Create(&row).Error; err != nil {
		return row, nil, err
	}
	visitors := make([]visitorRow, n)
	for i, v := range nb.Visitors {
		visitors[i] = visitorRow{
			BookingID: row.ID, VenueID: nb.Slot.VenueID, VisitDate: row.VisitDate, Position: i + 1,
			Name: v.Name, IDType: string(v.IDType), IDHash: v.IDHash, IDMasked: v.IDMasked,
			Live: sql.NullInt16{Int16: 1, Valid: true}, Status: string(domain.BookingConfirmed), Origin: v.Origin,
		}
	}
	if err := tx.Create(&visitors).Error; err != nil {
		return row, nil, err
	}
	if nb.Notice != nil {
		payload, err := json.Marshal(nb.Notice(row.booking(nb.Slot, visitors)))
		if err != nil {
			return row, nil, err
		}
		if err := tx.Create(&outboxRow{Kind: "booked", BookingID: row.ID, Phone: row.Phone, Payload: string(payload),
			CreatedAt: now, NextAttemptAt: now.Unix()}).Error; err != nil {
			return row, nil, err
		}
	}
	return row, visitors, nil
}

// withFreshNumber runs write, drawing a new booking number for nb each time
// the last one proved taken (the unique index says so). With ten random
// digits a second draw is already rare.
func (s *Store) withFreshNumber(nb *domain.NewBooking, write func() error) error {
	var err error
	for range 5 {
		err = write()
		if !isViolationOf(err, idxBookingsNumber) {
			return err
		}
		nb.Number = domain.NewBookingNumber()
	}
	return err
}

// whyNoPlaces tells a closed slot from a full one after the conditional
// update matched nothing.
func (s *Store) whyNoPlaces(tx *gorm.DB, slotID int64, n int) error {
	var r slotRow
	if err := tx.Select("quota", "booked", "status", "held_back").Where("id = ?", slotID).Take(&r).Error; err != nil {
		return err
	}
	if r.Status != string(domain.SlotOpen) {
		return domain.ErrSlotClosed
	}
	return &domain.Error{Code: domain.CodeSoldOut, Remaining: max(r.Quota-r.HeldBack-r.Booked, 0), Detail: "store refused"}
}

// restricted refuses a standby entry any of whose people is restricted at
// the venue for no-shows, naming the day the restriction ends. (Bookings
// are checked against the domain's cache of restrictions, before they
// take places.)
func (s *Store) restricted(tx *gorm.DB, nb domain.NewBooking) error {
	if nb.Today.IsZero() {
		return nil
	}
	hashes := make([]string, len(nb.Visitors))
	for i, v := range nb.Visitors {
		hashes[i] = v.IDHash
	}
	var r restrictionRow
	err := tx.Where("venue_id = ? AND id_hash IN ? AND until_date > ? AND lifted_at IS NULL", nb.Slot.VenueID, hashes, nb.Today.String()).
		Order("until_date DESC").Limit(1).Find(&r).Error
	if err != nil || r.ID == 0 {
		return err
	}
	until, _ := domain.ParseDate(r.UntilDate)
	return &domain.Error{Code: domain.CodeRestricted, Detail: "no-shows", RestrictedUntil: until}
}

// bookingFault turns a failed booking transaction into the domain's answer.
func (s *Store) bookingFault(ctx context.Context, nb domain.NewBooking, err error) error {
	index, dup := uniqueViolation(err)
	switch {
	case !dup:
		return s.fault("create booking", err)
	case index == idxBookingsIdempotency:
		return domain.ErrIdempotentReplay
	case index == idxVisitorsPersonDay:
		e := &domain.Error{Code: domain.CodeAlreadyBooked, Detail: "a visitor already holds a booking that day"}
		if i, ok := s.bookedVisitor(ctx, nb); ok {
			e.Field = domain.ElementField("visitors", i, "id_number")
		}
		return e
	}
	return s.fault("create booking", err)
}

// bookedVisitor finds which visitor of nb already holds a booking that day.
func (s *Store) bookedVisitor(ctx context.Context, nb domain.NewBooking) (int, bool) {
	hashes := make([]string, len(nb.Visitors))
	for i, v := range nb.Visitors {
		hashes[i] = v.IDHash
	}
	var taken []string
	err := s.db.WithContext(ctx).Model(&visitorRow{}).
		Where("venue_id = ? AND visit_date = ? AND live = 1 AND id_hash IN ?", nb.Slot.VenueID, nb.Slot.Date.String(), hashes).
		Pluck("id_hash", &taken).Error
	if err != nil || len(taken) == 0 {
		return 0, false
	}
	for i, h := range hashes {
		if slices.Contains(taken, h) {
			return i, true
		}
	}
	return 0, false
}

// Booking reads one booking with its slot and visitors.
func (s *Store) Booking(ctx context.Context, id int64) (domain.Booking, error) {
	var r bookingRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return domain.Booking{}, s.fault("read booking", err)
	}
	return s.complete(ctx, r)
}

// BookingByIdempotencyKey returns the booking made under key and the
// fingerprint of the request that made it.
func (s *Store) BookingByIdempotencyKey(ctx context.Context, key string) (domain.Booking, string, error) {
	var r bookingRow
	if err := s.db.WithContext(ctx).Where("idempotency_key = ?", key).Take(&r).Error; err != nil {
		return domain.Booking{}, "", s.fault("read booking by idempotency key", err)
	}
	b, err := s.complete(ctx, r)
	return b, r.Fingerprint, err
}

func (s *Store) complete(ctx context.Context, r bookingRow) (domain.Booking, error) {
	slot, err := s.Slot(ctx, r.SlotID)
	if err != nil {
		return domain.Booking{}, err
	}
	var visitors []visitorRow
	if err := s.db.WithContext(ctx).Where("booking_id = ?", r.ID).Order("position").Find(&visitors).Error; err != nil {
		return domain.Booking{}, s.fault("read visitors", err)
	}
	return r.booking(slot, visitors), nil
}

// CancelBooking marks a confirmed booking cancelled, gives its places back
// to the slot, frees its visitors' day and queues notice, in one
// transaction. A booking that is not confirmed is returned as it stands
// with ErrNotCancellable.
func (s *Store) CancelBooking(ctx context.Context, id int64, at time.Time, notice *domain.Notification) (domain.Booking, error) {
	at = at.UTC()
	var r bookingRow
	errNotConfirmed := errors.New("not confirmed")
	err := s.transact(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", id).Take(&r).Error; err != nil {
			return err
		}
		res := tx.Model(&bookingRow{}).Where("id = ? AND status = ?", id, string(domain.BookingConfirmed)).
			Updates(map[string]any{"status": string(domain.BookingCancelled), "cancelled_at": at, "updated_at": at})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return errNotConfirmed
		}
		if err := tx.Exec(`UPDATE slots SET booked = booked - ? WHERE id = ?`, r.PartySize, r.SlotID).Error; err != nil {
			return err
		}
		if err := cancelPersons(tx, id, at); err != nil {
			return err
		}
		return queueNotice(tx, notice, r, "", at)
	})
	if errors.Is(err, errNotConfirmed) {
		b, rerr := s.Booking(ctx, id)
		if rerr != nil {
			return domain.Booking{}, rerr
		}
		return b, domain.ErrNotCancellable
	}
	if err != nil {
		return domain.Booking{}, s.fault("cancel booking", err)
	}
	return s.Booking(ctx, id)
}

// cancelPersons marks the persons of a booking still confirmed cancelled
// and frees their day.
func cancelPersons(tx *gorm.DB, bookingID int64, at time.Time) error {
	return tx.Exec(`UPDATE booking_visitors SET live = NULL, status = ? WHERE booking_id = ? AND status = ?`,
		string(domain.BookingCancelled), bookingID, string(domain.BookingConfirmed)).Error
}

// queueNotice writes notice to booking r's phone in the transaction that
// causes it, so that the change and its message commit together; a
// booking without a phone (a walk-in may have none) gets no message. ref
// tells apart messages of one kind to one booking; the same message
// written twice is kept once.
func queueNotice(tx *gorm.DB, notice *domain.Notification, r bookingRow, ref string, at time.Time) error {
	if notice == nil || r.Phone == "" {
		return nil
	}
	payload, err := json.Marshal(notice.Text)
	if err != nil {
		return err
	}
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&outboxRow{Kind: notice.Kind, BookingID: r.ID, Phone: r.Phone,
		Ref: ref, Payload: string(payload), CreatedAt: at, NextAttemptAt: at.Unix()}).Error
}

// CancelPersons cancels the persons at positions of a confirmed booking:
// each person's row (a conditional update, so that two requests cancel
// once), the party's size, the slot's count and notice, in one
// transaction; all of them or none. Cancelling the last persons cancels
// the booking.
func (s *Store) CancelPersons(ctx context.Context, id int64, positions []int, at time.Time, notice *domain.Notification) (domain.Booking, error) {
	at = at.UTC()
	errRefused := errors.New("person not cancellable")
	err := s.transact(ctx, func(tx *gorm.DB) error {
		var r bookingRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(&r).Error; err != nil {
			return err
		}
		if r.Status != string(domain.BookingConfirmed) || len(positions) == 0 {
			return errRefused
		}
		for _, p := range positions {
			res := tx.Exec(`UPDATE booking_visitors SET live = NULL, status = ? WHERE booking_id = ? AND position = ? AND status = ?`,
				string(domain.BookingCancelled), id, p, string(domain.BookingConfirmed))
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return errRefused
			}
		}
		n := len(positions)
		change := map[string]any{"party_size": gorm.Expr("party_size - ?", n), "updated_at": at}
		if r.PartySize <= n {
			change["status"], change["cancelled_at"] = string(domain.BookingCancelled), at
		}
		if err := tx.Model(&bookingRow{}).Where("id = ?", id).Updates(change).Error; err != nil {
			return err
		}
		// The others all in already: the booking is admitted.
		if err := tx.Exec(`UPDATE bookings SET status = ? WHERE id = ? AND status = ? AND NOT EXISTS
			(SELECT 1 FROM booking_visitors v WHERE v.booking_id = ? AND v.status = ?)`,
			string(domain.BookingAdmitted), id, string(domain.BookingConfirmed), id, string(domain.BookingConfirmed)).Error; err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE slots SET booked = booked - ? WHERE id = ?`, n, r.SlotID).Error; err != nil {
			return err
		}
		return queueNotice(tx, notice, r, positionsRef(positions), at)
	})
	if errors.Is(err, errRefused) {
		b, rerr := s.Booking(ctx, id)
		if rerr != nil {
			return domain.Booking{}, rerr
		}
		for _, p := range positions {
			if _, ok := b.Person(p); !ok {
				return b, domain.ErrNotFound
			}
		}
		return b, domain.ErrNotCancellable
	}
	if err != nil {
		return domain.Booking{}, s.fault("cancel persons", err)
	}
	return s.Booking(ctx, id)
}

// positionsRef names a cancellation of persons by their positions, in
// order: each person is cancelled once, so no two cancellations of one
// booking share it.
func positionsRef(positions []int) string {
	ps := slices.Sorted(slices.Values(positions))
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = strconv.Itoa(p)
	}
	return strings.Join(parts, ",")
}

// BookingByNumber reads the booking of a booking number.
func (s *Store) BookingByNumber(ctx context.Context, number string) (domain.Booking, error) {
	var r bookingRow
	if err := s.db.WithContext(ctx).Where("booking_number = ?", number).Take(&r).Error; err != nil {
		return domain.Booking{}, s.fault("read booking by number", err)
	}
	return s.complete(ctx, r)
}
