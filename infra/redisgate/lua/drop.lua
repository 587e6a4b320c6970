-- Drop the named holds of a bucket, giving their places back: holds left
-- behind when Redis lost the settling of their requests (a failover).
-- KEYS[1] bucket, KEYS[2] holds; ARGV the holds to drop.
-- Returns how many were dropped; holds already settled are skipped.
if redis.call('HEXISTS', KEYS[1], 'quota') == 0 then
  return 0
end
local dropped = 0
for _, hold in ipairs(ARGV) do
  local h = redis.call('HGET', KEYS[2], hold)
  if h then
    redis.call('HDEL', KEYS[2], hold)
    dropped = dropped + 1
    local n = tonumber(string.match(h, '^(-?%d+):'))
    if n > 0 then
      redis.call('HINCRBY', KEYS[1], 'pending', -n)
    end
  end
end
if dropped > 0 then
  redis.call('HINCRBY', KEYS[1], 'seq', 1)
end
return dropped
