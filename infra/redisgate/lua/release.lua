-- Announce that places are about to be given back (a cancellation), as a
-- hold of negative places. It frees nothing yet: the store commits first,
-- and settle then takes the places off booked.
-- KEYS[1] bucket, KEYS[2] holds; ARGV[1] hold, ARGV[2] places, ARGV[3] now (ms)
-- Returns 1, or 0 when the bucket is not loaded (nothing to keep in step).
local expires = redis.call('HGET', KEYS[1], 'expires')
if not expires then
  return 0
end
if redis.call('HSETNX', KEYS[2], ARGV[1], '-' .. ARGV[2] .. ':' .. ARGV[3]) == 1 then
  redis.call('PEXPIREAT', KEYS[2], expires)
  redis.call('HINCRBY', KEYS[1], 'seq', 1)
end
return 1
