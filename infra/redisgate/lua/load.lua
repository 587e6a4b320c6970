-- Create a slot's bucket from the store's counts, unless it exists.
-- KEYS[1] bucket, KEYS[2] holds
-- ARGV[1] quota, ARGV[2] booked, ARGV[3] open ('1'/'0'), ARGV[4] TTL (ms, > 0),
-- ARGV[5] a fresh generation id (reconciliation tells a reloaded bucket by it)
-- Holds left from a lost bucket belong to counts the store now has: drop them.
if redis.call('HEXISTS', KEYS[1], 'quota') == 1 then
  return 0
end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[1], 'quota', ARGV[1], 'booked', ARGV[2], 'pending', 0,
  'open', ARGV[3], 'seq', 0, 'gen', ARGV[5], 'in', 0, 'out', 0, 'adj', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
