package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"slotgate/domain"
)

type admissionRow struct {
	ID         int64
	BookingID  int64
	VenueID    int64
	VisitDate  string
	PartySize  int
	Gate       string
	UserID     int64
	Source     string
	ScannerID  sql.NullString
	AdmittedAt time.Time
	Positions  string
}

func (admissionRow) TableName() string { return "admissions" }

func (r admissionRow) admission() domain.Admission {
	d, _ := domain.ParseDate(r.VisitDate)
	return domain.Admission{ID: r.ID, BookingID: r.BookingID, VenueID: r.VenueID, Date: d, PartySize: r.PartySize,
		Gate: r.Gate, UserID: r.UserID, Source: domain.AdmissionSource(r.Source), ScannerID: r.ScannerID.String, At: r.AdmittedAt,
		Positions: parsePositions(r.Positions)}
}

type attemptRow struct {
	ID        int64
	VenueID   int64
	BookingID sql.NullInt64
	Gate      string
	UserID    int64
	Result    string
	RequestID sql.NullString
	ScannerID sql.NullString
	Nonce     sql.NullString
	Offline   bool
	At        time.Time
}

func (attemptRow) TableName() string { return "admission_attempts" }

func attemptRowOf(a domain.Attempt) attemptRow {
	null := func(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
	return attemptRow{VenueID: a.VenueID, BookingID: sql.NullInt64{Int64: a.BookingID, Valid: a.BookingID != 0},
		Gate: a.Gate, UserID: a.UserID, Result: a.Result, RequestID: null(a.RequestID), ScannerID: null(a.ScannerID),
		Nonce: null(a.Nonce), Offline: a.Offline, At: a.At.UTC()}
}

func (r attemptRow) attempt() domain.Attempt {
	return domain.Attempt{VenueID: r.VenueID, BookingID: r.BookingID.Int64, Gate: r.Gate, UserID: r.UserID, Result: r.Result,
		RequestID: r.RequestID.String, ScannerID: r.ScannerID.String, Nonce: r.Nonce.String, Offline: r.Offline, At: r.At}
}

type exitRow struct {
	ID        int64
	VenueID   int64
	VisitDate string
	Gate      string
	People    int
	UserID    int64
	RequestID sql.NullString
	At        time.Time
}

func (exitRow) TableName() string { return "exits" }

// AdmitBooking admits the persons of a booking named by a.Positions (all
// still confirmed when none are named), each with a conditional update of
// the person's row, so that of two gates admitting one person exactly one
// does. The booking row is locked first: admissions of one booking follow
// one another, and the last of them marks the booking admitted. The
// admission (naming who came in now) and the attempt are written in the
// same transaction. With no one admitted it returns the booking's status as
// an error: ErrAlreadyAdmitted, ErrCancelledBooking or ErrNotAdmissible.
func (s *Store) AdmitBooking(ctx context.Context, a domain.Admission, attempt domain.Attempt) (domain.Admission, error) {
	at := a.At.UTC()
	var row admissionRow
	var status string
	errNoOne := errors.New("no one to admit")
	err := s.transact(ctx, func(tx *gorm.DB) error {
		var b bookingRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Select("id", "status").Where("id = ?", a.BookingID).Take(&b).Error; err != nil {
			return err
		}
		status = b.Status
		if b.Status != string(domain.BookingConfirmed) {
			return errNoOne
		}
		q := tx.Model(&visitorRow{}).Where("booking_id = ? AND status = ?", a.BookingID, string(domain.BookingConfirmed))
		if a.Positions != nil {
			q = q.Where("position IN ?", a.Positions)
		}
		var positions []int
		if err := q.Order("position").Pluck("position", &positions).Error; err != nil {
			return err
		}
		var admitted []int
		for _, p := range positions {
			res := tx.Exec(`UPDATE booking_visitors SET status = ?, admitted_at = ? WHERE booking_id = ? AND position = ? AND status = ?`,
				string(domain.BookingAdmitted), at, a.BookingID, p, string(domain.BookingConfirmed))
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 1 {
				admitted = append(admitted, p)
			}
		}
		if len(admitted) == 0 {
			status = string(domain.BookingAdmitted)
			return errNoOne
		}
		var left int64
		if err := tx.Model(&visitorRow{}).Where("booking_id = ? AND status = ?", a.BookingID, string(domain.BookingConfirmed)).
			Count(&left).Error; err != nil {
			return err
		}
		if left == 0 {
			// Everyone is in: the booking is admitted.
			if err := tx.Model(&bookingRow{}).Where("id = ?", a.BookingID).
				Updates(map[string]any{"status": string(domain.BookingAdmitted), "updated_at": at}).Error; err != nil {
				return err
			}
		}
		row = admissionRow{BookingID: a.BookingID, VenueID: a.VenueID, VisitDate: a.Date.String(), PartySize: len(admitted),
			Positions: formatPositions(admitted), Gate: a.Gate, UserID: a.UserID, Source: string(a.Source), AdmittedAt: at,
			ScannerID: sql.NullString{String: a.ScannerID, Valid: a.ScannerID != ""}}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		ar := attemptRowOf(attempt)
		return tx.Create(&ar).Error
	})
	if errors.Is(err, errNoOne) {
		switch domain.BookingStatus(status) {
		case domain.BookingAdmitted, domain.BookingConfirmed:
			return domain.Admission{}, domain.ErrAlreadyAdmitted
		case domain.BookingCancelled:
			return domain.Admission{}, domain.ErrCancelledBooking
		}
		return domain.Admission{}, domain.ErrNotAdmissible
	}
	if err != nil {
		return domain.Admission{}, s.fault("admit booking", err)
	}
	return row.admission(), nil
}

func formatPositions(ps []int) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = strconv.Itoa(p)
	}
	return strings.Join(parts, ",")
}

func parsePositions(s string) []int {
	var out []int
	for _, part := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(part); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// AdmissionOf finds the first admission of a booking.
func (s *Store) AdmissionOf(ctx context.Context, bookingID int64) (domain.Admission, error) {
	var r admissionRow
	if err := s.db.WithContext(ctx).Where("booking_id = ?", bookingID).Order("id").Take(&r).Error; err != nil {
		return domain.Admission{}, s.fault("read admission", err)
	}
	return r.admission(), nil
}

// AdmissionsOf lists the admissions of a booking, first first.
func (s *Store) AdmissionsOf(ctx context.Context, bookingID int64) ([]domain.Admission, error) {
	var rows []admissionRow
	if err := s.db.WithContext(ctx).Where("booking_id = ?", bookingID).Order("id").Find(&rows).Error; err != nil {
		return nil, s.fault("read admissions", err)
	}
	out := make([]domain.Admission, len(rows))
	for i, r := range rows {
		out[i] = r.admission()
	}
	return out, nil
}

// PersonOn finds the person not cancelled whose ID hash is one of hashes
// in a booking of the venue's day d.
func (s *Store) PersonOn(ctx context.Context, venueID int64, d domain.Date, hashes []string) (int64, int, error) {
	var r visitorRow
	if err := s.db.WithContext(ctx).Select("booking_id", "position").
		Where("venue_id = ? AND visit_date = ? AND live = 1 AND id_hash IN ?", venueID, d.String(), hashes).
		Order("id").Take(&r).Error; err != nil {
		return 0, 0, s.fault("find person by ID", err)
	}
	return r.BookingID, r.Position, nil
}

// RecordAttempt keeps a refused attempt; a repeat is ignored.
func (s *Store) RecordAttempt(ctx context.Context, a domain.Attempt) error {
	row := attemptRowOf(a)
	err := s.db.WithContext(ctx).Create(&row).Error
	if isViolationOf(err, idxAttemptsRequest, idxAttemptsScan) {
		return nil
	}
	return s.faultOrNil("record attempt", err)
}

// AttemptByRequest finds a user's attempt by its request id.
func (s *Store) AttemptByRequest(ctx context.Context, userID int64, requestID string) (domain.Attempt, error) {
	var r attemptRow
	if err := s.db.WithContext(ctx).Where("user_id = ? AND request_id = ?", userID, requestID).Take(&r).Error; err != nil {
		return domain.Attempt{}, s.fault("read attempt", err)
	}
	return r.attempt(), nil
}

// AttemptByNonce finds an offline scanner's attempt by its nonce.
func (s *Store) AttemptByNonce(ctx context.Context, scannerID, nonce string) (domain.Attempt, error) {
	var r attemptRow
	if err := s.db.WithContext(ctx).Where("scanner_id = ? AND nonce = ?", scannerID, nonce).Take(&r).Error; err != nil {
		return domain.Attempt{}, s.fault("read attempt", err)
	}
	return r.attempt(), nil
}

// AddExit records an exit; false when the request was recorded before.
func (s *Store) AddExit(ctx context.Context, e domain.Exit) (bool, error) {
	row := exitRow{VenueID: e.VenueID, VisitDate: e.Date.String(), Gate: e.Gate, People: e.People, UserID: e.UserID,
		RequestID: sql.NullString{String: e.RequestID, Valid: e.RequestID != ""}, At: e.At.UTC()}
	err := s.db.WithContext(ctx).Create(&row).Error
	if isViolationOf(err, idxExitsRequest) {
		return false, nil
	}
	if err != nil {
		return false, s.fault("record exit", err)
	}
	return true, nil
}

// Inside counts admitted people less exits for a venue's day.
func (s *Store) Inside(ctx context.Context, venueID int64, d domain.Date) (int, error) {
	var in, out int
	db := s.db.WithContext(ctx)
	if err := db.Model(&admissionRow{}).Where("venue_id = ? AND visit_date = ?", venueID, d.String()).
		Select("COALESCE(SUM(party_size), 0)").Scan(&in).Error; err != nil {
		return 0, s.fault("count admissions", err)
	}
	if err := db.Model(&exitRow{}).Where("venue_id = ? AND visit_date = ?", venueID, d.String()).
		Select("COALESCE(SUM(people), 0)").Scan(&out).Error; err != nil {
		return 0, s.fault("count exits", err)
	}
	return max(in-out, 0), nil
}

// CancelledSince lists a venue's bookings for day d and later cancelled after t.
func (s *Store) CancelledSince(ctx context.Context, venueID int64, d domain.Date, t time.Time) ([]domain.Booking, error) {
	var rows []bookingRow
	if err := s.db.WithContext(ctx).Where("venue_id = ? AND visit_date >= ? AND status = ? AND cancelled_at > ?",
		venueID, d.String(), string(domain.BookingCancelled), t.UTC()).Order("cancelled_at").Limit(10000).Find(&rows).Error; err != nil {
		return nil, s.fault("list cancelled bookings", err)
	}
	return s.bookingsOf(ctx, rows, nil)
}
