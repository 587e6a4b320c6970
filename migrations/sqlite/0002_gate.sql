-- Staff accounts, their sessions, and what happens at the gate: admissions,
-- every admission attempt, and exits.

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX uq_users_username ON users (username);

-- The venues a staff member serves (admins serve all).
CREATE TABLE user_venues (
  user_id INTEGER NOT NULL REFERENCES users (id),
  venue_id INTEGER NOT NULL REFERENCES venues (id),
  PRIMARY KEY (user_id, venue_id)
);

-- Signed-in sessions, by the SHA-256 of their token: the token itself is
-- never stored. expires_at is Unix seconds.
CREATE TABLE sessions (
  token_hash TEXT NOT NULL PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id),
  created_at DATETIME NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX idx_sessions_user ON sessions (user_id);

-- One row per admitted booking: the unique key is the last word on "a
-- confirmation admits once".
CREATE TABLE admissions (
  id INTEGER PRIMARY KEY,
  booking_id INTEGER NOT NULL REFERENCES bookings (id),
  venue_id INTEGER NOT NULL,
  visit_date TEXT NOT NULL,
  party_size INTEGER NOT NULL,
  gate TEXT NOT NULL,
  user_id INTEGER NOT NULL,
  source TEXT NOT NULL,
  scanner_id TEXT NULL,
  admitted_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX uq_admissions_booking ON admissions (booking_id);
CREATE INDEX idx_admissions_venue_day ON admissions (venue_id, visit_date);

-- Every scan and its result, who made it, where and when. A retried request
-- (same user and request id) or a re-uploaded offline scan (same scanner
-- and nonce) finds its first row.
CREATE TABLE admission_attempts (
  id INTEGER PRIMARY KEY,
  venue_id INTEGER NOT NULL,
  booking_id INTEGER NULL,
  gate TEXT NOT NULL,
  user_id INTEGER NOT NULL,
  result TEXT NOT NULL,
  request_id TEXT NULL,
  scanner_id TEXT NULL,
  nonce TEXT NULL,
  offline INTEGER NOT NULL DEFAULT 0,
  at DATETIME NOT NULL
);
CREATE UNIQUE INDEX uq_attempts_request ON admission_attempts (user_id, request_id);
CREATE UNIQUE INDEX uq_attempts_scan ON admission_attempts (scanner_id, nonce);
CREATE INDEX idx_attempts_venue_at ON admission_attempts (venue_id, at);
CREATE INDEX idx_attempts_booking ON admission_attempts (booking_id);

CREATE TABLE exits (
  id INTEGER PRIMARY KEY,
  venue_id INTEGER NOT NULL,
  visit_date TEXT NOT NULL,
  gate TEXT NOT NULL,
  people INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  request_id TEXT NULL,
  at DATETIME NOT NULL
);
CREATE UNIQUE INDEX uq_exits_request ON exits (user_id, request_id);
CREATE INDEX idx_exits_venue_day ON exits (venue_id, visit_date);
