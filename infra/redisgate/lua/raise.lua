-- Raise a bucket's booked count to what the store says, less what requests
-- in flight hold: after a failover the bucket may lack bookings the store
-- committed (their take or settle was lost with the old master). A hold
-- still here may belong to a booking the store counted already, which its
-- settle will add again: discounting every hold errs toward counting too
-- few, which the store's guarded update makes harmless. When the store's
-- slot is full no hold can commit, and nothing is discounted.
-- KEYS[1] bucket, KEYS[2] holds; ARGV[1] the store's booked count,
-- ARGV[2] '1' to discount holds.
-- Returns the places added (0 when the bucket counted as many or more).
local booked = redis.call('HGET', KEYS[1], 'booked')
if not booked then
  return 0
end
local target = tonumber(ARGV[1])
if ARGV[2] == '1' then
  for _, v in ipairs(redis.call('HVALS', KEYS[2])) do
    local n = tonumber(string.match(v, '^(-?%d+):'))
    if n > 0 then
      target = target - n
    end
  end
end
local add = target - tonumber(booked)
if add <= 0 then
  return 0
end
redis.call('HINCRBY', KEYS[1], 'booked', add)
redis.call('HINCRBY', KEYS[1], 'seq', 1)
return add
