-- Fence a bucket: new takes are asked to wait until the deadline (Redis's
-- clock, now plus ARGV[1] ms) or until the fence is lifted (ARGV[1] = 0),
-- so that the holds in flight drain and reconciliation can read the
-- store at a moment when nothing is between it and the bucket.
-- KEYS[1] bucket. Returns 1, or 0 when the bucket is not loaded.
if redis.call('HEXISTS', KEYS[1], 'quota') == 0 then
  return 0
end
local ms = tonumber(ARGV[1])
if ms <= 0 then
  redis.call('HDEL', KEYS[1], 'fence')
  return 1
end
local t = redis.call('TIME')
redis.call('HSET', KEYS[1], 'fence', string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + ms))
return 1
