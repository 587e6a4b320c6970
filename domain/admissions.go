package domain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// Admissions is the staff's use case at the entrance: admit a party by its
// code, register walk-ins, count exits, watch occupancy, and serve scanners
// that work offline. Every refusal is recorded as an attempt.
type Admissions struct {
	catalog  *Catalog
	bookings *Bookings
	store    Store
	records  AdmissionStore
	counter  OccupancyCounter
	signer   CodeSigner
	clock    Clock
	log      *slog.Logger
}

// AdmissionsDeps are the parts the admission use case works with.
type AdmissionsDeps struct {
	Catalog  *Catalog
	Bookings *Bookings
	Store    Store
	Records  AdmissionStore   // admissions, attempts and exits
	Counter  OccupancyCounter // occupancy and gate flow, shared by the instances
	Signer   CodeSigner       // checks the codes scanned
	Clock    Clock
	Log      *slog.Logger
}

// NewAdmissions wires the admission use case.
func NewAdmissions(d AdmissionsDeps) *Admissions {
	return &Admissions{catalog: d.Catalog, bookings: d.Bookings, store: d.Store, records: d.Records, counter: d.Counter,
		signer: d.Signer, clock: d.Clock, log: d.Log}
}

// Scan is a code read at a gate, a booking number typed, or an ID card
// swiped: exactly one of Code, Number and IDNumber.
type Scan struct {
	Staff     User
	Venue     string // slug of the venue the staff member stands at
	Gate      string
	Code      string
	Number    string // the booking number, read aloud or typed
	IDNumber  string // an ID card at the gate: admits that one person
	Positions []int  // the persons to admit; none: everyone not yet in
	RequestID string // the same id on a retry returns the first answer
}

// Admitted is a party, or some of it, let in, with the venue's occupancy
// after it. Booking is as the admission left it: each person's status says
// who is in and who is still outside.
type Admitted struct {
	Booking   Booking
	Admission Admission // Positions: who came in now
	Occupancy Occupancy
	Replayed  bool // a retried request answered again
}

// Outside are the positions of the persons of b still expected.
func (b Booking) Outside() []int {
	var out []int
	for _, v := range b.Visitors {
		if v.Status == BookingConfirmed {
			out = append(out, v.Position)
		}
	}
	return out
}

// Occupancy is how many people are inside a venue and how many may be.
type Occupancy struct {
	Inside   int
	Capacity int
}

// staffVenue finds the venue and checks that the staff member serves it.
func (g *Admissions) staffVenue(ctx context.Context, staff User, slug string) (Venue, error) {
	v, err := g.catalog.Venue(ctx, slug)
	if err != nil {
		return Venue{}, err
	}
	if !staff.Serves(v.ID) {
		return Venue{}, ErrForbidden
	}
	return v, nil
}

// Admit checks a scanned code, a booking number or an ID card against
// the rules and admits the persons it names: signature first (no storage
// touched for a forged code), then cancelled, wrong venue, outside the
// admission window, no one left to admit; then room inside the venue and
// the gate's flow for those persons; then the store's conditional update
// of each person, which lets exactly one of two simultaneous scans of one
// person win.
func (g *Admissions) Admit(ctx context.Context, s Scan) (Admitted, error) {
	v, err := g.staffVenue(ctx, s.Staff, s.Venue)
	if err != nil {
		return Admitted{}, err
	}
	if err := checkGate(s.Gate); err != nil {
		return Admitted{}, err
	}
	if len(s.RequestID) > 64 {
		return Admitted{}, Invalid("request_id", RuleTooLong)
	}
	given := 0
	for _, k := range []string{s.Code, s.Number, s.IDNumber} {
		if k != "" {
			given++
		}
	}
	if given != 1 {
		return Admitted{}, Invalid("code", RuleOneOf)
	}
	if len(s.Positions) > MaxPartyLimit {
		return Admitted{}, Invalid("visitors", RuleTooLarge)
	}
	now := g.clock.Now()
	attempt := Attempt{VenueID: v.ID, Gate: s.Gate, UserID: s.Staff.ID, RequestID: s.RequestID, At: now}
	if s.RequestID != "" {
		if first, ok := g.replay(ctx, v, s.Staff.ID, s.RequestID); ok {
			return first, nil
		}
	}
	b, positions, err := g.find(ctx, v, s, now)
	if err != nil {
		if CodeOf(err) == CodeValidation || CodeOf(err) == "" || CodeOf(err) == CodeUnavailable {
			return Admitted{}, err
		}
		return Admitted{}, g.refuse(ctx, attempt, err)
	}
	attempt.BookingID = b.ID
	if err := g.rules(ctx, v, b, now); err != nil {
		return Admitted{Booking: b}, g.refuse(ctx, attempt, err)
	}
	if positions, err = g.persons(ctx, b, positions); err != nil {
		if CodeOf(err) == CodeValidation {
			return Admitted{Booking: b}, err
		}
		return Admitted{Booking: b}, g.refuse(ctx, attempt, err)
	}
	a, err := g.let(ctx, v, b, positions, s.Gate, s.Staff.ID, AdmittedOnline, attempt)
	if errors.Is(err, ErrAlreadyAdmitted) && s.RequestID != "" {
		// Two copies of one request raced: the loser answers as the winner.
		if first, ok := g.replay(ctx, v, s.Staff.ID, s.RequestID); ok {
			return first, nil
		}
	}
	if err != nil {
		return Admitted{Booking: b}, g.refuse(ctx, attempt, err)
	}
	return a, nil
}

// find reads the booking a scan names, and the positions it names: those
// listed, or the one person whose ID card was swiped.
func (g *Admissions) find(ctx context.Context, v Venue, s Scan, now time.Time) (Booking, []int, error) {
	switch {
	case s.Code != "":
		p, err := DecodeCode(s.Code, g.signer)
		if err != nil {
			return Booking{}, nil, ErrInvalidCode
		}
		b, err := g.store.Booking(ctx, p.BookingID)
		if errors.Is(err, ErrNotFound) || (err == nil && (b.VenueID != p.VenueID || b.Slot.ID != p.SlotID)) {
			return Booking{}, nil, ErrInvalidCode
		}
		return b, s.Positions, err
	case s.Number != "":
		number := NormalizeID(s.Number)
		if !CheckBookingNumber(number) {
			return Booking{}, nil, Invalid("number", RuleIDFormat)
		}
		b, err := g.store.BookingByNumber(ctx, number)
		return b, s.Positions, err
	default:
		number := NormalizeID(s.IDNumber)
		if number == "" || len(number) > 32 {
			return Booking{}, nil, Invalid("id_number", RuleIDFormat)
		}
		hashes := make([]string, len(IDTypes))
		for i, t := range IDTypes {
			hashes[i] = g.bookings.ids.Hash(t, number)
		}
		id, position, err := g.records.PersonOn(ctx, v.ID, v.Today(now), hashes)
		if err != nil {
			return Booking{}, nil, err
		}
		b, err := g.store.Booking(ctx, id)
		return b, []int{position}, err
	}
}

// AdmissionWindow is when a slot's visitors may enter: from the venue's
// admission lead before the start until the end.
func AdmissionWindow(v Venue, s Slot) (time.Time, time.Time) {
	return s.Start.Add(-time.Duration(v.AdmissionMinutesBefore) * time.Minute), s.End
}

// rules are the checks a booking must pass at venue v at instant now.
func (g *Admissions) rules(ctx context.Context, v Venue, b Booking, now time.Time) error {
	from, to := AdmissionWindow(v, b.Slot)
	switch {
	case b.Status == BookingCancelled:
		return ErrCancelledBooking
	case b.VenueID != v.ID:
		return &Error{Code: CodeWrongVenue, VenueID: b.VenueID}
	case now.Before(from) || !now.Before(to):
		return &Error{Code: CodeWrongTime, From: from, To: to}
	case b.Status == BookingAdmitted:
		return g.alreadyAdmitted(ctx, b, nil)
	case b.Status == BookingNoShow:
		return &Error{Code: CodeWrongTime, From: from, To: to}
	}
	return nil
}

// AdmissionOf is the admission that let booking b's party in.
func (g *Admissions) AdmissionOf(ctx context.Context, bookingID int64) (Admission, error) {
	return g.records.AdmissionOf(ctx, bookingID)
}

// persons are the positions to admit of those asked for (none: the whole
// party): the persons still outside. A position the party does not have is
// refused; so is a list of persons all cancelled, or all already in.
func (g *Admissions) persons(ctx context.Context, b Booking, asked []int) ([]int, error) {
	if len(asked) == 0 {
		out := b.Outside()
		if len(out) == 0 {
			return nil, g.alreadyAdmitted(ctx, b, nil)
		}
		return out, nil
	}
	var out, in []int
	cancelled := 0
	for _, p := range asked {
		v, ok := b.Person(p)
		switch {
		case !ok:
			return nil, Invalid("visitors", RulePosition)
		case v.Status == BookingConfirmed:
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		case v.Status == BookingAdmitted:
			in = append(in, p)
		default:
			cancelled++
		}
	}
	switch {
	case len(out) > 0:
		return out, nil
	case len(in) > 0:
		return nil, g.alreadyAdmitted(ctx, b, in)
	}
	return nil, ErrCancelledBooking
}

// alreadyAdmitted is the refusal of persons already in, naming the
// admission that let in the first of them (of the booking when none named).
func (g *Admissions) alreadyAdmitted(ctx context.Context, b Booking, positions []int) error {
	all, err := g.records.AdmissionsOf(ctx, b.ID)
	if err != nil {
		return fmt.Errorf("find admissions of booking %d: %w", b.ID, err)
	}
	if len(all) == 0 {
		return ErrAlreadyAdmitted
	}
	first := all[0]
	for _, a := range all {
		if len(positions) > 0 && slices.ContainsFunc(a.Positions, func(p int) bool { return slices.Contains(positions, p) }) {
			first = a
			break
		}
	}
	return &Error{Code: CodeAlreadyAdmitted, Admission: &first}
}

// let takes room in the venue and the gate's flow for the persons, then
// admits them in the store; if the store refuses, the room is given back,
// and if it admits fewer (another gate was quicker for some), the others'
// room is.
func (g *Admissions) let(ctx context.Context, v Venue, b Booking, positions []int, gate string, userID int64, source AdmissionSource, attempt Attempt) (Admitted, error) {
	now := g.clock.Now()
	vd := VenueDay{VenueID: v.ID, Date: v.Today(now)}
	hold := newHold()
	count, err := g.enter(ctx, v, vd, hold, len(positions), gate)
	if err != nil {
		return Admitted{}, err
	}
	// Past this point the party has room: finish even if the scanner hangs up.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	attempt.Result = AttemptAdmitted
	a, err := g.records.AdmitBooking(ctx, Admission{BookingID: b.ID, VenueID: v.ID, Date: b.Slot.Date,
		PartySize: len(positions), Gate: gate, UserID: userID, Source: source, At: now, Positions: positions}, attempt)
	if err != nil {
		if uerr := g.counter.Undo(ctx, vd, hold, gate); uerr != nil {
			g.log.WarnContext(ctx, "give back room of a failed admission", "venue", v.Slug, "err", uerr)
		}
		if errors.Is(err, ErrAlreadyAdmitted) {
			return Admitted{}, g.alreadyAdmitted(ctx, b, positions)
		}
		return Admitted{}, err
	}
	inside := count.Inside
	if extra := len(positions) - len(a.Positions); extra > 0 {
		if c, lerr := g.counter.Leave(ctx, vd, newHold(), extra); lerr != nil {
			g.log.WarnContext(ctx, "give back room of persons admitted elsewhere", "venue", v.Slug, "err", lerr)
		} else {
			inside = c.Inside
		}
	}
	b = b.admittedPersons(a.Positions, now)
	return Admitted{Booking: b, Admission: a, Occupancy: Occupancy{Inside: inside, Capacity: v.InstantaneousCapacity}}, nil
}

// enter asks the occupancy counter for room, rebuilding the count from the
// records when Redis has none.
func (g *Admissions) enter(ctx context.Context, v Venue, vd VenueDay, hold string, people int, gate string) (OccupancyCount, error) {
	flow := GateFlow{Gate: gate, PerMinute: v.GateFlowPerMinute, Burst: v.GateBurst}
	for range 2 {
		c, err := g.counter.Enter(ctx, vd, hold, people, v.InstantaneousCapacity, flow)
		if err != nil {
			return OccupancyCount{}, Unavailable("occupancy counter", err)
		}
		switch c.Outcome {
		case OccupancyOK:
			return c, nil
		case OccupancyFull:
			return c, &Error{Code: CodeFlowLimited, MustLeave: c.MustLeave, Detail: "venue at capacity"}
		case OccupancyFlowLimited:
			return c, &Error{Code: CodeFlowLimited, RetryAfter: c.RetryAfter, Detail: "gate flow limit"}
		}
		if _, err := g.rebuild(ctx, v, vd); err != nil {
			return OccupancyCount{}, err
		}
	}
	return OccupancyCount{}, Unavailable("occupancy counter", fmt.Errorf("occupancy of %s does not stay loaded", v.Slug))
}

// closesAt is when venue v closes on day d; occupancy ends with the day.
func closesAt(v Venue, d Date) time.Time { return d.At(v.Close, v.Location()) }

// rebuild sets the occupancy count from the admission and exit records.
func (g *Admissions) rebuild(ctx context.Context, v Venue, vd VenueDay) (int, error) {
	n, err := g.records.Inside(ctx, v.ID, vd.Date)
	if err != nil {
		return 0, fmt.Errorf("count people inside %s: %w", v.Slug, err)
	}
	ttl := closesAt(v, vd.Date).Add(time.Hour).Sub(g.clock.Now())
	if err := g.counter.Load(ctx, vd, n, ttl); err != nil {
		return 0, Unavailable("occupancy counter", err)
	}
	g.log.InfoContext(ctx, "occupancy rebuilt from records", "venue", v.Slug, "inside", n)
	return n, nil
}

// replay answers a retried request with its first, admitted, answer.
func (g *Admissions) replay(ctx context.Context, v Venue, userID int64, requestID string) (Admitted, bool) {
	first, err := g.records.AttemptByRequest(ctx, userID, requestID)
	if err != nil || first.Result != AttemptAdmitted {
		return Admitted{}, false
	}
	b, err := g.store.Booking(ctx, first.BookingID)
	if err != nil {
		return Admitted{}, false
	}
	all, err := g.records.AdmissionsOf(ctx, b.ID)
	if err != nil || len(all) == 0 {
		return Admitted{}, false
	}
	// The admission the request made was written with its attempt: same
	// user, same instant.
	a := all[0]
	for _, x := range all {
		if x.UserID == userID && x.At.Equal(first.At) {
			a = x
		}
	}
	occ, err := g.Occupancy(ctx, User{Role: RoleAdmin}, v.Slug)
	if err != nil {
		return Admitted{}, false
	}
	return Admitted{Booking: b, Admission: a, Occupancy: occ, Replayed: true}, true
}

// refuse records a refused attempt and returns its refusal.
func (g *Admissions) refuse(ctx context.Context, a Attempt, refusal error) error {
	a.Result = string(CodeOf(refusal))
	if a.Result == "" || a.Result == string(CodeUnavailable) {
		return refusal // not the visitor's doing; the log has it
	}
	if err := g.records.RecordAttempt(context.WithoutCancel(ctx), a); err != nil {
		g.log.WarnContext(ctx, "record admission attempt", "err", err)
	}
	return refusal
}

// Occupancy reads the people inside a venue now; after closing time the
// day is over and nobody is counted.
func (g *Admissions) Occupancy(ctx context.Context, staff User, slug string) (Occupancy, error) {
	v, err := g.staffVenue(ctx, staff, slug)
	if err != nil {
		return Occupancy{}, err
	}
	now := g.clock.Now()
	vd := VenueDay{VenueID: v.ID, Date: v.Today(now)}
	occ := Occupancy{Capacity: v.InstantaneousCapacity}
	if !now.Before(closesAt(v, vd.Date)) {
		return occ, nil
	}
	n, ok, err := g.counter.Inside(ctx, vd)
	if err != nil {
		return Occupancy{}, Unavailable("occupancy counter", err)
	}
	if !ok {
		if n, err = g.rebuild(ctx, v, vd); err != nil {
			return Occupancy{}, err
		}
	}
	occ.Inside = n
	return occ, nil
}

// MaxExitCount bounds one exit count (a group leaving a coach park).
const MaxExitCount = 500

// Exit counts people out of a venue. The record comes first, so that a
// rebuilt count includes it; a retried request (same request id) counts once.
func (g *Admissions) Exit(ctx context.Context, staff User, slug, gate string, people int, requestID string) (Occupancy, error) {
	v, err := g.staffVenue(ctx, staff, slug)
	if err != nil {
		return Occupancy{}, err
	}
	if err := checkGate(gate); err != nil {
		return Occupancy{}, err
	}
	if people < 1 || people > MaxExitCount {
		return Occupancy{}, &ValidationError{Fields: []FieldError{{Field: Field("count"), Rule: RuleCount, Limit: MaxExitCount}}}
	}
	// Counting out more people than are inside is refused, not silently
	// clamped: the count at the gate would go wrong unseen.
	occ, err := g.Occupancy(ctx, staff, slug)
	if err != nil {
		return Occupancy{}, err
	}
	if people > occ.Inside {
		return occ, &Error{Code: CodeNobodyInside, Inside: occ.Inside,
			Detail: fmt.Sprintf("%d counted out, %d inside", people, occ.Inside)}
	}
	now := g.clock.Now()
	vd := VenueDay{VenueID: v.ID, Date: v.Today(now)}
	fresh, err := g.records.AddExit(ctx, Exit{VenueID: v.ID, Date: vd.Date, Gate: gate, People: people,
		UserID: staff.ID, RequestID: requestID, At: now})
	if err != nil {
		return Occupancy{}, err
	}
	if fresh {
		c, err := g.counter.Leave(ctx, vd, newHold(), people)
		if err != nil {
			return Occupancy{}, Unavailable("occupancy counter", err)
		}
		if c.Outcome == OccupancyOK {
			return Occupancy{Inside: c.Inside, Capacity: v.InstantaneousCapacity}, nil
		}
		// Not loaded: the rebuild below counts this exit from its record.
	}
	return g.Occupancy(ctx, staff, slug)
}

// WalkIn registers people on the spot, real-name like a booking, taking
// places from the slot under way through the same capacity gate, and
// admits them at once. If they cannot be admitted, the booking is undone.
func (g *Admissions) WalkIn(ctx context.Context, staff User, slug, gate string, r BookingRequest) (Admitted, error) {
	v, err := g.staffVenue(ctx, staff, slug)
	if err != nil {
		return Admitted{}, err
	}
	if err := checkGate(gate); err != nil {
		return Admitted{}, err
	}
	now := g.clock.Now()
	slot, err := g.slotUnderWay(ctx, v, now)
	if err != nil {
		return Admitted{}, err
	}
	r.SlotID = slot.ID
	res, err := g.bookings.BookWalkIn(ctx, r, v, slot, now)
	if err != nil {
		return Admitted{}, err
	}
	attempt := Attempt{VenueID: v.ID, BookingID: res.Booking.ID, Gate: gate, UserID: staff.ID, At: now}
	a, err := g.let(ctx, v, res.Booking, res.Booking.Outside(), gate, staff.ID, AdmittedWalkIn, attempt)
	if err != nil {
		if _, cerr := g.bookings.Revoke(ctx, res.Booking, now, nil); cerr != nil {
			g.log.ErrorContext(ctx, "undo walk-in booking that could not be admitted", "booking", res.Booking.ID, "err", cerr)
		}
		return Admitted{}, g.refuse(ctx, attempt, err)
	}
	return a, nil
}

// slotUnderWay is the venue's slot that contains now.
func (g *Admissions) slotUnderWay(ctx context.Context, v Venue, now time.Time) (Slot, error) {
	slots, err := g.store.SlotsOn(ctx, v.ID, v.Today(now))
	if err != nil {
		return Slot{}, err
	}
	for _, s := range slots {
		if !now.Before(s.Start) && now.Before(s.End) {
			return s, nil
		}
	}
	return Slot{}, &Error{Code: CodeSlotClosed, Detail: "no slot is under way"}
}

// ScanKey is what an offline scanner needs to check codes itself.
func (g *Admissions) ScanKey(ctx context.Context, staff User, slug string) (Venue, []byte, error) {
	v, err := g.staffVenue(ctx, staff, slug)
	if err != nil {
		return Venue{}, nil, err
	}
	return v, g.signer.PublicKey(), nil
}

// Cancelled lists codes of a venue's bookings cancelled after since, for
// today and later, so that offline scanners refuse them too.
func (g *Admissions) Cancelled(ctx context.Context, staff User, slug string, since time.Time) ([]Booking, error) {
	v, err := g.staffVenue(ctx, staff, slug)
	if err != nil {
		return nil, err
	}
	return g.records.CancelledSince(ctx, v.ID, v.Today(g.clock.Now()), since)
}

// OfflineScan is a scan a scanner made without a connection.
type OfflineScan struct {
	Code      string
	Gate      string
	Nonce     string
	ScannedAt time.Time
}

// OfflineResult is what became of one uploaded scan.
type OfflineResult struct {
	Nonce   string
	Result  string     // admitted, or a refusal's code
	Booking Booking    // when the code named one
	First   *Admission // already_admitted: the admission that came first
	Repeat  bool       // uploaded before; Result is the first upload's
}

// MaxOfflineBatch bounds one upload.
const MaxOfflineBatch = 500

// Upload records scans made offline as they happened: admitted at the time
// of the scan, idempotent by scanner and nonce. A second admission of one
// booking (two scanners offline) is reported with the first, not lost: its
// attempt is kept as already_admitted.
func (g *Admissions) Upload(ctx context.Context, staff User, slug, scannerID string, scans []OfflineScan) ([]OfflineResult, error) {
	v, err := g.staffVenue(ctx, staff, slug)
	if err != nil {
		return nil, err
	}
	var errs ValidationError
	if scannerID == "" || len(scannerID) > 64 {
		errs.Add("scanner_id", RuleRequired)
	}
	if len(scans) == 0 || len(scans) > MaxOfflineBatch {
		errs.AddLimit("scans", RuleTooLarge, MaxOfflineBatch)
	}
	for i, s := range scans {
		if s.Nonce == "" || len(s.Nonce) > 64 {
			errs.AddAt(ElementField("scans", i, "nonce"), RuleRequired)
		}
		if checkGate(s.Gate) != nil {
			errs.AddAt(ElementField("scans", i, "gate"), RuleGate)
		}
		if s.ScannedAt.IsZero() || s.ScannedAt.After(g.clock.Now().Add(5*time.Minute)) {
			errs.AddAt(ElementField("scans", i, "scanned_at"), RuleDate)
		}
	}
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	out := make([]OfflineResult, len(scans))
	admittedToday := false
	for i, s := range scans {
		out[i], err = g.uploadOne(ctx, v, staff, scannerID, s)
		if err != nil {
			return nil, err
		}
		if out[i].Result == AttemptAdmitted && !out[i].Repeat && v.Today(s.ScannedAt) == v.Today(g.clock.Now()) {
			admittedToday = true
		}
	}
	if admittedToday {
		// People let in offline are inside: count them from the records.
		if err := g.counter.Forget(ctx, VenueDay{VenueID: v.ID, Date: v.Today(g.clock.Now())}); err != nil {
			g.log.WarnContext(ctx, "forget occupancy after offline upload", "venue", v.Slug, "err", err)
		}
	}
	return out, nil
}

func (g *Admissions) uploadOne(ctx context.Context, v Venue, staff User, scannerID string, s OfflineScan) (OfflineResult, error) {
	res := OfflineResult{Nonce: s.Nonce}
	if first, err := g.records.AttemptByNonce(ctx, v.ID, scannerID, s.Nonce); err == nil {
		res.Result, res.Repeat = first.Result, true
		if first.BookingID != 0 {
			res.Booking, _ = g.store.Booking(ctx, first.BookingID)
		}
		return res, nil
	} else if !errors.Is(err, ErrNotFound) {
		return res, err
	}
	attempt := Attempt{VenueID: v.ID, Gate: s.Gate, UserID: staff.ID, ScannerID: scannerID, Nonce: s.Nonce, Offline: true, At: s.ScannedAt}
	record := func(refusal error) (OfflineResult, error) {
		res.Result = string(CodeOf(refusal))
		var de *Error
		if errors.As(refusal, &de) && de.Admission != nil {
			res.First = de.Admission
		}
		attempt.Result = res.Result
		return res, g.records.RecordAttempt(ctx, attempt)
	}
	p, err := DecodeCode(s.Code, g.signer)
	if err != nil {
		return record(ErrInvalidCode)
	}
	b, err := g.store.Booking(ctx, p.BookingID)
	if errors.Is(err, ErrNotFound) || (err == nil && (b.VenueID != p.VenueID || b.Slot.ID != p.SlotID)) {
		return record(ErrInvalidCode)
	}
	if err != nil {
		return res, err
	}
	res.Booking, attempt.BookingID = b, b.ID
	// The rules of an online scan, at the moment of the scan: venue, day and
	// admission window, cancelled (let in offline though cancelled: the
	// scanner's list was stale, and it is reported), already admitted.
	if err := g.rules(ctx, v, b, s.ScannedAt); err != nil {
		return record(err)
	}
	attempt.Result = AttemptAdmitted
	a, err := g.records.AdmitBooking(ctx, Admission{BookingID: b.ID, VenueID: v.ID, Date: b.Slot.Date,
		PartySize: b.PartySize, Gate: s.Gate, UserID: staff.ID, Source: AdmittedOffline, ScannerID: scannerID, At: s.ScannedAt}, attempt)
	switch {
	case errors.Is(err, ErrAlreadyAdmitted):
		return record(g.alreadyAdmitted(ctx, b, nil))
	case errors.Is(err, ErrCancelledBooking), errors.Is(err, ErrNotAdmissible):
		return record(err)
	case err != nil:
		return res, err
	}
	res.Result = AttemptAdmitted
	res.Booking = res.Booking.admittedPersons(a.Positions, s.ScannedAt)
	return res, nil
}
