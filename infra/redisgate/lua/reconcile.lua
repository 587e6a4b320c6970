-- Repair a bucket from the store's counts, while traffic goes on.
-- The caller read the bucket (its generation and its counters of settled
-- places and applied changes) before it read the store. Holds still in
-- flight, and holds settled since that read, may or may not be in the
-- store's count: the store's booked bounds the true booked count only
-- within what they add up to. A booked count outside those bounds is moved
-- to the nearest bound (never past the truth); one inside is left, and
-- later passes, with other holds in flight, narrow it further. Pending is
-- set to what the holds hold, exactly.
-- Holds older than the stale age belong to requests that died: they are
-- dropped first, and the repair left to the next pass. An announced change
-- in flight or applied since the read, or a bucket loaded again since, makes
-- the pass leave the bucket alone.
-- KEYS[1] bucket, KEYS[2] holds
-- ARGV[1] quota, ARGV[2] booked, ARGV[3] open: the store's;
-- ARGV[4] gen, ARGV[5] in, ARGV[6] out, ARGV[7] adj: the bucket's, read before the store;
-- ARGV[8] now (ms), ARGV[9] stale age (ms)
-- Returns {outcome, drift, loose}: outcome 0 agreed (exactly), 1 repaired,
-- 2 busy (a change or reload since the read, or within bounds not yet
-- tight), 3 stale, 4 not loaded; drift is the gate's taken count before the
-- repair minus after; loose is 1 when holds left the bounds open, so that a
-- repair may have been partial and an agreement is not known: the caller
-- fences the bucket for a moment and tries again with nothing in flight.
local b = redis.call('HMGET', KEYS[1], 'quota', 'booked', 'pending', 'open', 'gen', 'in', 'out', 'adj')
if not b[1] then
  return {4, 0, 0}
end
local holds = redis.call('HGETALL', KEYS[2])
local now, stale = tonumber(ARGV[8]), tonumber(ARGV[9])
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
  return {3, 0, 0}
end
if (b[5] or '') ~= ARGV[4] or tonumber(b[8] or 0) ~= tonumber(ARGV[7]) then
  return {2, 0, 0}
end
local settledIn = tonumber(b[6] or 0) - tonumber(ARGV[5])
local settledOut = tonumber(b[7] or 0) - tonumber(ARGV[6])
if settledIn < 0 or settledOut < 0 then
  return {2, 0, 0}
end
local taking, giving = 0, 0
for i = 1, #holds, 2 do
  local n = tonumber(string.match(holds[i + 1], '^(-?%d+):'))
  if n == 0 then
    return {2, 0, 0} -- an announced change in flight
  elseif n > 0 then
    taking = taking + n
  else
    giving = giving - n
  end
end
local storeBooked = tonumber(ARGV[2])
local lo, hi = storeBooked - taking - settledOut, storeBooked + giving + settledIn
local booked, pending = tonumber(b[2]), tonumber(b[3])
local target = booked
if booked < lo then
  target = lo
elseif booked > hi then
  target = hi
end
if b[1] == ARGV[1] and target == booked and pending == taking and b[4] == ARGV[3] then
  if lo == hi then
    return {0, 0, 0}
  end
  return {2, 0, 1} -- within bounds that holds in flight leave open: not known to agree
end
redis.call('HSET', KEYS[1], 'quota', ARGV[1], 'booked', target, 'pending', taking, 'open', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'seq', 1)
local loose = 0
if lo < hi then
  loose = 1
end
return {1, booked + pending - target - taking, loose}
