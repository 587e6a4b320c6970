-- Announce that places are about to be given back (a cancellation), as a
-- hold of negative places. It frees nothing yet: the store commits first,
-- and settle then takes the places off booked.
-- KEYS[1] bucket, KEYS[2] holds; ARGV[1] hold, ARGV[2] places, ARGV[3] now (ms)
-- Returns 1, or 0 when the bucket is not loaded (nothing to keep in step).
if redis.call('HEXISTS', KEYS[1], 'quota') == 0 then
  return 0
end
if redis.call('HSETNX', KEYS[2], ARGV[1], '-' .. ARGV[2] .. ':' .. ARGV[3]) == 1 then
  redis.call('PEXPIRE', KEYS[2], math.max(redis.call('PTTL', KEYS[1]), 1000))
  redis.call('HINCRBY', KEYS[1], 'seq', 1)
end
return 1
