-- Announce a change the store is about to commit (a quota change, a
-- held-back release, a closure, standby bookings), as a hold of no places.
-- While it stands, reconciliation leaves the bucket alone; adjust ends it
-- and applies the change once the store has committed.
-- KEYS[1] bucket, KEYS[2] holds; ARGV[1] hold, ARGV[2] now (ms)
-- Returns 1, or 0 when the bucket is not loaded (it will load from the store).
if redis.call('HEXISTS', KEYS[1], 'quota') == 0 then
  return 0
end
if redis.call('HSETNX', KEYS[2], ARGV[1], '0:' .. ARGV[2]) == 1 then
  redis.call('PEXPIRE', KEYS[2], math.max(redis.call('PTTL', KEYS[1]), 1000))
  redis.call('HINCRBY', KEYS[1], 'seq', 1)
end
return 1
