-- Fair access: no-shows and the restrictions they earn, the standby list,
-- held-back places, and erasure of personal data after the visit.

-- Per venue: a booking not admitted by its slot's end plus the grace is a
-- no-show; so many no-shows within the window restrict an ID for so many
-- days; names and masked IDs are erased so many days after the visit.
ALTER TABLE venues
  ADD COLUMN no_show_grace_minutes INT NOT NULL DEFAULT 30,
  ADD COLUMN no_show_strikes INT NOT NULL DEFAULT 3,
  ADD COLUMN no_show_window_days INT NOT NULL DEFAULT 180,
  ADD COLUMN restriction_days INT NOT NULL DEFAULT 30,
  ADD COLUMN erase_after_days INT NOT NULL DEFAULT 30;

-- held_back places of the quota open only at held_back_release_at (Unix
-- seconds); until then a booking may take at most quota - held_back.
ALTER TABLE slots
  ADD COLUMN held_back INT NOT NULL DEFAULT 0,
  ADD COLUMN held_back_release_at BIGINT NOT NULL DEFAULT 0;

-- erased: the booking's names, masked IDs and phone are gone.
ALTER TABLE bookings ADD COLUMN erased TINYINT NOT NULL DEFAULT 0;

CREATE INDEX idx_slots_held_back ON slots (held_back_release_at, held_back);

-- One row per person of a booking marked no-show: the strikes.
CREATE TABLE no_shows (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  venue_id BIGINT NOT NULL,
  id_hash CHAR(64) CHARACTER SET ascii NOT NULL,
  booking_id BIGINT NOT NULL,
  visit_date CHAR(10) CHARACTER SET ascii NOT NULL,
  UNIQUE KEY uq_no_shows_booking_person (booking_id, id_hash),
  KEY idx_no_shows_person (venue_id, id_hash, visit_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE restrictions (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  venue_id BIGINT NOT NULL,
  id_hash CHAR(64) CHARACTER SET ascii NOT NULL,
  id_masked VARCHAR(32) CHARACTER SET ascii NOT NULL,
  until_date CHAR(10) CHARACTER SET ascii NOT NULL,
  strikes INT NOT NULL,
  created_at DATETIME(3) NOT NULL,
  lifted_at DATETIME(3) NULL,
  lifted_by VARCHAR(64) NULL,
  KEY idx_restrictions_person (venue_id, id_hash, until_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- People waiting for places in a full slot, first come first served.
CREATE TABLE standby (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  token CHAR(32) CHARACTER SET ascii NOT NULL,
  slot_id BIGINT NOT NULL,
  venue_id BIGINT NOT NULL,
  visit_date CHAR(10) CHARACTER SET ascii NOT NULL,
  party_size INT NOT NULL,
  phone VARCHAR(20) CHARACTER SET ascii NOT NULL,
  status VARCHAR(16) CHARACTER SET ascii NOT NULL,
  booking_id BIGINT NULL,
  created_at DATETIME(3) NOT NULL,
  updated_at DATETIME(3) NOT NULL,
  UNIQUE KEY uq_standby_token (token),
  KEY idx_standby_slot (slot_id, status, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE standby_visitors (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  standby_id BIGINT NOT NULL,
  position TINYINT NOT NULL,
  name VARCHAR(64) NOT NULL,
  id_type VARCHAR(20) CHARACTER SET ascii NOT NULL,
  id_hash CHAR(64) CHARACTER SET ascii NOT NULL,
  id_masked VARCHAR(32) CHARACTER SET ascii NOT NULL,
  KEY idx_standby_visitors (standby_id),
  CONSTRAINT fk_standby_visitors FOREIGN KEY (standby_id) REFERENCES standby (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
