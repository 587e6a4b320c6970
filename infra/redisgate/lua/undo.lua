-- Give back an entry whose admission did not happen: the people and the
-- flow they used. KEYS[1] inside, KEYS[2] the gate's flow, KEYS[3] the hold.
-- Safe to run twice: the hold is deleted by the first run.
local h = redis.call('GET', KEYS[3])
if not h then
  return 0
end
redis.call('DEL', KEYS[3])
local people, used = string.match(h, '^(%d+):(%d+)$')
if redis.call('EXISTS', KEYS[1]) == 1 then
  local left = redis.call('DECRBY', KEYS[1], tonumber(people))
  if left < 0 then
    redis.call('SET', KEYS[1], 0, 'KEEPTTL')
  end
end
local tat = redis.call('GET', KEYS[2])
if tat then
  redis.call('SET', KEYS[2], tonumber(tat) - tonumber(used), 'KEEPTTL')
end
return 1
