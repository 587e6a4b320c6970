-- A booking's short number and its persons, each with a status of their own.

-- booking_number: 10 random digits, printed beside the code and read aloud at a desk;
-- bookings made before it have none. party_booked is the party size the
-- booking was made with, which its signed code carries; party_size counts
-- the persons not cancelled.
ALTER TABLE bookings ADD COLUMN booking_number TEXT NULL;
ALTER TABLE bookings ADD COLUMN party_booked INTEGER NOT NULL DEFAULT 0;
UPDATE bookings SET party_booked = party_size;
CREATE UNIQUE INDEX uq_bookings_number ON bookings (booking_number);
CREATE INDEX idx_bookings_phone ON bookings (phone, created_at);

-- Each person stands on their own: confirmed, admitted, cancelled or
-- no_show; position counts from 1 and never changes.
ALTER TABLE booking_visitors ADD COLUMN status TEXT NOT NULL DEFAULT 'confirmed';
ALTER TABLE booking_visitors ADD COLUMN admitted_at DATETIME NULL;
UPDATE booking_visitors SET position = position + 1;
UPDATE booking_visitors SET status = (SELECT b.status FROM bookings b WHERE b.id = booking_visitors.booking_id);
UPDATE booking_visitors SET admitted_at = (SELECT a.admitted_at FROM admissions a WHERE a.booking_id = booking_visitors.booking_id)
  WHERE status = 'admitted';
CREATE UNIQUE INDEX uq_visitors_booking_position ON booking_visitors (booking_id, position);
