-- Fair access: no-shows and the restrictions they earn, the standby list,
-- held-back places, and erasure of personal data after the visit.

-- Per venue: a booking not admitted by its slot's end plus the grace is a
-- no-show; so many no-shows within the window restrict an ID for so many
-- days; names and masked IDs are erased so many days after the visit.
ALTER TABLE venues ADD COLUMN no_show_grace_minutes INTEGER NOT NULL DEFAULT 30;
ALTER TABLE venues ADD COLUMN no_show_strikes INTEGER NOT NULL DEFAULT 3;
ALTER TABLE venues ADD COLUMN no_show_window_days INTEGER NOT NULL DEFAULT 180;
ALTER TABLE venues ADD COLUMN restriction_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE venues ADD COLUMN erase_after_days INTEGER NOT NULL DEFAULT 30;

-- held_back places of the quota open only at held_back_release_at (Unix
-- seconds); until then a booking may take at most quota - held_back.
ALTER TABLE slots ADD COLUMN held_back INTEGER NOT NULL DEFAULT 0;
ALTER TABLE slots ADD COLUMN held_back_release_at INTEGER NOT NULL DEFAULT 0;

-- erased: the booking's names, masked IDs and phone are gone.
ALTER TABLE bookings ADD COLUMN erased INTEGER NOT NULL DEFAULT 0;

CREATE INDEX idx_slots_held_back ON slots (held_back_release_at, held_back);

-- One row per person of a booking marked no-show: the strikes.
CREATE TABLE no_shows (
  id INTEGER PRIMARY KEY,
  venue_id INTEGER NOT NULL,
  id_hash TEXT NOT NULL,
  booking_id INTEGER NOT NULL,
  visit_date TEXT NOT NULL
);
CREATE UNIQUE INDEX uq_no_shows_booking_person ON no_shows (booking_id, id_hash);
CREATE INDEX idx_no_shows_person ON no_shows (venue_id, id_hash, visit_date);

CREATE TABLE restrictions (
  id INTEGER PRIMARY KEY,
  venue_id INTEGER NOT NULL,
  id_hash TEXT NOT NULL,
  id_masked TEXT NOT NULL,
  until_date TEXT NOT NULL,
  strikes INTEGER NOT NULL,
  created_at DATETIME NOT NULL,
  lifted_at DATETIME NULL,
  lifted_by TEXT NULL
);
CREATE INDEX idx_restrictions_person ON restrictions (venue_id, id_hash, until_date);

-- People waiting for places in a full slot, first come first served.
CREATE TABLE standby (
  id INTEGER PRIMARY KEY,
  token TEXT NOT NULL,
  slot_id INTEGER NOT NULL,
  venue_id INTEGER NOT NULL,
  visit_date TEXT NOT NULL,
  party_size INTEGER NOT NULL,
  phone TEXT NOT NULL,
  status TEXT NOT NULL,
  booking_id INTEGER NULL,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX uq_standby_token ON standby (token);
CREATE INDEX idx_standby_slot ON standby (slot_id, status, id);

CREATE TABLE standby_visitors (
  id INTEGER PRIMARY KEY,
  standby_id INTEGER NOT NULL REFERENCES standby (id),
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  id_type TEXT NOT NULL,
  id_hash TEXT NOT NULL,
  id_masked TEXT NOT NULL
);
CREATE INDEX idx_standby_visitors ON standby_visitors (standby_id);
