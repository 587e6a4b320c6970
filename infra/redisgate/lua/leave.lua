-- Count people out of a venue, never below zero.
-- KEYS[1] inside, KEYS[2] the hold of this exit; ARGV[1] people.
-- Returns {outcome, inside}: outcome 0 done, 1 not loaded. Safe to run twice.
local inside = redis.call('GET', KEYS[1])
if not inside then
  return {1, 0}
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {0, tonumber(inside)}
end
local left = math.max(tonumber(inside) - tonumber(ARGV[1]), 0)
redis.call('SET', KEYS[1], left, 'KEEPTTL')
redis.call('SET', KEYS[2], ARGV[1], 'PX', math.max(redis.call('PTTL', KEYS[1]), 1000))
return {0, left}
