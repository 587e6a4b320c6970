// Package domain is slotgate's rules and use cases, with the interfaces
// (ports) they need from the outside; it imports the standard library
// only. The adapters live in infra (the store, the Redis counts, codes and
// notifications), the HTTP face in api and its page packages, and
// internal/app wires one to the other.
//
// What there is: venues with their policy (Venue), the timed-entry slots
// made from it (Slot, with the SlotStatus staff decide and the SlotState a
// visitor sees), bookings of up to a few visitors each (Booking, Visitor),
// the admissions at the entrance gates (Admission, Attempt, Exit), staff
// accounts (User, Session), and the audit log.
//
// The use cases, each a type built once by its New function:
//
//   - Catalog: the venues and slots that exist, cached for a few seconds,
//     with the places left read from the capacity gate;
//   - Bookings: book, read and cancel, and the standby list; the path of a
//     booking is the one DESIGN.md describes (take places in the
//     CapacityGate, commit in the Store, settle);
//   - Admissions: admit a party by its code at an entrance gate, walk-ins,
//     exits and occupancy (OccupancyCounter), offline scanners;
//   - Accounts: staff sign-in, sessions and passwords;
//   - Admin: venues and quotas, closures, staff accounts, the audit log and
//     the live picture;
//   - Fairness: no-shows and restrictions, held-back places, the standby
//     list's sweep, erasing personal data;
//   - Schedule (slots from policy), Reconciler (the capacity gate repaired
//     from the store, the truth) and Postman (the notification outbox).
//
// Use cases call each other only through exported methods (Admin asks
// Bookings.PromoteStandby, Fairness asks Bookings.ForgetRestrictions).
// Refusals are *Error values with a Code, and *ValidationError lists each
// wrong field by its FieldPath and Rule; the API turns both into words.
// The time of the rules (slot windows, booking days, admission windows)
// comes from an injected Clock; only the in-memory caches' lifetimes
// (Catalog, the restriction cache, LocalLimiter) run on the wall clock.
package domain
