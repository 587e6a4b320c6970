-- A GCRA request limit (after go-redis/redis_rate), on Redis's own clock.
-- KEYS[1] the subject's key (one key per call)
-- ARGV[1] burst, ARGV[2] interval between requests (microseconds), ARGV[3] cost,
-- ARGV[4] '1' to answer without spending anything (a look before a request
-- with several checks spends them all or none)
-- The key holds the theoretical arrival time (TAT), in microseconds.
-- Returns {allowed 0/1, remaining, retry_after_us, reset_after_us}; a cost
-- above the burst could never pass and is refused with retry_after -1.
-- A refused request writes nothing; the key's TTL is at least one second.
local burst = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
if cost > burst then
  return {0, 0, -1, 0}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then
  tat = now
end
local new_tat = tat + cost * interval
local allow_at = new_tat - burst * interval
if now < allow_at then
  return {0, 0, allow_at - now, tat - now}
end
local remaining = math.floor((now - allow_at) / interval)
local reset = new_tat - now
if ARGV[4] ~= '1' then
  redis.call('SET', KEYS[1], new_tat, 'PX', math.max(math.ceil(reset / 1000), 1000))
end
return {1, remaining, 0, reset}
