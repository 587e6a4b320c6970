-- Venues, their slots, bookings and the people in them.
-- Slot times are Unix seconds (UTC instants); visit_date is the venue-local day.

CREATE TABLE venues (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  slug VARCHAR(64) CHARACTER SET ascii NOT NULL,
  name_zh VARCHAR(128) NOT NULL,
  name_en VARCHAR(128) NOT NULL,
  kind VARCHAR(32) NOT NULL,
  timezone VARCHAR(64) NOT NULL,
  open_minute SMALLINT NOT NULL,
  close_minute SMALLINT NOT NULL,
  closed_weekdays VARCHAR(32) NOT NULL DEFAULT '',
  slot_minutes INT NOT NULL,
  default_quota INT NOT NULL,
  booking_window_days INT NOT NULL,
  max_party_size INT NOT NULL,
  admission_minutes_before INT NOT NULL,
  instantaneous_capacity INT NOT NULL,
  gate_flow_per_minute INT NOT NULL,
  gate_burst INT NOT NULL,
  created_at DATETIME(3) NOT NULL,
  updated_at DATETIME(3) NOT NULL,
  UNIQUE KEY uq_venues_slug (slug)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE slots (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  venue_id BIGINT NOT NULL,
  visit_date CHAR(10) CHARACTER SET ascii NOT NULL,
  starts_at BIGINT NOT NULL,
  ends_at BIGINT NOT NULL,
  quota INT NOT NULL,
  booked INT NOT NULL DEFAULT 0,
  status VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'open',
  created_at DATETIME(3) NOT NULL,
  UNIQUE KEY uq_slots_venue_start (venue_id, starts_at),
  KEY idx_slots_venue_date (venue_id, visit_date),
  KEY idx_slots_ends (ends_at),
  CONSTRAINT fk_slots_venue FOREIGN KEY (venue_id) REFERENCES venues (id),
  CONSTRAINT ck_slots_booked CHECK (booked >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE bookings (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  venue_id BIGINT NOT NULL,
  slot_id BIGINT NOT NULL,
  visit_date CHAR(10) CHARACTER SET ascii NOT NULL,
  party_size INT NOT NULL,
  status VARCHAR(16) CHARACTER SET ascii NOT NULL,
  phone VARCHAR(20) CHARACTER SET ascii NOT NULL,
  idempotency_key CHAR(64) CHARACTER SET ascii NULL,
  fingerprint CHAR(64) CHARACTER SET ascii NOT NULL,
  created_at DATETIME(3) NOT NULL,
  updated_at DATETIME(3) NOT NULL,
  cancelled_at DATETIME(3) NULL,
  UNIQUE KEY uq_bookings_idempotency (idempotency_key),
  KEY idx_bookings_slot_status (slot_id, status),
  KEY idx_bookings_venue_date (venue_id, visit_date),
  CONSTRAINT fk_bookings_slot FOREIGN KEY (slot_id) REFERENCES slots (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- One row per person of a party. The full ID number is never stored: a keyed
-- hash (for one booking per person per venue per day) and a masked form.
-- live is 1 while the booking holds the person's day and NULL once cancelled;
-- unique indexes let NULLs repeat, so a cancelled booking frees the day.
CREATE TABLE booking_visitors (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  booking_id BIGINT NOT NULL,
  venue_id BIGINT NOT NULL,
  visit_date CHAR(10) CHARACTER SET ascii NOT NULL,
  position TINYINT NOT NULL,
  name VARCHAR(64) NOT NULL,
  id_type VARCHAR(20) CHARACTER SET ascii NOT NULL,
  id_hash CHAR(64) CHARACTER SET ascii NOT NULL,
  id_masked VARCHAR(32) CHARACTER SET ascii NOT NULL,
  live TINYINT NULL,
  UNIQUE KEY uq_visitors_person_day (venue_id, visit_date, id_hash, live),
  KEY idx_visitors_booking (booking_id),
  CONSTRAINT fk_visitors_booking FOREIGN KEY (booking_id) REFERENCES bookings (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Values every instance must share, generated once: the code signing key and
-- the key of the ID hash.
CREATE TABLE settings (
  name VARCHAR(64) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  value TEXT NOT NULL,
  created_at DATETIME(3) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
