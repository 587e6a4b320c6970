package domain

import (
	"context"
	"time"
	"unicode/utf8"
)

// Admission is a party let in at a gate.
type Admission struct {
	ID        int64
	BookingID int64
	VenueID   int64
	Date      Date
	PartySize int
	Gate      string
	UserID    int64
	Source    AdmissionSource
	ScannerID string
	At        time.Time
	// Positions are the persons of the party this admission let in; a
	// party arriving apart is admitted in several admissions.
	Positions []int
}

// AdmissionSource says how an admission was made.
type AdmissionSource string

const (
	AdmittedOnline  AdmissionSource = "online"
	AdmittedOffline AdmissionSource = "offline" // scanned without a connection, uploaded later
	AdmittedWalkIn  AdmissionSource = "walkin"
)

// Attempt is one scan and its result, kept for every scan.
type Attempt struct {
	VenueID   int64
	BookingID int64 // 0 when the code named no booking
	Gate      string
	UserID    int64
	Result    string // "admitted" or the refusal's code
	RequestID string // a scanner's retry of the same request
	ScannerID string // an offline scanner
	Nonce     string // an offline scan, unique per scanner
	Offline   bool
	At        time.Time
}

// AttemptAdmitted is the Result of a successful attempt.
const AttemptAdmitted = "admitted"

// Exit is people counted out of a venue.
type Exit struct {
	VenueID   int64
	Date      Date
	Gate      string
	People    int
	UserID    int64
	RequestID string
	At        time.Time
}

// AdmissionStore keeps what happens at the entrance gates: admissions,
// refused attempts, walk-ins and exits.
type AdmissionStore interface {
	// AdmitBooking admits the persons of a confirmed booking named by
	// a.Positions (nil: every person still confirmed), each with a
	// conditional update, records the admission (Positions: who came in
	// now) and the attempt that made it, in one transaction; the booking
	// is admitted once no one is left outside. If no one could be admitted
	// it returns why: ErrAlreadyAdmitted, ErrCancelledBooking or
	// ErrNotAdmissible.
	AdmitBooking(ctx context.Context, a Admission, attempt Attempt) (Admission, error)
	// AdmissionOf finds the first admission of a booking.
	AdmissionOf(ctx context.Context, bookingID int64) (Admission, error)
	// AdmissionsOf lists the admissions of a booking, first first.
	AdmissionsOf(ctx context.Context, bookingID int64) ([]Admission, error)
	// PersonOn finds the person not cancelled, in a booking of the venue's
	// day d, whose ID hash is one of hashes: the booking and position.
	PersonOn(ctx context.Context, venueID int64, d Date, hashes []string) (int64, int, error)
	// RecordAttempt keeps a refused attempt; a repeat (same user and
	// request id, or same scanner and nonce) is ignored.
	RecordAttempt(ctx context.Context, a Attempt) error
	AttemptByRequest(ctx context.Context, userID int64, requestID string) (Attempt, error)
	AttemptByNonce(ctx context.Context, scannerID, nonce string) (Attempt, error)
	// AddExit records an exit; false when the same user and request id
	// were recorded before.
	AddExit(ctx context.Context, e Exit) (bool, error)
	// Inside counts people in a venue on day d from the records: admitted
	// parties less exits, never below zero.
	Inside(ctx context.Context, venueID int64, d Date) (int, error)
	// CancelledSince lists a venue's bookings cancelled after t for days
	// from d on.
	CancelledSince(ctx context.Context, venueID int64, d Date, t time.Time) ([]Booking, error)
}

// Errors the gate store answers with.
var (
	ErrAlreadyAdmitted  = &Error{Code: CodeAlreadyAdmitted}
	ErrCancelledBooking = &Error{Code: CodeCancelled}
	// ErrNotAdmissible is a booking marked no-show: its slot is over.
	ErrNotAdmissible = &Error{Code: CodeWrongTime, Detail: "booking was a no-show"}
)

// VenueDay names one day of one venue, the span of an occupancy count.
type VenueDay struct {
	VenueID int64
	Date    Date
}

// GateFlow is the flow limit of one gate: people a minute, with a burst.
type GateFlow struct {
	Gate      string
	PerMinute int
	Burst     int
}

// OccupancyCount is the occupancy counter's answer.
type OccupancyCount struct {
	Outcome    OccupancyOutcome
	Inside     int
	MustLeave  int           // full: people who must leave before this party enters
	RetryAfter time.Duration // flow limited: when the gate has room for the party
}

// OccupancyOutcome names what the occupancy counter did.
type OccupancyOutcome int

const (
	OccupancyOK OccupancyOutcome = iota
	OccupancyNotLoaded
	OccupancyFull
	OccupancyFlowLimited
)

// OccupancyCounter keeps people inside each venue and each entrance
// gate's flow, in Redis (not to be confused with the CapacityGate, which
// counts places booked). Every change is made under a hold id, so a retried script changes
// nothing twice, and an entry can be undone if its admission fails.
type OccupancyCounter interface {
	// Enter lets people in if the venue has room and the gate's flow allows.
	Enter(ctx context.Context, v VenueDay, hold string, people, capacity int, flow GateFlow) (OccupancyCount, error)
	// Undo gives back an Enter at gate whose admission did not happen.
	Undo(ctx context.Context, v VenueDay, hold, gate string) error
	// Leave counts people out (never below zero).
	Leave(ctx context.Context, v VenueDay, hold string, people int) (OccupancyCount, error)
	// Load sets the count from the records unless it exists; it lasts ttl.
	Load(ctx context.Context, v VenueDay, inside int, ttl time.Duration) error
	// Inside reads the count; false when there is none.
	Inside(ctx context.Context, v VenueDay) (int, bool, error)
	// Forget drops the count, to be rebuilt from the records.
	Forget(ctx context.Context, v VenueDay) error
}

// maxGateName bounds a gate's name ("North", "东门").
const maxGateName = 32

func checkGate(gate string) error {
	n := utf8.RuneCountInString(gate)
	if n == 0 || n > maxGateName {
		return Invalid("gate", RuleGate)
	}
	for _, r := range gate {
		if r == '{' || r == '}' || r < ' ' {
			return Invalid("gate", RuleGate)
		}
	}
	return nil
}
