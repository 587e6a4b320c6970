-- Move a loaded bucket's quota and booked count by differences and open or
-- stop its sales.
-- KEYS[1] bucket, KEYS[2] the change's marker
-- ARGV[1] quota difference, ARGV[2] open ('1'/'0'), ARGV[3] booked difference
-- Returns 1, or 0 when the bucket is not loaded (it will load from the
-- store). Safe to run twice: the marker remembers the first run.
if redis.call('HEXISTS', KEYS[1], 'quota') == 0 then
  return 0
end
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', math.max(redis.call('PTTL', KEYS[1]), 1000)) == false then
  return 1
end
redis.call('HINCRBY', KEYS[1], 'quota', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'booked', ARGV[3])
redis.call('HSET', KEYS[1], 'open', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'seq', 1)
return 1
