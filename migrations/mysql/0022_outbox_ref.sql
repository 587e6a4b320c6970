-- A booking may be told more than once of one kind of event: a party
-- cancelled at the desk a person at a time hears of each cancellation.
-- ref names the event within its booking (for a desk cancellation, the
-- positions it cancelled; '' for the kinds that happen once), so that the
-- outbox still holds one message per event and never two.
ALTER TABLE outbox ADD COLUMN ref VARCHAR(64) CHARACTER SET ascii NOT NULL DEFAULT '',
  DROP INDEX uq_outbox_kind_booking,
  ADD UNIQUE KEY uq_outbox_kind_booking_ref (kind, booking_id, ref);
