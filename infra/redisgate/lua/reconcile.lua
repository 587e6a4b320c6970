-- Set a bucket to the store's counts, if it did not change since the caller
-- read its seq (before reading the store) and holds nothing in flight.
-- Holds older than the stale age belong to requests that died: drop them
-- first, and leave the repair to the next pass.
-- KEYS[1] bucket, KEYS[2] holds
-- ARGV[1] quota, ARGV[2] booked, ARGV[3] open, ARGV[4] seq seen,
-- ARGV[5] now (ms), ARGV[6] stale age (ms)
-- Returns {outcome, drift}: outcome 0 agreed, 1 repaired, 2 busy, 3 stale,
-- 4 not loaded; drift is taken minus the store's booked before the repair.
local b = redis.call('HMGET', KEYS[1], 'quota', 'booked', 'pending', 'open', 'seq')
if not b[1] then
  return {4, 0}
end
local holds = redis.call('HGETALL', KEYS[2])
local now, stale = tonumber(ARGV[5]), tonumber(ARGV[6])
local dropped = 0
for i = 1, #holds, 2 do
  local n, at = string.match(holds[i + 1], '^(-?%d+):(%d+)$')
  if now - tonumber(at) > stale then
    redis.call('HDEL', KEYS[2], holds[i])
    dropped = dropped + 1
    if tonumber(n) > 0 then
      redis.call('HINCRBY', KEYS[1], 'pending', -tonumber(n))
    end
  end
end
if dropped > 0 then
  redis.call('HINCRBY', KEYS[1], 'seq', 1)
  return {3, 0}
end
if b[5] ~= ARGV[4] or #holds > 0 then
  return {2, 0}
end
local drift = tonumber(b[2]) + tonumber(b[3]) - tonumber(ARGV[2])
if b[1] == ARGV[1] and drift == 0 and b[3] == '0' and b[4] == ARGV[3] then
  return {0, 0}
end
redis.call('HSET', KEYS[1], 'quota', ARGV[1], 'booked', ARGV[2], 'pending', 0, 'open', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'seq', 1)
return {1, drift}
