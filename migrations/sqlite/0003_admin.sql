-- Capacity policy, quotas set by hand, frozen slots, closures, the audit
-- log and the outbox of notifications.

-- A venue's approved capacities and the share of them in force (30, 50,
-- 75 %); quotas follow from them unless a slot is set by hand.
-- hours_by_weekday overrides open/close per weekday: "6=08:00-18:00,7=08:00-18:00".
ALTER TABLE venues ADD COLUMN approved_daily_capacity INTEGER NOT NULL DEFAULT 0;
ALTER TABLE venues ADD COLUMN approved_instantaneous_capacity INTEGER NOT NULL DEFAULT 0;
ALTER TABLE venues ADD COLUMN policy_ratio_pct INTEGER NOT NULL DEFAULT 100;
ALTER TABLE venues ADD COLUMN held_back_pct INTEGER NOT NULL DEFAULT 0;
ALTER TABLE venues ADD COLUMN held_back_release TEXT NOT NULL DEFAULT '17:00';
ALTER TABLE venues ADD COLUMN hours_by_weekday TEXT NOT NULL DEFAULT '';

-- manual_quota: set by hand, not moved by the venue's default or ratio.
-- flagged: left above its quota by a lowered quota; it sells nothing more.
ALTER TABLE slots ADD COLUMN manual_quota INTEGER NOT NULL DEFAULT 0;
ALTER TABLE slots ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;

CREATE TABLE closures (
  id INTEGER PRIMARY KEY,
  venue_id INTEGER NOT NULL,
  visit_date TEXT NOT NULL,
  slot_id INTEGER NULL,
  reason TEXT NOT NULL,
  user_id INTEGER NOT NULL,
  bookings_cancelled INTEGER NOT NULL,
  created_at DATETIME NOT NULL
);
CREATE INDEX idx_closures_venue_day ON closures (venue_id, visit_date);

-- Who changed what, when, from what to what, and why.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL, -- Unix milliseconds
  user_id INTEGER NULL,
  username TEXT NOT NULL,
  kind TEXT NOT NULL,
  venue_id INTEGER NULL,
  subject TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  before_json TEXT NULL,
  after_json TEXT NULL
);
CREATE INDEX idx_audit_at ON audit_log (at);
CREATE INDEX idx_audit_venue_at ON audit_log (venue_id, at);
CREATE INDEX idx_audit_kind_at ON audit_log (kind, at);
CREATE INDEX idx_audit_user_at ON audit_log (username, at);

-- Notifications to visitors, written in the transaction that causes them
-- and sent later, with retries; one per kind and booking.
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  booking_id INTEGER NOT NULL,
  phone TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  claimed_until INTEGER NOT NULL DEFAULT 0,
  sent_at DATETIME NULL,
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX uq_outbox_kind_booking ON outbox (kind, booking_id);
CREATE INDEX idx_outbox_due ON outbox (sent_at, next_attempt_at);
