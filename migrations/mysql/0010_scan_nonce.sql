-- Offline scan nonces are unique per venue and scanner: two venues may
-- both name a scanner scn-1.
ALTER TABLE admission_attempts DROP INDEX uq_attempts_scan;
ALTER TABLE admission_attempts ADD UNIQUE KEY uq_attempts_scan (venue_id, scanner_id, nonce);
