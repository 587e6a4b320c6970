package store

import (
	"database/sql"
	"strconv"
	"strings"
	"time"

	"slotgate/domain"
)

// Rows as the tables hold them; the domain never sees these.

type venueRow struct {
	ID                     int64
	Slug                   string
	NameZH                 string `gorm:"column:name_zh"`
	NameEN                 string `gorm:"column:name_en"`
	Kind                   string
	Timezone               string
	OpenMinute             int
	CloseMinute            int
	ClosedWeekdays         string
	SlotMinutes            int
	DefaultQuota           int
	BookingWindowDays      int
	MaxPartySize           int
	AdmissionMinutesBefore int
	InstantaneousCapacity  int
	GateFlowPerMinute      int
	GateBurst              int
	CreatedAt              time.Time
	UpdatedAt              time.Time

	ApprovedDailyCapacity         int
	ApprovedInstantaneousCapacity int
	PolicyRatioPct                int
	HeldBackPct                   int
	HeldBackRelease               string
	HoursByWeekday                string
	NoShowGraceMinutes            int
	NoShowStrikes                 int
	NoShowWindowDays              int
	RestrictionDays               int
	EraseAfterDays                int

	BookingClosesMinutesBeforeEnd int
	ReleaseTime                   string
	AddressZH                     string `gorm:"column:address_zh"`
	AddressEN                     string `gorm:"column:address_en"`
	ContactPhone                  string
	NoticeZH                      string `gorm:"column:notice_zh"`
	NoticeEN                      string `gorm:"column:notice_en"`
}

func (venueRow) TableName() string { return "venues" }

func (r venueRow) venue() domain.Venue {
	v := domain.Venue{
		ID: r.ID, Slug: r.Slug, NameZH: r.NameZH, NameEN: r.NameEN, Kind: r.Kind, Timezone: r.Timezone,
		Open: domain.Minute(r.OpenMinute), Close: domain.Minute(r.CloseMinute),
		SlotMinutes: r.SlotMinutes, DefaultQuota: r.DefaultQuota, BookingWindowDays: r.BookingWindowDays,
		MaxPartySize: r.MaxPartySize, AdmissionMinutesBefore: r.AdmissionMinutesBefore,
		InstantaneousCapacity: r.InstantaneousCapacity, GateFlowPerMinute: r.GateFlowPerMinute, GateBurst: r.GateBurst,
	}
	for _, w := range strings.Split(r.ClosedWeekdays, ",") {
		if n, err := strconv.Atoi(w); err == nil {
			v.ClosedWeekdays = append(v.ClosedWeekdays, n)
		}
	}
	v.ApprovedDailyCapacity, v.ApprovedInstantaneousCapacity = r.ApprovedDailyCapacity, r.ApprovedInstantaneousCapacity
	v.PolicyRatioPct, v.HeldBackPct = r.PolicyRatioPct, r.HeldBackPct
	v.HeldBackRelease, _ = domain.ParseMinute(r.HeldBackRelease)
	v.HoursByWeekday = parseWeeklyHours(r.HoursByWeekday)
	v.NoShowGraceMinutes, v.NoShowStrikes, v.NoShowWindowDays = r.NoShowGraceMinutes, r.NoShowStrikes, r.NoShowWindowDays
	v.RestrictionDays, v.EraseAfterDays = r.RestrictionDays, r.EraseAfterDays
	v.BookingClosesMinutesBeforeEnd = r.BookingClosesMinutesBeforeEnd
	v.ReleaseTime, _ = domain.ParseMinute(r.ReleaseTime)
	v.Address, v.Notice = domain.LocalText{ZH: r.AddressZH, EN: r.AddressEN}, domain.LocalText{ZH: r.NoticeZH, EN: r.NoticeEN}
	v.ContactPhone = r.ContactPhone
	return v
}

// parseWeeklyHours reads "6=08:00-18:00,7=08:00-18:00".
func parseWeeklyHours(s string) map[int]domain.Hours {
	if s == "" {
		return nil
	}
	out := map[int]domain.Hours{}
	for _, part := range strings.Split(s, ",") {
		day, span, ok := strings.Cut(part, "=")
		open, close, ok2 := strings.Cut(span, "-")
		w, err := strconv.Atoi(day)
		o, err1 := domain.ParseMinute(open)
		c, err2 := domain.ParseMinute(close)
		if ok && ok2 && err == nil && err1 == nil && err2 == nil {
			out[w] = domain.Hours{Open: o, Close: c}
		}
	}
	return out
}

func formatWeeklyHours(h map[int]domain.Hours) string {
	var parts []string
	for w := 1; w <= 7; w++ {
		if x, ok := h[w]; ok {
			parts = append(parts, strconv.Itoa(w)+"="+x.Open.String()+"-"+x.Close.String())
		}
	}
	return strings.Join(parts, ",")
}

func venueRowOf(v domain.Venue) venueRow {
	days := make([]string, len(v.ClosedWeekdays))
	for i, d := range v.ClosedWeekdays {
		days[i] = strconv.Itoa(d)
	}
	return venueRow{
		ID: v.ID, Slug: v.Slug, NameZH: v.NameZH, NameEN: v.NameEN, Kind: v.Kind, Timezone: v.Timezone,
		OpenMinute: int(v.Open), CloseMinute: int(v.Close), ClosedWeekdays: strings.Join(days, ","),
		SlotMinutes: v.SlotMinutes, DefaultQuota: v.DefaultQuota, BookingWindowDays: v.BookingWindowDays,
		MaxPartySize: v.MaxPartySize, AdmissionMinutesBefore: v.AdmissionMinutesBefore,
		InstantaneousCapacity: v.InstantaneousCapacity, GateFlowPerMinute: v.GateFlowPerMinute, GateBurst: v.GateBurst,
		ApprovedDailyCapacity: v.ApprovedDailyCapacity, ApprovedInstantaneousCapacity: v.ApprovedInstantaneousCapacity,
		PolicyRatioPct: v.PolicyRatioPct, HeldBackPct: v.HeldBackPct, HeldBackRelease: v.HeldBackRelease.String(),
		HoursByWeekday:     formatWeeklyHours(v.HoursByWeekday),
		NoShowGraceMinutes: v.NoShowGraceMinutes, NoShowStrikes: v.NoShowStrikes, NoShowWindowDays: v.NoShowWindowDays,
		RestrictionDays: v.RestrictionDays, EraseAfterDays: v.EraseAfterDays,
		BookingClosesMinutesBeforeEnd: v.BookingClosesMinutesBeforeEnd, ReleaseTime: v.ReleaseTime.String(),
		AddressZH: v.Address.ZH, AddressEN: v.Address.EN, ContactPhone: v.ContactPhone,
		NoticeZH: v.Notice.ZH, NoticeEN: v.Notice.EN,
	}
}

type slotRow struct {
	ID                int64
	VenueID           int64
	VisitDate         string
	StartsAt          int64
	EndsAt            int64
	Quota             int
	Booked            int
	Status            string
	CreatedAt         time.Time
	ManualQuota       bool
	Flagged           bool
	HeldBack          int
	HeldBackReleaseAt int64
}

func (slotRow) TableName() string { return "slots" }

func (r slotRow) slot() domain.Slot {
	d, _ := domain.ParseDate(r.VisitDate)
	return domain.Slot{
		ID: r.ID, VenueID: r.VenueID, Date: d,
		Start: time.Unix(r.StartsAt, 0).UTC(), End: time.Unix(r.EndsAt, 0).UTC(),
		Quota: r.Quota, Booked: r.Booked, Status: domain.SlotStatus(r.Status),
		ManualQuota: r.ManualQuota, Flagged: r.Flagged, HeldBack: r.HeldBack,
		HeldBackReleaseAt: unixOrZero(r.HeldBackReleaseAt),
	}
}

func unixOrZero(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

func zeroOrUnix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func (r slotRow) count() domain.SlotCount {
	return domain.SlotCount{SlotID: r.ID, Quota: r.Quota - r.HeldBack, Booked: r.Booked, Open: r.Status == string(domain.SlotOpen),
		ExpireAt: time.Unix(r.EndsAt, 0).Add(domain.GateRetention)}
}

func slotRowOf(s domain.Slot) slotRow {
	return slotRow{ID: s.ID, VenueID: s.VenueID, VisitDate: s.Date.String(), StartsAt: s.Start.Unix(), EndsAt: s.End.Unix(),
		Quota: s.Quota, Booked: s.Booked, Status: string(s.Status), ManualQuota: s.ManualQuota, Flagged: s.Flagged,
		HeldBack: s.HeldBack, HeldBackReleaseAt: zeroOrUnix(s.HeldBackReleaseAt)}
}

type bookingRow struct {
	ID             int64
	BookingNumber  sql.NullString
	VenueID        int64
	SlotID         int64
	VisitDate      string
	PartySize      int
	PartyBooked    int
	Status         string
	Phone          string
	IdempotencyKey sql.NullString
	Fingerprint    string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	CancelledAt    sql.NullTime
}

func (bookingRow) TableName() string { return "bookings" }

type visitorRow struct {
	ID         int64
	BookingID  int64
	VenueID    int64
	VisitDate  string
	Position   int
	Name       string
	IDType     string `gorm:"column:id_type"`
	IDHash     string `gorm:"column:id_hash"`
	IDMasked   string `gorm:"column:id_masked"`
	Live       sql.NullInt16
	Status     string
	AdmittedAt sql.NullTime
	Origin     string
}

func (visitorRow) TableName() string { return "booking_visitors" }

func (r bookingRow) booking(slot domain.Slot, visitors []visitorRow) domain.Booking {
	b := domain.Booking{
		ID: r.ID, Number: r.BookingNumber.String, VenueID: r.VenueID, Slot: slot,
		PartySize: r.PartySize, PartyBooked: r.PartyBooked, Status: domain.BookingStatus(r.Status),
		Phone: r.Phone, CreatedAt: r.CreatedAt, Visitors: make([]domain.Visitor, len(visitors)),
	}
	if r.CancelledAt.Valid {
		b.CancelledAt = r.CancelledAt.Time
	}
	for i, v := range visitors {
		b.Visitors[i] = domain.Visitor{Position: v.Position, Name: v.Name, IDType: domain.IDType(v.IDType), IDHash: v.IDHash,
			IDMasked: v.IDMasked, Status: domain.BookingStatus(v.Status), Origin: v.Origin}
		if v.AdmittedAt.Valid {
			b.Visitors[i].AdmittedAt = v.AdmittedAt.Time
		}
	}
	return b
}

type settingRow struct {
	Name      string `gorm:"primaryKey"`
	Value     string
	CreatedAt time.Time
}

func (settingRow) TableName() string { return "settings" }
