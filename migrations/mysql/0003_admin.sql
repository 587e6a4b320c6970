-- Capacity policy, quotas set by hand, frozen slots, closures, the audit
-- log and the outbox of notifications.

-- A venue's approved capacities and the share of them in force (30, 50,
-- 75 %); quotas follow from them unless a slot is set by hand.
-- hours_by_weekday overrides open/close per weekday: "6=08:00-18:00,7=08:00-18:00".
ALTER TABLE venues
  ADD COLUMN approved_daily_capacity INT NOT NULL DEFAULT 0,
  ADD COLUMN approved_instantaneous_capacity INT NOT NULL DEFAULT 0,
  ADD COLUMN policy_ratio_pct INT NOT NULL DEFAULT 100,
  ADD COLUMN held_back_pct INT NOT NULL DEFAULT 0,
  ADD COLUMN held_back_release VARCHAR(5) CHARACTER SET ascii NOT NULL DEFAULT '17:00',
  ADD COLUMN hours_by_weekday VARCHAR(200) CHARACTER SET ascii NOT NULL DEFAULT '';

-- manual_quota: set by hand, not moved by the venue's default or ratio.
-- flagged: left above its quota by a lowered quota; it sells nothing more.
ALTER TABLE slots
  ADD COLUMN manual_quota TINYINT NOT NULL DEFAULT 0,
  ADD COLUMN flagged TINYINT NOT NULL DEFAULT 0;

CREATE TABLE closures (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  venue_id BIGINT NOT NULL,
  visit_date CHAR(10) CHARACTER SET ascii NOT NULL,
  slot_id BIGINT NULL,
  reason VARCHAR(500) NOT NULL,
  user_id BIGINT NOT NULL,
  bookings_cancelled INT NOT NULL,
  created_at DATETIME(3) NOT NULL,
  KEY idx_closures_venue_day (venue_id, visit_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Who changed what, when, from what to what, and why.
CREATE TABLE audit_log (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at BIGINT NOT NULL, -- Unix milliseconds
  user_id BIGINT NULL,
  username VARCHAR(64) NOT NULL,
  kind VARCHAR(32) CHARACTER SET ascii NOT NULL,
  venue_id BIGINT NULL,
  subject VARCHAR(100) NOT NULL,
  reason VARCHAR(500) NOT NULL DEFAULT '',
  before_json TEXT NULL,
  after_json TEXT NULL,
  KEY idx_audit_at (at),
  KEY idx_audit_venue_at (venue_id, at),
  KEY idx_audit_kind_at (kind, at),
  KEY idx_audit_user_at (username, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Notifications to visitors, written in the transaction that causes them
-- and sent later, with retries; one per kind and booking.
CREATE TABLE outbox (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  kind VARCHAR(32) CHARACTER SET ascii NOT NULL,
  booking_id BIGINT NOT NULL,
  phone VARCHAR(20) CHARACTER SET ascii NOT NULL,
  payload TEXT NOT NULL,
  created_at DATETIME(3) NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  claimed_until BIGINT NOT NULL DEFAULT 0,
  sent_at DATETIME(3) NULL,
  last_error VARCHAR(500) NOT NULL DEFAULT '',
  UNIQUE KEY uq_outbox_kind_booking (kind, booking_id),
  KEY idx_outbox_due (sent_at, next_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
