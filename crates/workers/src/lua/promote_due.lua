-- Moves at most ARGV[2] tasks due by ARGV[1] from a queue's scheduled set to its active list, in
-- due order, as apalis-redis's fetch_next would. Bounded, unlike fetch_next's own promotion (see
-- queue.rs).
-- KEYS[1]: the scheduled set; KEYS[2]: the active list; KEYS[3]: the signal list
local ids = redis.call("zrangebyscore", KEYS[1], 0, ARGV[1], "LIMIT", 0, tonumber(ARGV[2]))
if #ids > 0 then
    redis.call("rpush", KEYS[2], unpack(ids))
    redis.call("zrem", KEYS[1], unpack(ids))
    redis.call("del", KEYS[3])
    redis.call("lpush", KEYS[3], 1)
end
return #ids
