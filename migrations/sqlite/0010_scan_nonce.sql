-- Offline scan nonces are unique per venue and scanner: two venues may
-- both name a scanner scn-1.
DROP INDEX uq_attempts_scan;
CREATE UNIQUE INDEX uq_attempts_scan ON admission_attempts (venue_id, scanner_id, nonce);
