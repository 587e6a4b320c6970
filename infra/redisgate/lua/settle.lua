-- End holds once the store has answered.
-- KEYS[1] bucket, KEYS[2] holds; ARGV: pairs of hold, '1' if committed
-- (one pair for one booking, or every booking of a coalesced batch).
-- A taking hold (places > 0) moves its places from pending to booked when
-- committed, or gives them back. A release hold (places < 0) takes its
-- places off booked when committed, and changes nothing otherwise.
-- A missing hold means it was settled already (a retried call) or lost with
-- the bucket: nothing to do, reconciliation has the store's word.
-- Returns how many holds it settled.
local settled = 0
for i = 1, #ARGV - 1, 2 do
  local h = redis.call('HGET', KEYS[2], ARGV[i])
  if h then
    redis.call('HDEL', KEYS[2], ARGV[i])
    if redis.call('HEXISTS', KEYS[1], 'quota') == 1 then
      local n = tonumber(string.match(h, '^(-?%d+):'))
      if n > 0 then
        redis.call('HINCRBY', KEYS[1], 'pending', -n)
      end
      if ARGV[i + 1] == '1' then
        redis.call('HINCRBY', KEYS[1], 'booked', n)
      end
      redis.call('HINCRBY', KEYS[1], 'seq', 1)
      settled = settled + 1
    end
  end
end
return settled
