-- Booking the slot under way and days that open at a set time; what a
-- visitor reads about a venue before booking; visitors signing in by phone.

ALTER TABLE venues
  ADD COLUMN booking_closes_minutes_before_end INT NOT NULL DEFAULT 15,
  ADD COLUMN release_time CHAR(5) CHARACTER SET ascii NOT NULL DEFAULT '00:00',
  ADD COLUMN address_zh VARCHAR(200) NOT NULL DEFAULT '',
  ADD COLUMN address_en VARCHAR(200) NOT NULL DEFAULT '',
  ADD COLUMN contact_phone VARCHAR(32) NOT NULL DEFAULT '',
  ADD COLUMN notice_zh VARCHAR(2000) NOT NULL DEFAULT '',
  ADD COLUMN notice_en VARCHAR(2000) NOT NULL DEFAULT '';

-- One live one-time code per phone, by the keyed hash of the phone; the
-- code itself is kept only as a keyed hash. Times are Unix seconds.
CREATE TABLE visitor_codes (
  phone_key CHAR(64) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  otp_hash CHAR(64) CHARACTER SET ascii NOT NULL,
  tries INT NOT NULL DEFAULT 0,
  sent_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A visitor signed in by phone, by the SHA-256 of the token.
CREATE TABLE visitor_sessions (
  token_hash CHAR(64) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  phone VARCHAR(20) CHARACTER SET ascii NOT NULL,
  created_at DATETIME(3) NOT NULL,
  expires_at BIGINT NOT NULL,
  KEY idx_visitor_sessions_expiry (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
