-- Venues, their slots, bookings and the people in them.
-- Slot times are Unix seconds (UTC instants); visit_date is the venue-local day.

CREATE TABLE venues (
  id INTEGER PRIMARY KEY,
  slug TEXT NOT NULL,
  name_zh TEXT NOT NULL,
  name_en TEXT NOT NULL,
  kind TEXT NOT NULL,
  timezone TEXT NOT NULL,
  open_minute INTEGER NOT NULL,
  close_minute INTEGER NOT NULL,
  closed_weekdays TEXT NOT NULL DEFAULT '',
  slot_minutes INTEGER NOT NULL,
  default_quota INTEGER NOT NULL,
  booking_window_days INTEGER NOT NULL,
  max_party_size INTEGER NOT NULL,
  admission_minutes_before INTEGER NOT NULL,
  instantaneous_capacity INTEGER NOT NULL,
  gate_flow_per_minute INTEGER NOT NULL,
  gate_burst INTEGER NOT NULL,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX uq_venues_slug ON venues (slug);

CREATE TABLE slots (
  id INTEGER PRIMARY KEY,
  venue_id INTEGER NOT NULL REFERENCES venues (id),
  visit_date TEXT NOT NULL,
  starts_at INTEGER NOT NULL,
  ends_at INTEGER NOT NULL,
  quota INTEGER NOT NULL,
  booked INTEGER NOT NULL DEFAULT 0 CHECK (booked >= 0),
  status TEXT NOT NULL DEFAULT 'open',
  created_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX uq_slots_venue_start ON slots (venue_id, starts_at);
CREATE INDEX idx_slots_venue_date ON slots (venue_id, visit_date);
CREATE INDEX idx_slots_ends ON slots (ends_at);

CREATE TABLE bookings (
  id INTEGER PRIMARY KEY,
  venue_id INTEGER NOT NULL,
  slot_id INTEGER NOT NULL REFERENCES slots (id),
  visit_date TEXT NOT NULL,
  party_size INTEGER NOT NULL,
  status TEXT NOT NULL,
  phone TEXT NOT NULL,
  idempotency_key TEXT NULL,
  fingerprint TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  cancelled_at DATETIME NULL
);
CREATE UNIQUE INDEX uq_bookings_idempotency ON bookings (idempotency_key);
CREATE INDEX idx_bookings_slot_status ON bookings (slot_id, status);
CREATE INDEX idx_bookings_venue_date ON bookings (venue_id, visit_date);

-- One row per person of a party. The full ID number is never stored: a keyed
-- hash (for one booking per person per venue per day) and a masked form.
-- live is 1 while the booking holds the person's day and NULL once cancelled;
-- unique indexes let NULLs repeat, so a cancelled booking frees the day.
CREATE TABLE booking_visitors (
  id INTEGER PRIMARY KEY,
  booking_id INTEGER NOT NULL REFERENCES bookings (id),
  venue_id INTEGER NOT NULL,
  visit_date TEXT NOT NULL,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  id_type TEXT NOT NULL,
  id_hash TEXT NOT NULL,
  id_masked TEXT NOT NULL,
  live INTEGER NULL
);
CREATE UNIQUE INDEX uq_visitors_person_day ON booking_visitors (venue_id, visit_date, id_hash, live);
CREATE INDEX idx_visitors_booking ON booking_visitors (booking_id);

-- Values every instance must share, generated once: the code signing key and
-- the key of the ID hash.
CREATE TABLE settings (
  name TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL,
  created_at DATETIME NOT NULL
);
