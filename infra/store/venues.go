package store

import (
	"context"

	"gorm.io/gorm/clause"

	"slotgate/domain"
)

// Venues lists every venue, by id.
func (s *Store) Venues(ctx context.Context) ([]domain.Venue, error) {
	var rows []venueRow
	if err := s.db.WithContext(ctx).Order("id").Find(&rows).Error; err != nil {
		return nil, s.fault("list venues", err)
	}
	out := make([]domain.Venue, len(rows))
	for i, r := range rows {
		out[i] = r.venue()
	}
	if err := s.withDays(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// AddVenues inserts the venues whose slug is not yet taken.
func (s *Store) AddVenues(ctx context.Context, venues []domain.Venue) error {
	if len(venues) == 0 {
		return nil
	}
	rows := make([]venueRow, len(venues))
	for i, v := range venues {
		rows[i] = venueRowOf(v)
		rows[i].ID = 0
	}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&rows).Error
	return s.faultOrNil("add venues", err)
}

func (s *Store) faultOrNil(what string, err error) error {
	if err == nil {
		return nil
	}
	return s.fault(what, err)
}
