package domain

import (
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"
	"unicode/utf8"
)

// contactPhonePattern takes a venue's phone as it is printed: digits, an
// optional leading +, spaces, dashes and parentheses (023-6886 0000).
var contactPhonePattern = regexp.MustCompile(`^\+?[0-9][0-9 ()\-]{4,30}$`)

// Venue is a timed-entry site and the policy its slots are made from.
type Venue struct {
	ID                     int64
	Slug                   string
	NameZH                 string
	NameEN                 string
	Kind                   string
	Timezone               string
	Open                   Minute
	Close                  Minute
	ClosedWeekdays         []int // 1 (Monday) to 7 (Sunday)
	SlotMinutes            int
	DefaultQuota           int
	BookingWindowDays      int
	MaxPartySize           int
	AdmissionMinutesBefore int
	InstantaneousCapacity  int
	GateFlowPerMinute      int
	GateBurst              int

	// HoursByWeekday overrides Open and Close on some weekdays (1 to 7).
	HoursByWeekday map[int]Hours
	// Approved capacities and the share in force: quotas derived from
	// policy are ApprovedDailyCapacity x PolicyRatioPct %, spread over the
	// day's slots. Zero approved capacity: quotas come from DefaultQuota.
	ApprovedDailyCapacity         int
	ApprovedInstantaneousCapacity int
	PolicyRatioPct                int
	// HeldBackPct of each slot's quota opens only at HeldBackRelease the day
	// before (venue time), for people who cannot book a week ahead.
	HeldBackPct     int
	HeldBackRelease Minute

	// A confirmed booking not admitted by its slot's end plus
	// NoShowGraceMinutes is a no-show; NoShowStrikes of them within
	// NoShowWindowDays restrict each of its IDs for RestrictionDays.
	NoShowGraceMinutes int
	NoShowStrikes      int
	NoShowWindowDays   int
	RestrictionDays    int
	// EraseAfterDays after the visit, names, masked IDs and phones go.
	EraseAfterDays int

	// BookingClosesMinutesBeforeEnd: a slot stays bookable after its
	// start until its end less so many minutes (0: until the end), so that
	// a family at the gate can book the hour under way.
	BookingClosesMinutesBeforeEnd int
	// ReleaseTime is when (venue time) the last day of the booking window
	// opens each day.
	ReleaseTime Minute

	// What a visitor reads before booking: where the venue is, whom to
	// call, and its visiting rules.
	Address      LocalText
	ContactPhone string
	Notice       LocalText

	// Days are the special days of the holiday calendar: days opened or
	// closed against the weekly rule. They come with the venue.
	Days map[Date]SpecialDay `json:"-"`
}

// LocalText is a text in Chinese and English.
type LocalText struct{ ZH, EN string }

// MaxNoticeRunes bounds a venue's visiting rules in each language.
const MaxNoticeRunes = 2000

// SalesEnd is when slot s stops taking bookings.
func (v Venue) SalesEnd(s Slot) time.Time {
	return s.End.Add(-time.Duration(v.BookingClosesMinutesBeforeEnd) * time.Minute)
}

// OpensAt is when day d opens for booking: the booking window's length
// before it, at the release time.
func (v Venue) OpensAt(d Date) time.Time {
	return d.AddDays(-v.BookingWindowDays).At(v.ReleaseTime, v.Location())
}

// HeldBackUntil is when the held-back places of day d's slots open: the day
// before, at HeldBackRelease venue time.
func (v Venue) HeldBackUntil(d Date) time.Time {
	return d.AddDays(-1).At(v.HeldBackRelease, v.Location())
}

// Hours are a day's opening hours.
type Hours struct {
	Open, Close Minute
}

// HoursOn are the venue's opening hours on day d.
func (v Venue) HoursOn(d Date) Hours {
	if sd, ok := v.Days[d]; ok && sd.Open {
		return sd.Hours
	}
	if h, ok := v.HoursByWeekday[d.Weekday()]; ok {
		return h
	}
	return Hours{Open: v.Open, Close: v.Close}
}

// PolicyQuota is the quota of each of n slots of a day that policy gives:
// the approved daily capacity times the ratio, shared out; the default
// quota when no capacity is approved.
func (v Venue) PolicyQuota(n int) int {
	if v.ApprovedDailyCapacity <= 0 || n <= 0 {
		return v.DefaultQuota
	}
	return v.ApprovedDailyCapacity * v.PolicyRatioPct / 100 / n
}

// Location is the venue's time zone; all its slot times are local to it.
func (v Venue) Location() *time.Location {
	if loc, ok := locations.Load(v.Timezone); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(v.Timezone)
	if err != nil {
		// Validate refuses unknown zones, so this only guards rows edited by hand.
		return time.UTC
	}
	locations.Store(v.Timezone, loc)
	return loc
}

// locations keeps each time zone once it is loaded: LoadLocation reads the
// zone database every call, and every booking asks for its venue's zone.
var locations sync.Map

// Today is the venue's local calendar day at instant now.
func (v Venue) Today(now time.Time) Date { return DateOf(now.In(v.Location())) }

// LastBookableDay is the furthest day the booking window reaches at now:
// a new day opens at the release time (venue time).
func (v Venue) LastBookableDay(now time.Time) Date {
	local := now.In(v.Location())
	last := DateOf(local).AddDays(v.BookingWindowDays)
	if Minute(local.Hour()*60+local.Minute()) < v.ReleaseTime {
		return last.AddDays(-1)
	}
	return last
}

// ClosedOn reports whether the venue is closed all day on d: by its
// weekly rule, unless a special day opens it, or by a special day.
func (v Venue) ClosedOn(d Date) bool {
	if sd, ok := v.Days[d]; ok {
		return !sd.Open
	}
	return slices.Contains(v.ClosedWeekdays, d.Weekday())
}

// SpecialDayOn is the special day d, if it is one.
func (v Venue) SpecialDayOn(d Date) (SpecialDay, bool) {
	sd, ok := v.Days[d]
	return sd, ok
}

// SlotsOn lays out the slots of day d: from opening, one every SlotMinutes,
// the last one ending at closing time (shorter if the hours do not divide).
func (v Venue) SlotsOn(d Date) []Slot {
	if v.ClosedOn(d) || v.SlotMinutes <= 0 {
		return nil
	}
	loc := v.Location()
	h := v.HoursOn(d)
	var slots []Slot
	for m := h.Open; m < h.Close; m += Minute(v.SlotMinutes) {
		end := min(m+Minute(v.SlotMinutes), h.Close)
		slots = append(slots, Slot{
			VenueID: v.ID,
			Date:    d,
			Start:   d.At(m, loc),
			End:     d.At(end, loc),
			Status:  SlotOpen,
		})
	}
	quota := v.PolicyQuota(len(slots))
	held, release := quota*v.HeldBackPct/100, v.HeldBackUntil(d)
	for i := range slots {
		slots[i].Quota = quota
		if held > 0 {
			slots[i].HeldBack, slots[i].HeldBackReleaseAt = held, release
		}
	}
	return slots
}

// Validate checks a venue's settings and names each field that is wrong.
func (v Venue) Validate() error {
	var errs ValidationError
	if !slugPattern.MatchString(v.Slug) {
		errs.Add("slug", RuleSlug)
	}
	if v.NameZH == "" {
		errs.Add("name.zh", RuleRequired)
	}
	if v.NameEN == "" {
		errs.Add("name.en", RuleRequired)
	}
	if v.Kind == "" {
		errs.Add("kind", RuleRequired)
	}
	if _, err := time.LoadLocation(v.Timezone); err != nil || v.Timezone == "" {
		errs.Add("timezone", RuleTimezone)
	}
	if v.Open >= v.Close || v.Close > 1440 {
		errs.Add("hours", RuleHours)
	}
	for w, h := range v.HoursByWeekday {
		if w < 1 || w > 7 || h.Open >= h.Close || h.Close > 1440 {
			errs.Add("hours_by_weekday", RuleHours)
			break
		}
	}
	if v.PolicyRatioPct < 1 || v.PolicyRatioPct > 100 {
		errs.Add("policy_ratio_pct", RulePercent)
	}
	if v.HeldBackPct < 0 || v.HeldBackPct > 100 {
		errs.Add("held_back_pct", RulePercent)
	}
	if v.ApprovedDailyCapacity < 0 {
		errs.Add("approved_daily_capacity", RuleNotNegative)
	}
	if v.ApprovedInstantaneousCapacity < 0 {
		errs.Add("approved_instantaneous_capacity", RuleNotNegative)
	}
	for _, p := range []struct {
		field string
		value int
	}{
		{"no_show_strikes", v.NoShowStrikes}, {"no_show_window_days", v.NoShowWindowDays},
		{"restriction_days", v.RestrictionDays}, {"erase_after_days", v.EraseAfterDays},
	} {
		if p.value <= 0 {
			errs.Add(p.field, RulePositive)
		}
	}
	if v.NoShowGraceMinutes < 0 {
		errs.Add("no_show_grace_minutes", RuleNotNegative)
	}
	for _, w := range v.ClosedWeekdays {
		if w < 1 || w > 7 {
			errs.Add("closed_weekdays", RuleWeekday)
			break
		}
	}
	positive := []struct {
		field string
		value int
	}{
		{"slot_minutes", v.SlotMinutes}, {"booking_window_days", v.BookingWindowDays},
		{"max_party_size", v.MaxPartySize}, {"instantaneous_capacity", v.InstantaneousCapacity},
		{"gate_flow_per_minute", v.GateFlowPerMinute}, {"gate_burst", v.GateBurst},
	}
	for _, p := range positive {
		if p.value <= 0 {
			errs.Add(p.field, RulePositive)
		}
	}
	if v.DefaultQuota < 0 {
		errs.Add("default_quota", RuleNotNegative)
	}
	if v.AdmissionMinutesBefore < 0 {
		errs.Add("admission_minutes_before", RuleNotNegative)
	}
	if v.MaxPartySize > MaxPartyLimit {
		errs.Add("max_party_size", RuleTooLarge)
	}
	if v.BookingClosesMinutesBeforeEnd < 0 {
		errs.Add("booking_closes_minutes_before_end", RuleNotNegative)
	} else if v.SlotMinutes > 0 && v.BookingClosesMinutesBeforeEnd > v.SlotMinutes {
		errs.Add("booking_closes_minutes_before_end", RuleTooLarge)
	}
	if v.ReleaseTime < 0 || v.ReleaseTime >= 24*60 {
		errs.Add("release_time", RuleHours)
	}
	for _, t := range []struct {
		field, text string
		max         int
	}{
		{"address.zh", v.Address.ZH, 200}, {"address.en", v.Address.EN, 200},
		{"notice.zh", v.Notice.ZH, MaxNoticeRunes}, {"notice.en", v.Notice.EN, MaxNoticeRunes},
	} {
		if utf8.RuneCountInString(t.text) > t.max {
			errs.AddLimit(t.field, RuleTooLong, t.max)
		}
	}
	if v.ContactPhone != "" && !contactPhonePattern.MatchString(v.ContactPhone) {
		errs.Add("contact_phone", RulePhone)
	}
	return errs.OrNil()
}

// MaxPartyLimit bounds any venue's party size; a booking code carries it in one byte.
const MaxPartyLimit = 20

// SeedVenues are the sites slotgate starts with on a fresh database.
func SeedVenues() []Venue {
	base := func(slug, zh, en, kind string, open, close string, slotMinutes, quota int, closed []int, inside, flow, burst int) Venue {
		o, _ := ParseMinute(open)
		c, _ := ParseMinute(close)
		return Venue{
			Slug: slug, NameZH: zh, NameEN: en, Kind: kind, Timezone: "Asia/Shanghai",
			Open: o, Close: c, ClosedWeekdays: closed, SlotMinutes: slotMinutes, DefaultQuota: quota,
			BookingWindowDays: 7, MaxPartySize: 5, AdmissionMinutesBefore: 30,
			InstantaneousCapacity: inside, GateFlowPerMinute: flow, GateBurst: burst,
			PolicyRatioPct: 100, HeldBackRelease: 17 * 60,
			NoShowGraceMinutes: 30, NoShowStrikes: 3, NoShowWindowDays: 180, RestrictionDays: 30, EraseAfterDays: 30,
			BookingClosesMinutesBeforeEnd: 15,
			Address:                       LocalText{ZH: "重庆市北碚区", EN: "Beibei District, Chongqing"},
			Notice: LocalText{
				ZH: "请携带预约时登记的有效证件，在预约时段内入场。一次预约最多 5 人。",
				EN: "Bring the ID documents you booked with and enter within your time slot. Up to 5 people a booking.",
			},
		}
	}
	return []Venue{
		base("jinyun-mountain", "缙云山", "Jinyun Mountain", "scenic_area", "07:00", "18:00", 60, 600, nil, 2000, 120, 30),
		base("beibei-museum", "北碚博物馆", "Beibei Museum", "museum", "09:00", "17:00", 60, 80, []int{1}, 120, 30, 10),
		base("beibei-library", "北碚图书馆", "Beibei Library", "library", "09:00", "21:00", 120, 120, nil, 300, 40, 15),
		base("beibei-cultural-centre", "北碚区文化馆", "Cultural Centre", "cultural_centre", "09:00", "17:00", 60, 60, []int{1}, 100, 30, 10),
		base("beibei-art-gallery", "北碚美术馆", "Art Gallery", "art_gallery", "09:00", "17:00", 60, 50, []int{1}, 80, 20, 8),
	}
}

func (v Venue) String() string { return fmt.Sprintf("venue %s", v.Slug) }
