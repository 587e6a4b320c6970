-- Staff accounts, their sessions, and what happens at the gate: admissions,
-- every admission attempt, and exits.

CREATE TABLE users (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username VARCHAR(64) NOT NULL,
  password_hash VARCHAR(100) CHARACTER SET ascii NOT NULL,
  role VARCHAR(16) CHARACTER SET ascii NOT NULL,
  disabled TINYINT NOT NULL DEFAULT 0,
  created_at DATETIME(3) NOT NULL,
  updated_at DATETIME(3) NOT NULL,
  UNIQUE KEY uq_users_username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The venues a staff member serves (admins serve all).
CREATE TABLE user_venues (
  user_id BIGINT NOT NULL,
  venue_id BIGINT NOT NULL,
  PRIMARY KEY (user_id, venue_id),
  CONSTRAINT fk_user_venues_user FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT fk_user_venues_venue FOREIGN KEY (venue_id) REFERENCES venues (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Signed-in sessions, by the SHA-256 of their token: the token itself is
-- never stored. expires_at is Unix seconds.
CREATE TABLE sessions (
  token_hash CHAR(64) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  user_id BIGINT NOT NULL,
  created_at DATETIME(3) NOT NULL,
  expires_at BIGINT NOT NULL,
  KEY idx_sessions_user (user_id),
  CONSTRAINT fk_sessions_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- One row per admitted booking: the unique key is the last word on "a
-- confirmation admits once".
CREATE TABLE admissions (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  booking_id BIGINT NOT NULL,
  venue_id BIGINT NOT NULL,
  visit_date CHAR(10) CHARACTER SET ascii NOT NULL,
  party_size INT NOT NULL,
  gate VARCHAR(64) NOT NULL,
  user_id BIGINT NOT NULL,
  source VARCHAR(16) CHARACTER SET ascii NOT NULL,
  scanner_id VARCHAR(64) NULL,
  admitted_at DATETIME(3) NOT NULL,
  UNIQUE KEY uq_admissions_booking (booking_id),
  KEY idx_admissions_venue_day (venue_id, visit_date),
  CONSTRAINT fk_admissions_booking FOREIGN KEY (booking_id) REFERENCES bookings (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Every scan and its result, who made it, where and when. A retried request
-- (same user and request id) or a re-uploaded offline scan (same scanner
-- and nonce) finds its first row.
CREATE TABLE admission_attempts (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  venue_id BIGINT NOT NULL,
  booking_id BIGINT NULL,
  gate VARCHAR(64) NOT NULL,
  user_id BIGINT NOT NULL,
  result VARCHAR(32) CHARACTER SET ascii NOT NULL,
  request_id VARCHAR(64) NULL,
  scanner_id VARCHAR(64) NULL,
  nonce VARCHAR(64) NULL,
  offline TINYINT NOT NULL DEFAULT 0,
  at DATETIME(3) NOT NULL,
  UNIQUE KEY uq_attempts_request (user_id, request_id),
  UNIQUE KEY uq_attempts_scan (scanner_id, nonce),
  KEY idx_attempts_venue_at (venue_id, at),
  KEY idx_attempts_booking (booking_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE exits (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  venue_id BIGINT NOT NULL,
  visit_date CHAR(10) CHARACTER SET ascii NOT NULL,
  gate VARCHAR(64) NOT NULL,
  people INT NOT NULL,
  user_id BIGINT NOT NULL,
  request_id VARCHAR(64) NULL,
  at DATETIME(3) NOT NULL,
  UNIQUE KEY uq_exits_request (user_id, request_id),
  KEY idx_exits_venue_day (venue_id, visit_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
