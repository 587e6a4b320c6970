package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"slotgate/domain"
)

type auditRow struct {
	ID         int64
	At         int64 // Unix milliseconds
	UserID     sql.NullInt64
	Username   string
	Kind       string
	VenueID    sql.NullInt64
	Subject    string
	Reason     string
	BeforeJSON sql.NullString `gorm:"column:before_json"`
	AfterJSON  sql.NullString `gorm:"column:after_json"`
}

func (auditRow) TableName() string { return "audit_log" }

func auditRowOf(e domain.AuditEntry) auditRow {
	js := func(v any) sql.NullString {
		if v == nil {
			return sql.NullString{}
		}
		b, err := json.Marshal(v)
		if err != nil {
			return sql.NullString{}
		}
		return sql.NullString{String: string(b), Valid: true}
	}
	return auditRow{At: e.At.UnixMilli(), UserID: sql.NullInt64{Int64: e.UserID, Valid: e.UserID != 0},
		Username: e.Username, Kind: string(e.Kind), VenueID: sql.NullInt64{Int64: e.VenueID, Valid: e.VenueID != 0},
		Subject: e.Subject, Reason: e.Reason, BeforeJSON: js(e.Before), AfterJSON: js(e.After)}
}

func (r auditRow) entry() domain.AuditEntry {
	raw := func(s sql.NullString) any {
		if !s.Valid {
			return nil
		}
		return json.RawMessage(s.String)
	}
	return domain.AuditEntry{ID: r.ID, At: time.UnixMilli(r.At).UTC(), UserID: r.UserID.Int64, Username: r.Username,
		Kind: domain.AuditKind(r.Kind), VenueID: r.VenueID.Int64, Subject: r.Subject, Reason: r.Reason,
		Before: raw(r.BeforeJSON), After: raw(r.AfterJSON)}
}

type closureRow struct {
	ID                int64
	VenueID           int64
	VisitDate         string
	SlotID            sql.NullInt64
	Reason            string
	UserID            int64
	BookingsCancelled int
	CreatedAt         time.Time
}

func (closureRow) TableName() string { return "closures" }

// ClosureReason reads the reason of the latest closure of a day (slotID 0:
// whole-day closures only) or of that day or one of its slots.
func (s *Store) ClosureReason(ctx context.Context, venueID int64, d domain.Date, slotID int64) (string, error) {
	q := s.db.WithContext(ctx).Where("venue_id = ? AND visit_date = ?", venueID, d.String())
	if slotID == 0 {
		q = q.Where("slot_id IS NULL")
	} else {
		q = q.Where("slot_id IS NULL OR slot_id = ?", slotID)
	}
	var r closureRow
	if err := q.Order("id DESC").Limit(1).Find(&r).Error; err != nil {
		return "", s.fault("read closure", err)
	}
	return r.Reason, nil
}

type outboxRow struct {
	ID        int64
	Kind      string
	BookingID int64
	Phone     string
	// Ref tells apart the messages of one kind to one booking (see
	// migration 0022); "" for the kinds that happen once.
	Ref           string
	Payload       string
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt int64
	ClaimedUntil  int64
	SentAt        sql.NullTime
	LastError     string
}

func (outboxRow) TableName() string { return "outbox" }

// AddAudit writes one audit entry.
func (s *Store) AddAudit(ctx context.Context, e domain.AuditEntry) error {
	row := auditRowOf(e)
	return s.faultOrNil("write audit entry", s.db.WithContext(ctx).Create(&row).Error)
}

// Audit reads entries, newest first, with the total that match.
func (s *Store) Audit(ctx context.Context, f domain.AuditFilter) ([]domain.AuditEntry, int, error) {
	q := s.db.WithContext(ctx).Model(&auditRow{})
	if f.VenueID != 0 {
		q = q.Where("venue_id = ?", f.VenueID)
	}
	if f.Username != "" {
		q = q.Where("username = ?", f.Username)
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", string(f.Kind))
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To.UnixMilli())
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, s.fault("count audit entries", err)
	}
	var rows []auditRow
	if err := q.Order("at DESC, id DESC").Limit(f.Limit).Offset(f.Offset).Find(&rows).Error; err != nil {
		return nil, 0, s.fault("read audit entries", err)
	}
	out := make([]domain.AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = r.entry()
	}
	return out, int(total), nil
}

func writeAudit(tx *gorm.DB, e domain.AuditEntry) error {
	row := auditRowOf(e)
	return tx.Create(&row).Error
}

// AddVenue creates a venue; a taken slug is a conflict.
func (s *Store) AddVenue(ctx context.Context, v domain.Venue, e domain.AuditEntry) (domain.Venue, error) {
	row := venueRowOf(v)
	row.ID = 0
	err := s.transact(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		e.VenueID = row.ID
		return writeAudit(tx, e)
	})
	if isViolationOf(err, idxVenuesSlug) {
		return domain.Venue{}, &domain.Error{Code: domain.CodeConflict, Detail: "slug taken"}
	}
	if err != nil {
		return domain.Venue{}, s.fault("add venue", err)
	}
	return row.venue(), nil
}

// UpdateVenue rewrites a venue's settings.
func (s *Store) UpdateVenue(ctx context.Context, v domain.Venue, e domain.AuditEntry) error {
	row := venueRowOf(v)
	err := s.transact(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&venueRow{}).Where("id = ?", v.ID).Select("*").Omit("id", "slug", "created_at").Updates(&row)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound
		}
		return writeAudit(tx, e)
	})
	return s.faultOrNil("update venue", err)
}

// SetQuota sets a slot's quota under its row lock, with its audit entry.
func (s *Store) SetQuota(ctx context.Context, c domain.QuotaChange, e domain.AuditEntry) (domain.Slot, domain.Slot, error) {
	var before, after slotRow
	err := s.transact(ctx, func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", c.SlotID).Take(&before).Error; err != nil {
			return err
		}
		after = before
		after.Quota = c.Quota
		after.ManualQuota = before.ManualQuota || c.Manual
		switch {
		case before.Status == string(domain.SlotClosed):
			// A closed slot keeps its state; only its number changes.
		case c.Quota < before.Booked && !c.Freeze:
			return &domain.Error{Code: domain.CodeBelowBooked, Booked: before.Booked,
				Detail: "quota below the places booked"}
		case c.Quota < before.Booked:
			after.Status, after.Flagged = string(domain.SlotFrozen), true
		default:
			after.Status, after.Flagged = string(domain.SlotOpen), false
		}
		if err := tx.Model(&slotRow{}).Where("id = ?", c.SlotID).Updates(map[string]any{
			"quota": after.Quota, "status": after.Status, "flagged": after.Flagged, "manual_quota": after.ManualQuota,
		}).Error; err != nil {
			return err
		}
		e.Before = map[string]any{"quota": before.Quota, "booked": before.Booked, "status": before.Status}
		e.After = map[string]any{"quota": after.Quota, "booked": after.Booked, "status": after.Status, "flagged": after.Flagged}
		return writeAudit(tx, e)
	})
	if err != nil {
		return domain.Slot{}, domain.Slot{}, s.fault("set quota", err)
	}
	return before.slot(), after.slot(), nil
}

// CloseSlots closes a day or a slot, cancels its confirmed bookings, gives
// their places back, queues a notification for each, and records the
// closure and its audit entry, in one transaction.
func (s *Store) CloseSlots(ctx context.Context, c domain.Closure, e domain.AuditEntry, notice func(domain.Booking) domain.NotificationText) (domain.ClosureResult, error) {
	var res domain.ClosureResult
	at := c.At.UTC()
	err := s.transact(ctx, func(tx *gorm.DB) error {
		res = domain.ClosureResult{}
		q := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("venue_id = ? AND visit_date = ?", c.VenueID, c.Date.String())
		if c.SlotID != 0 {
			q = q.Where("id = ?", c.SlotID)
		}
		var slots []slotRow
		if err := q.Order("starts_at").Find(&slots).Error; err != nil {
			return err
		}
		if len(slots) == 0 {
			return gorm.ErrRecordNotFound
		}
		ids := make([]int64, len(slots))
		bySlot := map[int64]domain.Slot{}
		for i, sl := range slots {
			ids[i] = sl.ID
			sl.Status = string(domain.SlotClosed)
			bySlot[sl.ID] = sl.slot()
		}
		if err := tx.Model(&slotRow{}).Where("id IN ?", ids).Update("status", string(domain.SlotClosed)).Error; err != nil {
			return err
		}
		var bookings []bookingRow
		if err := tx.Where("slot_id IN ? AND status = ?", ids, string(domain.BookingConfirmed)).Order("id").Find(&bookings).Error; err != nil {
			return err
		}
		freed := map[int64]int{}
		for _, b := range bookings {
			if err := tx.Model(&bookingRow{}).Where("id = ?", b.ID).Updates(map[string]any{
				"status": string(domain.BookingCancelled), "cancelled_at": at, "updated_at": at}).Error; err != nil {
				return err
			}
			if err := cancelPersons(tx, b.ID, at); err != nil {
				return err
			}
			freed[b.SlotID] += b.PartySize
			b.Status, b.CancelledAt = string(domain.BookingCancelled), sql.NullTime{Time: at, Valid: true}
			booking := b.booking(bySlot[b.SlotID], nil)
			payload, _ := json.Marshal(notice(booking))
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&outboxRow{Kind: "closure", BookingID: b.ID,
				Phone: b.Phone, Payload: string(payload), CreatedAt: at, NextAttemptAt: at.Unix()}).Error; err != nil {
				return err
			}
			res.Cancelled = append(res.Cancelled, booking)
		}
		for id, n := range freed {
			if err := tx.Exec(`UPDATE slots SET booked = booked - ? WHERE id = ?`, n, id).Error; err != nil {
				return err
			}
			sl := bySlot[id]
			sl.Booked -= n
			bySlot[id] = sl
		}
		for _, id := range ids {
			res.Slots = append(res.Slots, bySlot[id])
		}
		closure := closureRow{VenueID: c.VenueID, VisitDate: c.Date.String(), Reason: c.Reason, UserID: c.UserID,
			BookingsCancelled: len(bookings), CreatedAt: at, SlotID: sql.NullInt64{Int64: c.SlotID, Valid: c.SlotID != 0}}
		if err := tx.Create(&closure).Error; err != nil {
			return err
		}
		e.After = map[string]any{"slots_closed": len(ids), "bookings_cancelled": len(bookings)}
		return writeAudit(tx, e)
	})
	if err != nil {
		return domain.ClosureResult{}, s.fault("close slots", err)
	}
	return res, nil
}

// OpenSlots opens again the closed slots of a venue's day that start after
// at, under their row locks: their counts stand as the store holds them
// (the bookings a closure cancelled stay cancelled), and a slot holding
// more than its quota sells nothing more, as SetQuota decides. The audit
// entry is written with them, in one transaction.
func (s *Store) OpenSlots(ctx context.Context, venueID int64, d domain.Date, at time.Time, e domain.AuditEntry) ([]domain.Slot, error) {
	var opened []domain.Slot
	err := s.transact(ctx, func(tx *gorm.DB) error {
		opened = nil
		var slots []slotRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("venue_id = ? AND visit_date = ? AND status = ? AND starts_at > ?",
			venueID, d.String(), string(domain.SlotClosed), at.Unix()).Order("starts_at").Find(&slots).Error; err != nil {
			return err
		}
		if len(slots) == 0 {
			return nil
		}
		for _, sl := range slots {
			sl.Status, sl.Flagged = string(domain.SlotOpen), false
			if sl.Quota < sl.Booked {
				sl.Status, sl.Flagged = string(domain.SlotFrozen), true
			}
			if err := tx.Model(&slotRow{}).Where("id = ?", sl.ID).Updates(map[string]any{
				"status": sl.Status, "flagged": sl.Flagged}).Error; err != nil {
				return err
			}
			opened = append(opened, sl.slot())
		}
		e.After = map[string]any{"slots_opened": len(slots)}
		return writeAudit(tx, e)
	})
	if err != nil {
		return nil, s.fault("open slots", err)
	}
	return opened, nil
}

// RemoveEmptySlots deletes the slots that hold no booking (of any status)
// and returns those it kept.
func (s *Store) RemoveEmptySlots(ctx context.Context, ids []int64) ([]domain.Slot, error) {
	var kept []domain.Slot
	err := s.transact(ctx, func(tx *gorm.DB) error {
		kept = nil
		for _, id := range ids {
			res := tx.Exec(`DELETE FROM slots WHERE id = ? AND booked = 0 AND NOT EXISTS (SELECT 1 FROM bookings WHERE slot_id = ?)`, id, id)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				var r slotRow
				if err := tx.Where("id = ?", id).Take(&r).Error; err == nil {
					kept = append(kept, r.slot())
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.fault("remove slots", err)
	}
	return kept, nil
}

// Users lists every account with its venues.
func (s *Store) Users(ctx context.Context) ([]domain.User, error) {
	var rows []userRow
	if err := s.db.WithContext(ctx).Order("username").Find(&rows).Error; err != nil {
		return nil, s.fault("list users", err)
	}
	var links []userVenueRow
	if err := s.db.WithContext(ctx).Order("venue_id").Find(&links).Error; err != nil {
		return nil, s.fault("list user venues", err)
	}
	venues := map[int64][]int64{}
	for _, l := range links {
		venues[l.UserID] = append(venues[l.UserID], l.VenueID)
	}
	out := make([]domain.User, len(rows))
	for i, r := range rows {
		out[i] = r.user(venues[r.ID])
		out[i].PasswordHash = ""
	}
	return out, nil
}

// UpdateUser writes an account's role, state and venues.
func (s *Store) UpdateUser(ctx context.Context, u domain.User, e domain.AuditEntry) error {
	err := s.transact(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&userRow{}).Where("id = ?", u.ID).Updates(map[string]any{
			"role": string(u.Role), "disabled": u.Disabled, "updated_at": time.Now().UTC()}).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", u.ID).Delete(&userVenueRow{}).Error; err != nil {
			return err
		}
		for _, v := range u.VenueIDs {
			if err := tx.Create(&userVenueRow{UserID: u.ID, VenueID: v}).Error; err != nil {
				return err
			}
		}
		return writeAudit(tx, e)
	})
	return s.faultOrNil("update user", err)
}

// DayReport counts admitted people and no-shows per slot of a venue's day.
func (s *Store) DayReport(ctx context.Context, venueID int64, d domain.Date, now time.Time) ([]domain.SlotReport, error) {
	slots, err := s.SlotsOn(ctx, venueID, d)
	if err != nil {
		return nil, err
	}
	type count struct {
		SlotID int64
		Status string
		People int
	}
	var counts []count
	if err := s.db.WithContext(ctx).Model(&bookingRow{}).Select("slot_id, status, SUM(party_size) AS people").
		Where("venue_id = ? AND visit_date = ? AND status IN ?", venueID, d.String(),
			[]string{string(domain.BookingAdmitted), string(domain.BookingConfirmed), string(domain.BookingNoShow)}).
		Group("slot_id, status").Scan(&counts).Error; err != nil {
		return nil, s.fault("count day", err)
	}
	out := make([]domain.SlotReport, len(slots))
	index := map[int64]int{}
	for i, sl := range slots {
		out[i] = domain.SlotReport{Slot: sl}
		index[sl.ID] = i
	}
	for _, c := range counts {
		i, ok := index[c.SlotID]
		if !ok {
			continue
		}
		switch domain.BookingStatus(c.Status) {
		case domain.BookingAdmitted:
			out[i].Admitted += c.People
		case domain.BookingNoShow:
			out[i].NoShows += c.People
		case domain.BookingConfirmed:
			if !now.Before(out[i].End) {
				out[i].NoShows += c.People
			}
		}
	}
	return out, nil
}

// BookingsOn lists a venue's live bookings of day d with their visitors.
func (s *Store) BookingsOn(ctx context.Context, venueID int64, d domain.Date) ([]domain.Booking, error) {
	var rows []bookingRow
	if err := s.db.WithContext(ctx).Where("venue_id = ? AND visit_date = ? AND status <> ?", venueID, d.String(),
		string(domain.BookingCancelled)).Order("slot_id, id").Find(&rows).Error; err != nil {
		return nil, s.fault("list bookings", err)
	}
	return s.withVisitors(ctx, rows)
}

// bookingsOf completes booking rows with their slots, each read once, and
// the visitors given (none for a booking absent from the map).
func (s *Store) bookingsOf(ctx context.Context, rows []bookingRow, visitors map[int64][]visitorRow) ([]domain.Booking, error) {
	slots := map[int64]domain.Slot{}
	out := make([]domain.Booking, len(rows))
	for i, r := range rows {
		sl, ok := slots[r.SlotID]
		if !ok {
			var err error
			if sl, err = s.Slot(ctx, r.SlotID); err != nil {
				return nil, err
			}
			slots[r.SlotID] = sl
		}
		out[i] = r.booking(sl, visitors[r.ID])
	}
	return out, nil
}

// AdmissionsPerMinute counts people admitted per minute since t.
func (s *Store) AdmissionsPerMinute(ctx context.Context, venueID int64, since time.Time) ([]domain.MinuteCount, error) {
	var rows []admissionRow
	if err := s.db.WithContext(ctx).Select("party_size", "admitted_at").
		Where("venue_id = ? AND admitted_at >= ?", venueID, since.UTC()).Find(&rows).Error; err != nil {
		return nil, s.fault("count admissions", err)
	}
	perMinute := map[int64]int{}
	for _, r := range rows {
		perMinute[r.AdmittedAt.Unix()/60] += r.PartySize
	}
	minutes := slices.Sorted(maps.Keys(perMinute))
	out := make([]domain.MinuteCount, len(minutes))
	for i, m := range minutes {
		out[i] = domain.MinuteCount{Minute: time.Unix(m*60, 0).UTC(), People: perMinute[m]}
	}
	return out, nil
}

// ClaimNotifications leases due notifications to the caller.
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]domain.Notification, error) {
	var rows []outboxRow
	db := s.db.WithContext(ctx)
	if err := db.Where("sent_at IS NULL AND next_attempt_at <= ? AND claimed_until <= ?", now.Unix(), now.Unix()).
		Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, s.fault("read outbox", err)
	}
	var out []domain.Notification
	for _, r := range rows {
		// The conditional update is the lease: of two instances, one wins.
		res := db.Model(&outboxRow{}).Where("id = ? AND sent_at IS NULL AND claimed_until <= ?", r.ID, now.Unix()).
			Update("claimed_until", now.Add(lease).Unix())
		if res.Error != nil {
			return out, s.fault("claim notification", res.Error)
		}
		if res.RowsAffected != 1 {
			continue
		}
		n := domain.Notification{ID: r.ID, Kind: r.Kind, BookingID: r.BookingID, Phone: r.Phone, Attempts: r.Attempts}
		_ = json.Unmarshal([]byte(r.Payload), &n.Text)
		out = append(out, n)
	}
	return out, nil
}

// NotificationSent marks a notification delivered.
func (s *Store) NotificationSent(ctx context.Context, id int64, at time.Time) error {
	err := s.db.WithContext(ctx).Model(&outboxRow{}).Where("id = ?", id).
		Updates(map[string]any{"sent_at": at.UTC(), "claimed_until": 0}).Error
	return s.faultOrNil("mark notification sent", err)
}

// NotificationFailed records a failed attempt and when to try again.
func (s *Store) NotificationFailed(ctx context.Context, id int64, next time.Time, reason string) error {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	err := s.db.WithContext(ctx).Model(&outboxRow{}).Where("id = ?", id).Updates(map[string]any{
		"attempts": gorm.Expr("attempts + 1"), "next_attempt_at": next.Unix(), "claimed_until": 0, "last_error": reason}).Error
	return s.faultOrNil("mark notification failed", err)
}

// OutboxBacklog counts notifications not yet delivered.
func (s *Store) OutboxBacklog(ctx context.Context) (int, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&outboxRow{}).Where("sent_at IS NULL").Count(&n).Error; err != nil {
		return 0, s.fault("count outbox", err)
	}
	return int(n), nil
}
