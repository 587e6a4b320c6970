package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
	ID          int64
	VenueID     int64
	Slot        Slot
	PartySize   int
	Status      BookingStatus
	Phone       string
	Visitors    []Visitor
	CreatedAt   time.Time
	CancelledAt time.Time // zero unless cancelled
}

// Visitor is one named person of a party. The full ID number is never kept:
// only a keyed hash (for the one-booking-per-person rule) and a masked form.
type Visitor struct {
	Name     string
	IDType   IDType
	IDHash   string
	IDMasked string
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
}

// MaxIdempotencyKey bounds the Idempotency-Key header.
const MaxIdempotencyKey = 128

// NewBooking is a validated booking ready to be written.
type NewBooking struct {
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

// checkParty validates phone and visitors and turns them into stored form.
// maxParty is the venue's limit; now dates the birth-date plausibility
// check; a walk-in registered by staff may come without a phone.
func (r BookingRequest) checkParty(h IDHasher, maxParty int, now time.Time, phoneRequired bool) ([]Visitor, error) {
	var errs ValidationError
	if r.Phone == "" {
		if phoneRequired {
			errs.Add("phone", RuleRequired)
		}
	} else if !CheckPhone(r.Phone) {
		errs.Add("phone", RulePhone)
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
			visitors = append(visitors, Visitor{Name: name, IDType: t, IDHash: hash, IDMasked: MaskID(number)})
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

// Payload is what the booking's code carries.
func (b Booking) Payload() CodePayload {
	return CodePayload{BookingID: b.ID, VenueID: b.VenueID, Date: b.Slot.Date, SlotID: b.Slot.ID, PartySize: b.PartySize}
}

// MaskedPhone is the phone as pages and answers show it.
func (b Booking) MaskedPhone() string { return MaskPhone(b.Phone) }

// String describes the booking for logs without any personal data.
func (b Booking) String() string {
	return fmt.Sprintf("booking %d (slot %d, %d people, %s)", b.ID, b.Slot.ID, b.PartySize, strings.ToLower(string(b.Status)))
}
