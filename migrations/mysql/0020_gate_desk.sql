-- Admission a person at a time, the origin kept for the reports, and the
-- special days of the holiday calendar.

-- A booking may be admitted in several steps (a family arriving apart):
-- one admission row per step, naming the positions it let in.
ALTER TABLE admissions ADD COLUMN positions VARCHAR(255) CHARACTER SET ascii NOT NULL DEFAULT '';
CREATE INDEX idx_admissions_booking ON admissions (booking_id);
ALTER TABLE admissions DROP INDEX uq_admissions_booking;

-- origin: the province code of a resident ID (its first two digits) or the
-- ID type; kept when names and hashes are erased, for the origin report.
ALTER TABLE booking_visitors ADD COLUMN origin VARCHAR(20) CHARACTER SET ascii NOT NULL DEFAULT '';
UPDATE booking_visitors SET origin = CASE WHEN id_type = 'resident_id' THEN SUBSTRING(id_masked, 1, 2) ELSE id_type END;
CREATE INDEX idx_visitors_venue_day ON booking_visitors (venue_id, visit_date);

-- A day that departs from the weekly rule: open (with its own hours) or
-- closed, with the reason.
CREATE TABLE venue_days (
  venue_id BIGINT NOT NULL,
  visit_date CHAR(10) CHARACTER SET ascii NOT NULL,
  is_open TINYINT NOT NULL,
  open_minute SMALLINT NOT NULL DEFAULT 0,
  close_minute SMALLINT NOT NULL DEFAULT 0,
  reason VARCHAR(500) NOT NULL DEFAULT '',
  updated_by BIGINT NOT NULL DEFAULT 0,
  updated_at DATETIME(3) NOT NULL,
  PRIMARY KEY (venue_id, visit_date),
  CONSTRAINT fk_venue_days_venue FOREIGN KEY (venue_id) REFERENCES venues (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
