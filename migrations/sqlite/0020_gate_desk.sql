-- Admission a person at a time, the origin kept for the reports, and the
-- special days of the holiday calendar.

-- A booking may be admitted in several steps (a family arriving apart):
-- one admission row per step, naming the positions it let in.
ALTER TABLE admissions ADD COLUMN positions TEXT NOT NULL DEFAULT '';
DROP INDEX uq_admissions_booking;
CREATE INDEX idx_admissions_booking ON admissions (booking_id);

-- origin: the province code of a resident ID (its first two digits) or the
-- ID type; kept when names and hashes are erased, for the origin report.
ALTER TABLE booking_visitors ADD COLUMN origin TEXT NOT NULL DEFAULT '';
UPDATE booking_visitors SET origin = CASE WHEN id_type = 'resident_id' THEN substr(id_masked, 1, 2) ELSE id_type END;
CREATE INDEX idx_visitors_venue_day ON booking_visitors (venue_id, visit_date);

-- A day that departs from the weekly rule: open (with its own hours) or
-- closed, with the reason.
CREATE TABLE venue_days (
  venue_id INTEGER NOT NULL REFERENCES venues (id),
  visit_date TEXT NOT NULL,
  is_open INTEGER NOT NULL,
  open_minute INTEGER NOT NULL DEFAULT 0,
  close_minute INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '',
  updated_by INTEGER NOT NULL DEFAULT 0,
  updated_at DATETIME NOT NULL,
  PRIMARY KEY (venue_id, visit_date)
);
