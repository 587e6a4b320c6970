-- Apply an announced change once the store has committed it: move a loaded
-- bucket's quota and booked count by differences and open or stop its sales.
-- KEYS[1] bucket, KEYS[2] holds
-- ARGV[1] the announcement's hold, ARGV[2] quota difference, ARGV[3] open
-- ('1'/'0'), ARGV[4] booked difference
-- Returns 1 when applied, 0 otherwise. The change applies only while its
-- announcement stands: a retried run finds it gone, and so does a bucket
-- loaded again from the store (which holds the change already, or will be
-- repaired by reconciliation). Each change applied moves 'adj', so that a
-- reconciliation pass that read the store before it knows to wait.
if redis.call('HEXISTS', KEYS[1], 'quota') == 0 then
  return 0
end
if redis.call('HDEL', KEYS[2], ARGV[1]) == 0 then
  return 0
end
redis.call('HINCRBY', KEYS[1], 'quota', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'booked', ARGV[4])
redis.call('HSET', KEYS[1], 'open', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'adj', 1)
redis.call('HINCRBY', KEYS[1], 'seq', 1)
return 1
