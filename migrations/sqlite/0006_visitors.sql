-- Booking the slot under way and days that open at a set time; what a
-- visitor reads about a venue before booking; visitors signing in by phone.

ALTER TABLE venues ADD COLUMN booking_closes_minutes_before_end INTEGER NOT NULL DEFAULT 15;
ALTER TABLE venues ADD COLUMN release_time TEXT NOT NULL DEFAULT '00:00';
ALTER TABLE venues ADD COLUMN address_zh TEXT NOT NULL DEFAULT '';
ALTER TABLE venues ADD COLUMN address_en TEXT NOT NULL DEFAULT '';
ALTER TABLE venues ADD COLUMN contact_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE venues ADD COLUMN notice_zh TEXT NOT NULL DEFAULT '';
ALTER TABLE venues ADD COLUMN notice_en TEXT NOT NULL DEFAULT '';

-- One live one-time code per phone, by the keyed hash of the phone; the
-- code itself is kept only as a keyed hash. Times are Unix seconds.
CREATE TABLE visitor_codes (
  phone_key TEXT NOT NULL PRIMARY KEY,
  otp_hash TEXT NOT NULL,
  tries INTEGER NOT NULL DEFAULT 0,
  sent_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);

-- A visitor signed in by phone, by the SHA-256 of the token.
CREATE TABLE visitor_sessions (
  token_hash TEXT NOT NULL PRIMARY KEY,
  phone TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX idx_visitor_sessions_expiry ON visitor_sessions (expires_at);
