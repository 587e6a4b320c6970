package store

import (
	"context"
	"sort"
	"strings"

	"gorm.io/gorm"

	"slotgate/domain"
)

// SearchBookings lists a venue's bookings of day d, every status, that
// match one of keys (all of the day when there is none).
func (s *Store) SearchBookings(ctx context.Context, venueID int64, d domain.Date, k domain.DeskKeys) ([]domain.Booking, error) {
	db := s.db.WithContext(ctx)
	q := db.Where("venue_id = ? AND visit_date = ?", venueID, d.String())
	if !k.Empty() {
		cond := db.Where("1 = 0")
		if k.Phone != "" {
			cond = cond.Or("phone = ?", k.Phone)
		}
		if k.Number != "" {
			cond = cond.Or("booking_number = ?", k.Number)
		}
		persons := db.Model(&visitorRow{}).Select("booking_id").Where("venue_id = ? AND visit_date = ?", venueID, d.String())
		match := db.Where("1 = 0")
		if k.Name != "" {
			match = match.Or("name LIKE ? ESCAPE '!'", "%"+likeEscape(k.Name)+"%")
		}
		if len(k.Hashes) > 0 {
			match = match.Or("id_hash IN ?", k.Hashes)
		}
		cond = cond.Or("id IN (?)", persons.Where(match))
		q = q.Where(cond)
	}
	var rows []bookingRow
	if err := q.Order("slot_id, id").Limit(500).Find(&rows).Error; err != nil {
		return nil, s.fault("search bookings", err)
	}
	return s.withVisitors(ctx, rows)
}

func likeEscape(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

// withVisitors completes booking rows with their slots and persons.
func (s *Store) withVisitors(ctx context.Context, rows []bookingRow) ([]domain.Booking, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var visitors []visitorRow
	if err := s.db.WithContext(ctx).Where("booking_id IN ?", ids).Order("booking_id, position").Find(&visitors).Error; err != nil {
		return nil, s.fault("list visitors", err)
	}
	byBooking := map[int64][]visitorRow{}
	for _, v := range visitors {
		byBooking[v.BookingID] = append(byBooking[v.BookingID], v)
	}
	return s.bookingsOf(ctx, rows, byBooking)
}

// walkInBookings selects the venue's bookings made at the gate.
func walkInBookings(db *gorm.DB, venueID int64) *gorm.DB {
	return db.Table("admissions").Select("booking_id").Where("venue_id = ? AND source = ?", venueID, string(domain.AdmittedWalkIn))
}

// DailyFigures counts persons per day of a venue, from their rows (kept,
// without names or hashes, when personal data is erased), and the quota
// from the slots. Days with neither slots nor persons are left out.
func (s *Store) DailyFigures(ctx context.Context, venueID int64, from, to domain.Date) ([]domain.DailyFigures, error) {
	db := s.db.WithContext(ctx)
	byDay := map[string]*domain.DailyFigures{}
	day := func(ds string) *domain.DailyFigures {
		if byDay[ds] == nil {
			d, _ := domain.ParseDate(ds)
			byDay[ds] = &domain.DailyFigures{VenueID: venueID, Date: d}
		}
		return byDay[ds]
	}
	var quotas []struct {
		VisitDate string
		Quota     int
	}
	if err := db.Model(&slotRow{}).Select("visit_date, SUM(quota) AS quota").
		Where("venue_id = ? AND visit_date >= ? AND visit_date <= ?", venueID, from.String(), to.String()).
		Group("visit_date").Scan(&quotas).Error; err != nil {
		return nil, s.fault("sum quotas", err)
	}
	for _, q := range quotas {
		day(q.VisitDate).Quota = q.Quota
	}
	var counts []struct {
		VisitDate string
		Status    string
		WalkIn    int
		People    int
	}
	if err := db.Model(&visitorRow{}).
		Select("visit_date, status, CASE WHEN booking_id IN (?) THEN 1 ELSE 0 END AS walk_in, COUNT(*) AS people", walkInBookings(db, venueID)).
		Where("venue_id = ? AND visit_date >= ? AND visit_date <= ?", venueID, from.String(), to.String()).
		Group("visit_date, status, walk_in").Scan(&counts).Error; err != nil {
		return nil, s.fault("count persons", err)
	}
	for _, c := range counts {
		f := day(c.VisitDate)
		switch domain.BookingStatus(c.Status) {
		case domain.BookingAdmitted:
			f.Admitted += c.People
		case domain.BookingNoShow:
			f.NoShow += c.People
		case domain.BookingCancelled:
			f.Cancelled += c.People
		}
		if c.WalkIn == 1 {
			f.WalkIns += c.People
		} else if domain.BookingStatus(c.Status) != domain.BookingCancelled {
			f.Booked += c.People
		}
	}
	out := make([]domain.DailyFigures, 0, len(byDay))
	for _, f := range byDay {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out, nil
}

// Origins counts a venue's persons by origin: admitted, and booked (not
// cancelled).
func (s *Store) Origins(ctx context.Context, venueID int64, from, to domain.Date) ([]domain.OriginCount, error) {
	var rows []struct {
		Origin   string
		Visitors int
		Booked   int
	}
	if err := s.db.WithContext(ctx).Model(&visitorRow{}).
		Select("origin, SUM(CASE WHEN status = ? THEN 1 ELSE 0 END) AS visitors, SUM(CASE WHEN status <> ? THEN 1 ELSE 0 END) AS booked",
			string(domain.BookingAdmitted), string(domain.BookingCancelled)).
		Where("venue_id = ? AND visit_date >= ? AND visit_date <= ?", venueID, from.String(), to.String()).
		Group("origin").Scan(&rows).Error; err != nil {
		return nil, s.fault("count origins", err)
	}
	out := make([]domain.OriginCount, len(rows))
	for i, r := range rows {
		out[i] = domain.OriginCount{Region: r.Origin, Visitors: r.Visitors, Booked: r.Booked}
	}
	return out, nil
}
