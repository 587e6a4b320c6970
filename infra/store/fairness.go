package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"slotgate/domain"
)

type noShowRow struct {
	ID        int64
	VenueID   int64
	IDHash    string `gorm:"column:id_hash"`
	BookingID int64
	VisitDate string
}

func (noShowRow) TableName() string { return "no_shows" }

type restrictionRow struct {
	ID        int64
	VenueID   int64
	IDHash    string `gorm:"column:id_hash"`
	IDMasked  string `gorm:"column:id_masked"`
	UntilDate string
	Strikes   int
	CreatedAt time.Time
	LiftedAt  sql.NullTime
	LiftedBy  sql.NullString
}

func (restrictionRow) TableName() string { return "restrictions" }

func (r restrictionRow) restriction() domain.Restriction {
	until, _ := domain.ParseDate(r.UntilDate)
	return domain.Restriction{ID: r.ID, VenueID: r.VenueID, IDHash: r.IDHash, IDMasked: r.IDMasked, Until: until, Strikes: r.Strikes,
		Lifted: r.LiftedAt.Valid, LiftedBy: r.LiftedBy.String}
}

type standbyRow struct {
	ID        int64
	Token     string
	SlotID    int64
	VenueID   int64
	VisitDate string
	PartySize int
	Phone     string
	Status    string
	BookingID sql.NullInt64
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (standbyRow) TableName() string { return "standby" }

type standbyVisitorRow struct {
	ID        int64
	StandbyID int64
	Position  int
	Name      string
	IDType    string `gorm:"column:id_type"`
	IDHash    string `gorm:"column:id_hash"`
	IDMasked  string `gorm:"column:id_masked"`
}

func (standbyVisitorRow) TableName() string { return "standby_visitors" }

func (r standbyRow) entry(slot domain.Slot, visitors []standbyVisitorRow) domain.StandbyEntry {
	e := domain.StandbyEntry{ID: r.ID, Token: r.Token, Slot: slot, VenueID: r.VenueID, PartySize: r.PartySize, Phone: r.Phone,
		Status: domain.StandbyStatus(r.Status), BookingID: r.BookingID.Int64, CreatedAt: r.CreatedAt}
	for _, v := range visitors {
		e.Visitors = append(e.Visitors, domain.Visitor{Name: v.Name, IDType: domain.IDType(v.IDType), IDHash: v.IDHash, IDMasked: v.IDMasked,
			Origin: domain.OriginOf(domain.IDType(v.IDType), v.IDMasked)})
	}
	return e
}

// MarkNoShows marks up to limit of the venue's confirmed bookings whose
// slot ended before t, records strikes and restrictions.
func (s *Store) MarkNoShows(ctx context.Context, v domain.Venue, endedBefore time.Time, today domain.Date, limit int) (int, error) {
	var ids []int64
	if err := s.db.WithContext(ctx).Table("bookings").Select("bookings.id").
		Joins("JOIN slots ON slots.id = bookings.slot_id").
		Where("bookings.venue_id = ? AND bookings.status = ? AND slots.ends_at <= ?", v.ID, string(domain.BookingConfirmed), endedBefore.Unix()).
		Order("bookings.id").Limit(limit).Pluck("bookings.id", &ids).Error; err != nil {
		return 0, s.fault("find no-shows", err)
	}
	marked := 0
	windowStart := today.AddDays(-v.NoShowWindowDays).String()
	until := today.AddDays(v.RestrictionDays).String()
	for _, id := range ids {
		// Counted once committed: the transaction may run again after a
		// deadlock, or roll back after marking.
		mine := false
		err := s.transact(ctx, func(tx *gorm.DB) error {
			mine = false
			// The persons still outside are the no-shows; a party of
			// which someone came is admitted, not missed.
			var visitors []visitorRow
			if err := tx.Where("booking_id = ? AND status = ?", id, string(domain.BookingConfirmed)).Find(&visitors).Error; err != nil {
				return err
			}
			var came int64
			if err := tx.Model(&visitorRow{}).Where("booking_id = ? AND status = ?", id, string(domain.BookingAdmitted)).
				Count(&came).Error; err != nil {
				return err
			}
			status := domain.BookingNoShow
			if came > 0 {
				status = domain.BookingAdmitted
			}
			res := tx.Model(&bookingRow{}).Where("id = ? AND status = ?", id, string(domain.BookingConfirmed)).
				Updates(map[string]any{"status": string(status), "updated_at": time.Now().UTC()})
			if res.Error != nil || res.RowsAffected != 1 {
				return res.Error // another instance marked it
			}
			if err := tx.Exec(`UPDATE booking_visitors SET status = ? WHERE booking_id = ? AND status = ?`,
				string(domain.BookingNoShow), id, string(domain.BookingConfirmed)).Error; err != nil {
				return err
			}
			mine = true
			var b bookingRow
			if err := tx.Select("visit_date").Where("id = ?", id).Take(&b).Error; err != nil {
				return err
			}
			for _, vi := range visitors {
				if vi.IDHash == "" {
					continue
				}
				if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&noShowRow{VenueID: v.ID, IDHash: vi.IDHash,
					BookingID: id, VisitDate: b.VisitDate}).Error; err != nil {
					return err
				}
				var strikes int64
				if err := tx.Model(&noShowRow{}).Where("venue_id = ? AND id_hash = ? AND visit_date >= ?", v.ID, vi.IDHash, windowStart).
					Count(&strikes).Error; err != nil {
					return err
				}
				if int(strikes) < v.NoShowStrikes {
					continue
				}
				var active int64
				if err := tx.Model(&restrictionRow{}).Where("venue_id = ? AND id_hash = ? AND until_date > ? AND lifted_at IS NULL",
					v.ID, vi.IDHash, today.String()).Count(&active).Error; err != nil {
					return err
				}
				if active > 0 {
					continue
				}
				if err := tx.Create(&restrictionRow{VenueID: v.ID, IDHash: vi.IDHash, IDMasked: vi.IDMasked, UntilDate: until,
					Strikes: int(strikes), CreatedAt: time.Now().UTC()}).Error; err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return marked, s.fault("mark no-show", err)
		}
		if mine {
			marked++
		}
	}
	return marked, nil
}

// ReleaseHeldBack opens held-back places whose time has come, each slot
// once: of instances racing, only the one whose update changed the row
// reports it.
func (s *Store) ReleaseHeldBack(ctx context.Context, now time.Time) ([]domain.Released, error) {
	var rows []slotRow
	db := s.db.WithContext(ctx)
	if err := db.Where("held_back > 0 AND held_back_release_at > 0 AND held_back_release_at <= ?", now.Unix()).
		Order("id").Limit(1000).Find(&rows).Error; err != nil {
		return nil, s.fault("find held-back places", err)
	}
	var out []domain.Released
	for _, r := range rows {
		res := db.Model(&slotRow{}).Where("id = ? AND held_back = ?", r.ID, r.HeldBack).
			Updates(map[string]any{"held_back": 0, "held_back_release_at": 0})
		if res.Error != nil {
			return out, s.fault("release held-back places", res.Error)
		}
		if res.RowsAffected == 1 {
			places := r.HeldBack
			r.HeldBack, r.HeldBackReleaseAt = 0, 0
			out = append(out, domain.Released{Slot: r.slot(), Places: places})
		}
	}
	return out, nil
}

// Erase removes personal data of the venue's past days.
func (s *Store) Erase(ctx context.Context, venueID int64, namesBefore, hashesBefore domain.Date) (int, error) {
	var erased int
	err := s.transact(ctx, func(tx *gorm.DB) error {
		old := tx.Model(&bookingRow{}).Select("id").Where("venue_id = ? AND visit_date < ? AND erased = 0", venueID, namesBefore.String())
		if err := tx.Model(&visitorRow{}).Where("booking_id IN (?)", old).
			Updates(map[string]any{"name": "", "id_masked": ""}).Error; err != nil {
			return err
		}
		if err := tx.Model(&outboxRow{}).Where("booking_id IN (?)", old).Update("phone", "").Error; err != nil {
			return err
		}
		res := tx.Model(&bookingRow{}).Where("venue_id = ? AND visit_date < ? AND erased = 0", venueID, namesBefore.String()).
			Updates(map[string]any{"phone": "", "erased": 1})
		if res.Error != nil {
			return res.Error
		}
		erased = int(res.RowsAffected)
		oldStandby := tx.Model(&standbyRow{}).Select("id").Where("venue_id = ? AND visit_date < ?", venueID, namesBefore.String())
		if err := tx.Model(&standbyVisitorRow{}).Where("standby_id IN (?) AND name <> ''", oldStandby).
			Updates(map[string]any{"name": "", "id_masked": ""}).Error; err != nil {
			return err
		}
		if err := tx.Model(&standbyRow{}).Where("venue_id = ? AND visit_date < ? AND phone <> ''", venueID, namesBefore.String()).
			Update("phone", "").Error; err != nil {
			return err
		}
		// The no-show rule no longer looks this far back: the hashes go too.
		h := hashesBefore.String()
		if err := tx.Model(&visitorRow{}).Where("venue_id = ? AND visit_date < ? AND id_hash <> ''", venueID, h).
			Updates(map[string]any{"id_hash": "", "live": nil}).Error; err != nil {
			return err
		}
		if err := tx.Model(&standbyVisitorRow{}).Where("standby_id IN (?) AND id_hash <> ''",
			tx.Model(&standbyRow{}).Select("id").Where("venue_id = ? AND visit_date < ?", venueID, h)).
			Update("id_hash", "").Error; err != nil {
			return err
		}
		if err := tx.Where("venue_id = ? AND visit_date < ?", venueID, h).Delete(&noShowRow{}).Error; err != nil {
			return err
		}
		return tx.Model(&restrictionRow{}).Where("venue_id = ? AND until_date < ? AND id_hash <> ''", venueID, h).
			Updates(map[string]any{"id_hash": "", "id_masked": ""}).Error
	})
	if err != nil {
		return 0, s.fault("erase personal data", err)
	}
	return erased, nil
}

// Restrictions lists a venue's restrictions in force on day today.
func (s *Store) Restrictions(ctx context.Context, venueID int64, today domain.Date) ([]domain.Restriction, error) {
	var rows []restrictionRow
	q := s.db.WithContext(ctx).Where("until_date > ? AND lifted_at IS NULL", today.String())
	if venueID != 0 {
		q = q.Where("venue_id = ?", venueID)
	}
	if err := q.Order("until_date").Find(&rows).Error; err != nil {
		return nil, s.fault("list restrictions", err)
	}
	out := make([]domain.Restriction, len(rows))
	for i, r := range rows {
		out[i] = r.restriction()
	}
	return out, nil
}

// LiftRestriction ends a restriction, with its audit entry.
func (s *Store) LiftRestriction(ctx context.Context, id int64, by string, at time.Time, e domain.AuditEntry) (domain.Restriction, error) {
	var r restrictionRow
	err := s.transact(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", id).Take(&r).Error; err != nil {
			return err
		}
		if r.LiftedAt.Valid {
			return nil
		}
		r.LiftedAt, r.LiftedBy = sql.NullTime{Time: at.UTC(), Valid: true}, sql.NullString{String: by, Valid: true}
		if err := tx.Model(&restrictionRow{}).Where("id = ?", id).
			Updates(map[string]any{"lifted_at": r.LiftedAt, "lifted_by": r.LiftedBy}).Error; err != nil {
			return err
		}
		e.VenueID = r.VenueID
		e.Before = map[string]any{"until": r.UntilDate, "id_masked": r.IDMasked}
		e.After = map[string]any{"lifted": true}
		return writeAudit(tx, e)
	})
	if err != nil {
		return domain.Restriction{}, s.fault("lift restriction", err)
	}
	return r.restriction(), nil
}

// AddStandby puts a party on a slot's standby list.
func (s *Store) AddStandby(ctx context.Context, e domain.StandbyEntry, today domain.Date) (domain.StandbyEntry, error) {
	hashes := make([]string, len(e.Visitors))
	for i, v := range e.Visitors {
		hashes[i] = v.IDHash
	}
	at := e.CreatedAt.UTC()
	row := standbyRow{Token: e.Token, SlotID: e.Slot.ID, VenueID: e.VenueID, VisitDate: e.Slot.Date.String(), PartySize: e.PartySize,
		Phone: e.Phone, Status: string(domain.StandbyWaiting), CreatedAt: at, UpdatedAt: at}
	err := s.transact(ctx, func(tx *gorm.DB) error {
		if err := s.restricted(tx, domain.NewBooking{Slot: e.Slot, Visitors: e.Visitors, Today: today}); err != nil {
			return err
		}
		var booked int64
		if err := tx.Model(&visitorRow{}).Where("venue_id = ? AND visit_date = ? AND live = 1 AND id_hash IN ?",
			e.VenueID, e.Slot.Date.String(), hashes).Count(&booked).Error; err != nil {
			return err
		}
		if booked > 0 {
			return &domain.Error{Code: domain.CodeAlreadyBooked, Detail: "a visitor already holds a booking that day"}
		}
		var waiting int64
		if err := tx.Model(&standbyVisitorRow{}).Joins("JOIN standby ON standby.id = standby_visitors.standby_id").
			Where("standby.slot_id = ? AND standby.status = ? AND standby_visitors.id_hash IN ?", e.Slot.ID, string(domain.StandbyWaiting), hashes).
			Count(&waiting).Error; err != nil {
			return err
		}
		if waiting > 0 {
			return &domain.Error{Code: domain.CodeConflict, Detail: "a visitor is already on this slot's standby list"}
		}
		row.ID = 0
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		for i, v := range e.Visitors {
			if err := tx.Create(&standbyVisitorRow{StandbyID: row.ID, Position: i, Name: v.Name, IDType: string(v.IDType),
				IDHash: v.IDHash, IDMasked: v.IDMasked}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return domain.StandbyEntry{}, s.fault("join standby", err)
	}
	e.ID = row.ID
	return e, nil
}

func (s *Store) standbyEntry(ctx context.Context, r standbyRow) (domain.StandbyEntry, error) {
	slot, err := s.Slot(ctx, r.SlotID)
	if err != nil {
		return domain.StandbyEntry{}, err
	}
	var vs []standbyVisitorRow
	if err := s.db.WithContext(ctx).Where("standby_id = ?", r.ID).Order("position").Find(&vs).Error; err != nil {
		return domain.StandbyEntry{}, s.fault("read standby visitors", err)
	}
	return r.entry(slot, vs), nil
}

// StandbyByToken finds an entry and its place in the queue.
func (s *Store) StandbyByToken(ctx context.Context, token string) (domain.StandbyEntry, int, error) {
	var r standbyRow
	if err := s.db.WithContext(ctx).Where("token = ?", token).Take(&r).Error; err != nil {
		return domain.StandbyEntry{}, 0, s.fault("read standby entry", err)
	}
	e, err := s.standbyEntry(ctx, r)
	if err != nil || r.Status != string(domain.StandbyWaiting) {
		return e, 0, err
	}
	var ahead int64
	if err := s.db.WithContext(ctx).Model(&standbyRow{}).Where("slot_id = ? AND status = ? AND id < ?", r.SlotID,
		string(domain.StandbyWaiting), r.ID).Count(&ahead).Error; err != nil {
		return e, 0, s.fault("count standby queue", err)
	}
	return e, int(ahead) + 1, nil
}

// WithdrawStandby takes a waiting entry off its list; a withdrawn entry is
// answered as it is, a booked one is a conflict (cancel the booking).
func (s *Store) WithdrawStandby(ctx context.Context, token string, at time.Time) (domain.StandbyEntry, error) {
	res := s.db.WithContext(ctx).Model(&standbyRow{}).Where("token = ? AND status = ?", token, string(domain.StandbyWaiting)).
		Updates(map[string]any{"status": string(domain.StandbyWithdrawn), "updated_at": at.UTC()})
	if res.Error != nil {
		return domain.StandbyEntry{}, s.fault("withdraw standby", res.Error)
	}
	e, _, err := s.StandbyByToken(ctx, token)
	if err != nil {
		return domain.StandbyEntry{}, err
	}
	if res.RowsAffected == 0 && e.Status == domain.StandbyBooked {
		return e, &domain.Error{Code: domain.CodeConflict, Detail: "already booked from the standby list: cancel the booking"}
	}
	return e, nil
}

// WaitingStandby lists a slot's waiting entries, earliest first.
func (s *Store) WaitingStandby(ctx context.Context, slotID int64) ([]domain.StandbyEntry, error) {
	var rows []standbyRow
	if err := s.db.WithContext(ctx).Where("slot_id = ? AND status = ?", slotID, string(domain.StandbyWaiting)).
		Order("id").Limit(500).Find(&rows).Error; err != nil {
		return nil, s.fault("list standby", err)
	}
	out := make([]domain.StandbyEntry, 0, len(rows))
	for _, r := range rows {
		e, err := s.standbyEntry(ctx, r)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// BookStandby books a waiting entry and queues its notification.
func (s *Store) BookStandby(ctx context.Context, e domain.StandbyEntry, nb domain.NewBooking, notice func(domain.Booking) domain.NotificationText) (domain.Booking, error) {
	var (
		row      bookingRow
		visitors []visitorRow
	)
	errTaken := errors.New("standby entry taken")
	err := s.withFreshNumber(&nb, func() error {
		return s.transact(ctx, func(tx *gorm.DB) error {
			var err error
			if row, visitors, err = s.insertBooking(tx, nb); err != nil {
				return err
			}
			res := tx.Model(&standbyRow{}).Where("id = ? AND status = ?", e.ID, string(domain.StandbyWaiting)).
				Updates(map[string]any{"status": string(domain.StandbyBooked), "booking_id": row.ID, "updated_at": row.CreatedAt})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return errTaken
			}
			payload, _ := json.Marshal(notice(row.booking(nb.Slot, visitors)))
			return tx.Create(&outboxRow{Kind: "standby_booked", BookingID: row.ID, Phone: row.Phone, Payload: string(payload),
				CreatedAt: row.CreatedAt, NextAttemptAt: row.CreatedAt.Unix()}).Error
		})
	})
	if errors.Is(err, errTaken) {
		return domain.Booking{}, domain.ErrConflict
	}
	if err != nil {
		return domain.Booking{}, s.bookingFault(ctx, nb, err)
	}
	return row.booking(nb.Slot, visitors), nil
}

// SetStandbyStatus moves a waiting entry to status.
func (s *Store) SetStandbyStatus(ctx context.Context, id int64, status domain.StandbyStatus) error {
	res := s.db.WithContext(ctx).Model(&standbyRow{}).Where("id = ? AND status = ?", id, string(domain.StandbyWaiting)).
		Updates(map[string]any{"status": string(status), "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return s.fault("set standby status", res.Error)
	}
	if res.RowsAffected == 0 {
		return domain.ErrConflict
	}
	return nil
}

// SlotsWithStandby lists slots with waiting entries.
func (s *Store) SlotsWithStandby(ctx context.Context) ([]int64, error) {
	var ids []int64
	if err := s.db.WithContext(ctx).Model(&standbyRow{}).Where("status = ?", string(domain.StandbyWaiting)).
		Distinct().Order("slot_id").Pluck("slot_id", &ids).Error; err != nil {
		return nil, s.fault("list standby slots", err)
	}
	return ids, nil
}
