"""The production limiter: one Redis sorted set per key, shared by every worker on every machine."""

from __future__ import annotations

import redis

from .base import STATS_TTL_S, RateLimiter, RateStats

# KEYS: [1] the log (sorted set: member = the booking's sequence number, zero-padded so members sort as
# they were booked; score = its time in us of Redis TIME), [2] the counters (hash), [3] the open bookings
# (hash: member -> flight allowance in us), [4] the sequence counter.
# ARGV: [1] op ("book" | "confirm" | "settle" | "cancel"), [2] max wait in us, [3] the member ("" for a new
# booking), [4] flight allowance in us (0: a plain reserve, settled when booked), then limit, window_us pairs.
# The same maths as rules.effective_time_us / earliest_slot_us (SQLite's copy, which tests drive). TIME is
# read inside the script so machines with skewed clocks agree, and the whole script runs atomically.
_SLOT_LUA = """
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local op, max_wait, me, flight = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local rules = {}
local max_window = 0
for i = 5, #ARGV, 2 do
  local window = tonumber(ARGV[i + 1])
  rules[#rules + 1] = {tonumber(ARGV[i]), window}
  if window > max_window then max_window = window end
end
local function effective(score, allowance)
  if not allowance then return score end
  return math.max(score, math.min(now, score + tonumber(allowance)))
end
-- Forget what no rule can see any more; an open booking is kept while its flight may still be on.
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - max_window, 'WITHSCORES')
for i = 1, #old, 2 do
  local allowance = redis.call('HGET', KEYS[3], old[i])
  if effective(tonumber(old[i + 1]), allowance) <= now - max_window then
    redis.call('ZREM', KEYS[1], old[i])
    redis.call('HDEL', KEYS[3], old[i])
  end
end
local function slot_after(before_seq)
  local all = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
  local open = {}
  local flat = redis.call('HGETALL', KEYS[3])
  for i = 1, #flat, 2 do open[flat[i]] = flat[i + 1] end
  local times = {}
  for i = 1, #all, 2 do
    if before_seq == nil or all[i] < before_seq then
      times[#times + 1] = effective(tonumber(all[i + 1]), open[all[i]])
    end
  end
  table.sort(times, function(a, b) return a > b end)
  local slot = now
  if #times > 0 then slot = math.max(slot, times[1]) end
  for _, rule in ipairs(rules) do
    if #times >= rule[1] then slot = math.max(slot, times[rule[1]] + rule[2]) end
  end
  return slot
end
local function keep(until_us)
  local ttl_ms = math.floor((until_us - now + max_window) / 1000) + 1000
  if ttl_ms < 1000 then ttl_ms = 1000 end
  redis.call('PEXPIRE', KEYS[1], ttl_ms)
  redis.call('PEXPIRE', KEYS[3], ttl_ms)
  redis.call('PEXPIRE', KEYS[2], ttl_ms + STATS_TTL_MS)
end
if op == 'book' then
  local slot = slot_after(nil)
  local delay = slot - now
  if delay > max_wait then
    redis.call('HINCRBY', KEYS[2], 'refused', 1)
    keep(slot)
    return {0, delay, ''}
  end
  local member = string.format('%020d', redis.call('INCR', KEYS[4]))
  redis.call('ZADD', KEYS[1], slot, member)
  if flight > 0 then redis.call('HSET', KEYS[3], member, flight) end
  redis.call('HINCRBY', KEYS[2], 'granted', 1)
  redis.call('HINCRBY', KEYS[2], 'wait_us', delay)
  redis.call('PEXPIRE', KEYS[4], math.floor(max_window / 1000) + STATS_TTL_MS)
  keep(slot + flight)
  return {1, delay, member}
end
local score = redis.call('ZSCORE', KEYS[1], me)
if not score then return {0, 0, me} end
score = tonumber(score)
if op == 'confirm' then
  local slot = math.max(score, slot_after(me))
  if slot > score then
    redis.call('ZADD', KEYS[1], 'XX', slot, me)
    redis.call('HINCRBY', KEYS[2], 'wait_us', slot - math.max(score, now))
  end
  keep(slot + (tonumber(redis.call('HGET', KEYS[3], me)) or 0))
  return {1, slot - now, me}
end
if op == 'settle' then
  if score < now then redis.call('ZADD', KEYS[1], 'XX', now, me) end
  redis.call('HDEL', KEYS[3], me)
  keep(math.max(score, now))
  return {1, 0, me}
end
-- cancel: nothing was sent, the booking is given back
redis.call('ZREM', KEYS[1], me)
redis.call('HDEL', KEYS[3], me)
return {1, 0, me}
""".replace("STATS_TTL_MS", str(STATS_TTL_S * 1000))


class RedisRateLimiter(RateLimiter):
    """Sliding-window limiter in Redis; keys are ``<prefix>{<key>}:log``, ``...:stats``, ``...:open`` and
    ``...:seq``, and expire.

    The hash tag keeps a key's log and counters in one cluster slot, as a script needs. A retried call
    whose first attempt did run records one slot too many: wasteful, never over the vendor's limit.
    """

    def __init__(
        self,
        client: str | redis.Redis,
        *,
        prefix: str = "ratelimit:",
        socket_timeout_s: float = 5.0,
    ) -> None:
        self._owns_client = isinstance(client, str)
        if isinstance(client, str):
            client = redis.Redis.from_url(
                client, socket_connect_timeout=socket_timeout_s, socket_timeout=socket_timeout_s
            )
        self._redis = client
        self._prefix = prefix
        self._script = client.register_script(_SLOT_LUA)  # EVALSHA, reloading on NOSCRIPT

    def _keys(self, key: str) -> list[str]:
        base = f"{self._prefix}{{{key}}}"
        return [f"{base}:log", f"{base}:stats", f"{base}:open", f"{base}:seq"]

    def _run(
        self, op: str, key: str, rules: list[tuple[int, int]], max_wait_us: int, member: str, flight_us: int
    ):
        args: list[int | str] = [op, max_wait_us, member, flight_us]
        for limit, window_us in rules:
            args += [limit, window_us]
        ok, delay_us, member = self._script(keys=self._keys(key), args=args)
        return bool(ok), int(delay_us), member.decode() if isinstance(member, bytes) else str(member)

    def _book(
        self, key: str, rules: list[tuple[int, int]], max_wait_us: int, flight_us: int = 0
    ) -> tuple[bool, int, str]:
        return self._run("book", key, rules, max_wait_us, "", flight_us)

    def _confirm(self, key: str, member: str, rules: list[tuple[int, int]]) -> int:
        return self._run("confirm", key, rules, 0, member, 0)[1]

    def _settle(self, key: str, member: str, rules: list[tuple[int, int]]) -> None:
        self._run("settle", key, rules, 0, member, 0)

    def _cancel(self, key: str, member: str, rules: list[tuple[int, int]]) -> None:
        self._run("cancel", key, rules, 0, member, 0)

    def stats(self, key: str) -> RateStats:
        raw = {
            (name.decode() if isinstance(name, bytes) else name): value
            for name, value in self._redis.hgetall(self._keys(key)[1]).items()
        }
        return RateStats(
            granted=int(raw.get("granted", 0)),
            refused=int(raw.get("refused", 0)),
            waited_s=int(raw.get("wait_us", 0)) / 1_000_000,
        )

    def close(self) -> None:
        if self._owns_client:  # a client passed in belongs to the caller
            self._redis.close()
