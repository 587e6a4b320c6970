-- Let people into a venue: room inside and the gate's flow, atomically.
-- KEYS[1] people inside the venue today (string count)
-- KEYS[2] the gate's flow (GCRA theoretical arrival time, microseconds)
-- KEYS[3] the hold of this entry (what to undo)
-- ARGV[1] people, ARGV[2] capacity, ARGV[3] burst, ARGV[4] interval (us),
-- ARGV[5] now (us), or empty for Redis's own clock (tests move a clock of theirs)
-- Returns {outcome, inside, must_leave, retry_after_us}: outcome 0 entered,
-- 1 not loaded, 2 full, 3 flow limited. Safe to run twice: the hold
-- remembers the first run.
if redis.call('EXISTS', KEYS[3]) == 1 then
  return {0, tonumber(redis.call('GET', KEYS[1]) or 0), 0, 0}
end
local inside = redis.call('GET', KEYS[1])
if not inside then
  return {1, 0, 0, 0}
end
inside = tonumber(inside)
local people, capacity = tonumber(ARGV[1]), tonumber(ARGV[2])
if inside + people > capacity then
  return {2, inside, inside + people - capacity, 0}
end
-- A party larger than the burst would never pass: it costs the burst.
local burst, interval = tonumber(ARGV[3]), tonumber(ARGV[4])
local cost = math.min(people, burst)
local now = tonumber(ARGV[5] or '')
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local tat = tonumber(redis.call('GET', KEYS[2]) or now)
if tat < now then
  tat = now
end
local new_tat = tat + cost * interval
local allow_at = new_tat - burst * interval
if now < allow_at then
  return {3, inside, 0, allow_at - now}
end
local ttl = redis.call('PTTL', KEYS[1])
-- A flow whose time has passed is the same as none, so the key may outlive
-- it: at least a minute, which also keeps it under a test's clock.
redis.call('SET', KEYS[2], new_tat, 'PX', math.max(math.ceil((new_tat - now) / 1000), 60000))
redis.call('INCRBY', KEYS[1], people)
redis.call('SET', KEYS[3], people .. ':' .. (cost * interval), 'PX', math.max(ttl, 1000))
return {0, inside + people, 0, 0}
