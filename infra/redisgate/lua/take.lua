-- Take places for one request under a hold.
-- KEYS[1] bucket hash {quota, booked, pending, open, seq}
-- KEYS[2] holds hash {hold -> "places:ms"}
-- ARGV[1] hold, ARGV[2] places, ARGV[3] now (ms)
-- Returns {outcome, remaining, pending}: outcome 0 taken, 1 sold out, 2 closed,
-- 3 not loaded, 4 fenced (reconciliation is letting the holds drain: ask
-- again shortly); pending is what requests in flight hold and may give back.
-- A fence is a deadline in Redis's own clock, so that it ends on time
-- whatever the clocks of the instances say.
-- Safe to run twice for one hold: the second run finds the hold and takes nothing.
local b = redis.call('HMGET', KEYS[1], 'quota', 'booked', 'pending', 'open', 'fence')
if not b[1] then
  return {3, 0, 0}
end
local pending = tonumber(b[3])
local remaining = tonumber(b[1]) - tonumber(b[2]) - pending
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then
  return {0, remaining, pending}
end
if b[5] then
  local t = redis.call('TIME')
  if tonumber(b[5]) > tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) then
    return {4, remaining, pending}
  end
end
if b[4] ~= '1' then
  return {2, remaining, pending}
end
local n = tonumber(ARGV[2])
if n > remaining then
  return {1, remaining, pending}
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
-- The holds live as long as their bucket.
redis.call('PEXPIRE', KEYS[2], math.max(redis.call('PTTL', KEYS[1]), 1000))
redis.call('HINCRBY', KEYS[1], 'pending', n)
redis.call('HINCRBY', KEYS[1], 'seq', 1)
return {0, remaining - n, pending + n}
