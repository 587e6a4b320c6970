package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"slotgate/domain"
)

// dayRow is a special day of the holiday calendar.
type dayRow struct {
	VenueID     int64  `gorm:"primaryKey"`
	VisitDate   string `gorm:"primaryKey"`
	IsOpen      bool
	OpenMinute  int
	CloseMinute int
	Reason      string
	UpdatedBy   int64
	UpdatedAt   time.Time
}

func (dayRow) TableName() string { return "venue_days" }

func (r dayRow) day(by string) domain.SpecialDay {
	d, _ := domain.ParseDate(r.VisitDate)
	sd := domain.SpecialDay{VenueID: r.VenueID, Date: d, Open: r.IsOpen, Reason: r.Reason, UpdatedBy: by, UpdatedAt: r.UpdatedAt}
	if r.IsOpen {
		sd.Hours = domain.Hours{Open: domain.Minute(r.OpenMinute), Close: domain.Minute(r.CloseMinute)}
	}
	return sd
}

// SetDay writes a special day, replacing the one of that date, with its
// audit entry.
func (s *Store) SetDay(ctx context.Context, d domain.SpecialDay, e domain.AuditEntry) error {
	row := dayRow{VenueID: d.VenueID, VisitDate: d.Date.String(), IsOpen: d.Open, OpenMinute: int(d.Hours.Open),
		CloseMinute: int(d.Hours.Close), Reason: d.Reason, UpdatedBy: e.UserID, UpdatedAt: d.UpdatedAt.UTC()}
	err := s.transact(ctx, func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&row).Error; err != nil {
			return err
		}
		return writeAudit(tx, e)
	})
	return s.faultOrNil("set special day", err)
}

// Days lists a venue's special days from from to to.
func (s *Store) Days(ctx context.Context, venueID int64, from, to domain.Date) ([]domain.SpecialDay, error) {
	var rows []dayRow
	if err := s.db.WithContext(ctx).Where("venue_id = ? AND visit_date >= ? AND visit_date <= ?", venueID, from.String(), to.String()).
		Order("visit_date").Find(&rows).Error; err != nil {
		return nil, s.fault("list special days", err)
	}
	names, err := s.usernames(ctx, rows)
	if err != nil {
		return nil, err
	}
	out := make([]domain.SpecialDay, len(rows))
	for i, r := range rows {
		out[i] = r.day(names[r.UpdatedBy])
	}
	return out, nil
}

func (s *Store) usernames(ctx context.Context, rows []dayRow) (map[int64]string, error) {
	ids := []int64{}
	for _, r := range rows {
		ids = append(ids, r.UpdatedBy)
	}
	names := map[int64]string{}
	if len(ids) == 0 {
		return names, nil
	}
	var us []struct {
		ID       int64
		Username string
	}
	if err := s.db.WithContext(ctx).Table("users").Select("id", "username").Where("id IN ?", ids).Scan(&us).Error; err != nil {
		return nil, s.fault("read usernames", err)
	}
	for _, u := range us {
		names[u.ID] = u.Username
	}
	return names, nil
}

// withDays fills each venue's special days from one read of the table.
func (s *Store) withDays(ctx context.Context, venues []domain.Venue) error {
	var rows []dayRow
	if err := s.db.WithContext(ctx).Order("visit_date").Find(&rows).Error; err != nil {
		return s.fault("read special days", err)
	}
	byVenue := map[int64]map[domain.Date]domain.SpecialDay{}
	for _, r := range rows {
		sd := r.day("")
		if byVenue[r.VenueID] == nil {
			byVenue[r.VenueID] = map[domain.Date]domain.SpecialDay{}
		}
		byVenue[r.VenueID][sd.Date] = sd
	}
	for i := range venues {
		venues[i].Days = byVenue[venues[i].ID]
	}
	return nil
}
