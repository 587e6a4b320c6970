package domain

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
)

// BookingStatus is where a booking stands.
type BookingStatus string

const (
	BookingConfirmed BookingStatus = "confirmed"
	BookingAdmitted  BookingStatus = "admitted"
	BookingCancelled BookingStatus = "cancelled"
	BookingNoShow    BookingStatus = "no_show"
)

// Booking is a party's reservation of places in one slot.
type Booking struct {
	ID int64
	// Number is the short booking number, read aloud at a desk; a lookup
	// by number also needs the phone. Bookings made before numbers have none.
	Number  string
	VenueID int64
	Slot    Slot
	// PartySize counts the persons not cancelled; PartyBooked is the size
	// the booking was made with, which its signed code carries for good.
	PartySize   int
	PartyBooked int
	Status      BookingStatus
	Phone       string
	Visitors    []Visitor
	CreatedAt   time.Time
	CancelledAt time.Time // zero unless cancelled
}

// Visitor is one named person of a party. The full ID number is never kept:
// only a keyed hash (for the one-booking-per-person rule) and a masked form.
type Visitor struct {
	// Position counts from 1 in the order the party was booked, and never
	// changes: it names the person in the API.
	Position int
	Name     string
	IDType   IDType
	IDHash   string
	IDMasked string
	// Status is the person's own: a party may be admitted or cancelled a
	// person at a time. It takes the values of a booking's status.
	Status     BookingStatus
	AdmittedAt time.Time // zero unless admitted
	// Origin is where the person comes from, for the reports: a resident
	// ID's province code (its first two digits), or the document type.
	// It outlives the erasure of names and ID hashes.
	Origin string
}

// OriginOf is the origin a document gives: the province code of a
// resident ID, otherwise the document type.
func OriginOf(t IDType, number string) string {
	if t == IDResident && len(number) >= 2 {
		return number[:2]
	}
	return string(t)
}

// Person finds the visitor at position.
func (b Booking) Person(position int) (Visitor, bool) {
	for _, v := range b.Visitors {
		if v.Position == position {
			return v, true
		}
	}
	return Visitor{}, false
}

// VisitorInput is a visitor as a form or API request gives it.
type VisitorInput struct {
	Name     string
	IDType   string
	IDNumber string
}

// BookingRequest is a visitor's request for places, as received.
type BookingRequest struct {
	SlotID         int64
	Phone          string
	Visitors       []VisitorInput
	IdempotencyKey string
	ClientAddr     string // for the per-client request limit
	walkIn         bool   // registered by staff at the gate: no confirmation message
}

// MaxIdempotencyKey bounds the Idempotency-Key header.
const MaxIdempotencyKey = 128

// NewBooking is a validated booking ready to be written.
type NewBooking struct {
	// Number is the booking number to write; the store draws another with
	// NewBookingNumber if it is taken.
	Number    string
	Slot      Slot
	Phone     string
	Visitors  []Visitor
	CreatedAt time.Time
	// IdempotencyKey is a digest of the client's key ("" when none was sent);
	// Fingerprint is a digest of the request, to tell a retry from a reuse.
	IdempotencyKey string
	Fingerprint    string
	// Today is the venue's day the booking is made on: restrictions for
	// no-shows that run past it refuse the booking.
	Today Date
	// Notice, when set, is the confirmation message the store queues in
	// the booking's transaction (kind "booked").
	Notice func(Booking) NotificationText
}

// IDHasher derives the keyed hash that stands for an ID number in storage.
type IDHasher struct{ key []byte }

// NewIDHasher hashes with key, which must stay the same for the life of the data.
func NewIDHasher(key []byte) IDHasher { return IDHasher{key: key} }

// Hash is HMAC-SHA256 over the document type and normalized number.
func (h IDHasher) Hash(t IDType, number string) string {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(t))
	m.Write([]byte{':'})
	m.Write([]byte(number))
	return hex.EncodeToString(m.Sum(nil))
}

// checkParty validates phone and visitors and turns them into stored form
// (the phone in r too).
// maxParty is the venue's limit; now dates the birth-date plausibility
// check; a walk-in registered by staff may come without a phone.
func (r *BookingRequest) checkParty(h IDHasher, maxParty int, now time.Time, phoneRequired bool) ([]Visitor, error) {
	var errs ValidationError
	if r.Phone == "" {
		if phoneRequired {
			errs.Add("phone", RuleRequired)
		}
	} else if phone, rule, ok := NormalizePhone(r.Phone); ok {
		r.Phone = phone
	} else {
		errs.Add("phone", rule)
	}
	if len(r.IdempotencyKey) > MaxIdempotencyKey {
		errs.AddLimit("Idempotency-Key", RuleTooLong, MaxIdempotencyKey)
	}
	if len(r.Visitors) == 0 || len(r.Visitors) > maxParty {
		errs.AddLimit("visitors", RulePartySize, maxParty)
	}
	if len(r.Visitors) > MaxPartyLimit {
		return nil, &errs // do not spend work on an absurd party
	}
	visitors := make([]Visitor, 0, len(r.Visitors))
	seen := make(map[string]int, len(r.Visitors))
	for i, in := range r.Visitors {
		field := func(name string) FieldPath { return ElementField("visitors", i, name) }
		name, rule, ok := CleanName(in.Name)
		if !ok {
			errs.AddAt(field("name"), rule)
		}
		t := IDType(in.IDType)
		number := NormalizeID(in.IDNumber)
		switch {
		case in.IDType == "":
			errs.AddAt(field("id_type"), RuleRequired)
		case number == "":
			errs.AddAt(field("id_number"), RuleRequired)
		default:
			if rule, ok := CheckID(t, number, now); !ok {
				if rule == RuleIDType {
					errs.AddAt(field("id_type"), rule)
				} else {
					errs.AddAt(field("id_number"), rule)
				}
				continue
			}
			hash := h.Hash(t, number)
			if _, dup := seen[hash]; dup {
				errs.AddAt(field("id_number"), RuleDuplicateID)
				continue
			}
			seen[hash] = i
			visitors = append(visitors, Visitor{Position: len(visitors) + 1, Name: name, IDType: t, IDHash: hash,
				IDMasked: MaskID(number), Status: BookingConfirmed, Origin: OriginOf(t, number)})
		}
	}
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	return visitors, nil
}

// digest is a short fixed-size stand-in for client-chosen strings.
func digest(parts ...string) string {
	s := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(s, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(s.Sum(nil))
}

// fingerprint identifies what a request asks for, so that reusing an
// Idempotency-Key for a different booking is told apart from a retry.
func fingerprint(slotID int64, phone string, visitors []Visitor) string {
	parts := []string{strconv.FormatInt(slotID, 10), phone}
	for _, v := range visitors {
		parts = append(parts, v.Name, v.IDHash)
	}
	return digest(parts...)
}

// Cancellable reports whether the visitor may still cancel at now: a
// confirmed booking whose slot has not started.
func (b Booking) Cancellable(now time.Time) bool {
	return b.Status == BookingConfirmed && now.Before(b.Slot.Start)
}

// admittedPersons is b as admitting the persons at positions at instant
// at leaves it: the booking admitted once no one is left outside.
func (b Booking) admittedPersons(positions []int, at time.Time) Booking {
	b.Visitors = slices.Clone(b.Visitors)
	for i, v := range b.Visitors {
		if v.Status == BookingConfirmed && slices.Contains(positions, v.Position) {
			b.Visitors[i].Status, b.Visitors[i].AdmittedAt = BookingAdmitted, at
		}
	}
	if len(b.Outside()) == 0 {
		b.Status = BookingAdmitted
	}
	return b
}

// Payload is what the booking's code carries.
func (b Booking) Payload() CodePayload {
	return CodePayload{BookingID: b.ID, VenueID: b.VenueID, Date: b.Slot.Date, SlotID: b.Slot.ID, PartySize: b.partyBooked()}
}

// partyBooked is the party size the booking was made with.
func (b Booking) partyBooked() int {
	if b.PartyBooked > 0 {
		return b.PartyBooked
	}
	return b.PartySize
}

// BookingNumberDigits is the length of a booking number: ten digits, the
// first not zero, drawn at random so that a number tells nothing of the
// booking before or after it.
const BookingNumberDigits = 10

// NewBookingNumber draws a booking number.
func NewBookingNumber() string {
	var b [BookingNumberDigits]byte
	for i := range b {
		lo := int64(0)
		if i == 0 {
			lo = 1
		}
		n, err := rand.Int(rand.Reader, big.NewInt(10-lo))
		if err != nil {
			panic(fmt.Sprintf("read random digits: %v", err)) // crypto/rand does not fail on supported systems
		}
		b[i] = byte('0' + lo + n.Int64())
	}
	return string(b[:])
}

// CheckBookingNumber reports whether s has the form of a booking number.
func CheckBookingNumber(s string) bool {
	if len(s) < 8 || len(s) > 12 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// MaskedPhone is the phone as pages and answers show it.
func (b Booking) MaskedPhone() string { return MaskPhone(b.Phone) }

// String describes the booking for logs without any personal data.
func (b Booking) String() string {
	return fmt.Sprintf("booking %d (slot %d, %d people, %s)", b.ID, b.Slot.ID, b.PartySize, strings.ToLower(string(b.Status)))
}
