package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"slotgate/domain"
)

// AddSlots inserts the slots not yet present, keyed by venue and start. It
// reads what exists first, so that the usual run (everything there) writes
// nothing; the unique key settles races between instances.
func (s *Store) AddSlots(ctx context.Context, slots []domain.Slot) (int, error) {
	if len(slots) == 0 {
		return 0, nil
	}
	type key struct{ venue, start int64 }
	venues := map[int64]bool{}
	lo, hi := slots[0].Start.Unix(), slots[0].Start.Unix()
	for _, sl := range slots {
		venues[sl.VenueID] = true
		lo, hi = min(lo, sl.Start.Unix()), max(hi, sl.Start.Unix())
	}
	ids := make([]int64, 0, len(venues))
	for id := range venues {
		ids = append(ids, id)
	}
	var existing []slotRow
	db := s.db.WithContext(ctx)
	if err := db.Select("venue_id", "starts_at").
		Where("venue_id IN ? AND starts_at BETWEEN ? AND ?", ids, lo, hi).Find(&existing).Error; err != nil {
		return 0, s.fault("read slots", err)
	}
	have := make(map[key]bool, len(existing))
	for _, r := range existing {
		have[key{r.VenueID, r.StartsAt}] = true
	}
	var rows []slotRow
	for _, sl := range slots {
		if !have[key{sl.VenueID, sl.Start.Unix()}] {
			rows = append(rows, slotRowOf(sl))
		}
	}
	if len(rows) == 0 {
		return 0, nil
	}
	if s.dialect != SQLite {
		res := db.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(&rows, 200)
		if res.Error != nil {
			return 0, s.fault("add slots", res.Error)
		}
		return int(res.RowsAffected), nil
	}
	// SQLite would give the id of the newest removed slot to the next one:
	// ids go past the largest ever given (migration 0021 says why).
	var added int64
	err := s.transact(ctx, func(tx *gorm.DB) error {
		var last struct{ Mark, Max int64 }
		if err := tx.Raw(`SELECT COALESCE((SELECT last_id FROM id_marks WHERE name = 'slots'), 0) AS mark,
			COALESCE((SELECT MAX(id) FROM slots), 0) AS max`).Scan(&last).Error; err != nil {
			return err
		}
		next := max(last.Mark, last.Max)
		for i := range rows {
			next++
			rows[i].ID = next
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(&rows, 200)
		if res.Error != nil {
			return res.Error
		}
		added = res.RowsAffected
		return tx.Exec(`INSERT INTO id_marks (name, last_id) VALUES ('slots', ?)
			ON CONFLICT (name) DO UPDATE SET last_id = excluded.last_id`, next).Error
	})
	if err != nil {
		return 0, s.fault("add slots", err)
	}
	return int(added), nil
}

// Slot reads one slot.
func (s *Store) Slot(ctx context.Context, id int64) (domain.Slot, error) {
	var r slotRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return domain.Slot{}, s.fault("read slot", err)
	}
	return r.slot(), nil
}

// SlotsOn lists a venue's slots of day d by start.
func (s *Store) SlotsOn(ctx context.Context, venueID int64, d domain.Date) ([]domain.Slot, error) {
	var rows []slotRow
	if err := s.db.WithContext(ctx).Where("venue_id = ? AND visit_date = ?", venueID, d.String()).
		Order("starts_at").Find(&rows).Error; err != nil {
		return nil, s.fault("list slots", err)
	}
	out := make([]domain.Slot, len(rows))
	for i, r := range rows {
		out[i] = r.slot()
	}
	return out, nil
}

// SlotCounts reads the current counts of the given slots.
func (s *Store) SlotCounts(ctx context.Context, ids []int64) ([]domain.SlotCount, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []slotRow
	if err := s.db.WithContext(ctx).Select("id", "quota", "booked", "status", "ends_at", "held_back").
		Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, s.fault("count slots", err)
	}
	return counts(rows), nil
}

// SlotCountsEndingAfter reads the counts of every slot that ends after t.
func (s *Store) SlotCountsEndingAfter(ctx context.Context, t time.Time) ([]domain.SlotCount, error) {
	var rows []slotRow
	if err := s.db.WithContext(ctx).Select("id", "quota", "booked", "status", "ends_at", "held_back").
		Where("ends_at > ?", t.Unix()).Order("id").Find(&rows).Error; err != nil {
		return nil, s.fault("count slots", err)
	}
	return counts(rows), nil
}

func counts(rows []slotRow) []domain.SlotCount {
	out := make([]domain.SlotCount, len(rows))
	for i, r := range rows {
		out[i] = r.count()
	}
	return out
}
