"""The production limiter: one Redis sorted set per key, shared by every worker on every machine."""

from __future__ import annotations

import uuid

import redis

from .base import STATS_TTL_S, RateLimiter, RateStats

# KEYS[1] the log (sorted set: member = unique id, score = slot in us of Redis TIME),
# KEYS[2] the counters (hash). ARGV[1] max wait in us, ARGV[2] member id, then limit, window_us pairs.
# The same maths as rules.earliest_slot_us. TIME is read inside the script so machines with skewed clocks
# agree, and the whole script runs atomically, so check-then-record has no race.
_BOOK_LUA = """
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local max_wait = tonumber(ARGV[1])
local max_window = 0
for i = 3, #ARGV, 2 do
  local window = tonumber(ARGV[i + 1])
  if window > max_window then max_window = window end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - max_window)
local slot = now
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #newest > 0 then slot = math.max(slot, tonumber(newest[2])) end
for i = 3, #ARGV, 2 do
  local limit = tonumber(ARGV[i])
  local nth = redis.call('ZRANGE', KEYS[1], -limit, -limit, 'WITHSCORES')
  if #nth > 0 then slot = math.max(slot, tonumber(nth[2]) + tonumber(ARGV[i + 1])) end
end
local delay = slot - now
local ttl_ms = math.floor((delay + max_window) / 1000) + 1000
if delay > max_wait then
  redis.call('HINCRBY', KEYS[2], 'refused', 1)
  redis.call('PEXPIRE', KEYS[2], ttl_ms + STATS_TTL_MS)
  return {0, delay}
end
redis.call('ZADD', KEYS[1], slot, ARGV[2])
redis.call('PEXPIRE', KEYS[1], ttl_ms)
redis.call('HINCRBY', KEYS[2], 'granted', 1)
redis.call('HINCRBY', KEYS[2], 'wait_us', delay)
redis.call('PEXPIRE', KEYS[2], ttl_ms + STATS_TTL_MS)
return {1, delay}
""".replace("STATS_TTL_MS", str(STATS_TTL_S * 1000))


class RedisRateLimiter(RateLimiter):
    """Sliding-window limiter in Redis; keys are ``<prefix>{<key>}:log`` and ``...:stats`` and expire.

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
        self._script = client.register_script(_BOOK_LUA)  # EVALSHA, reloading on NOSCRIPT

    def _keys(self, key: str) -> list[str]:
        base = f"{self._prefix}{{{key}}}"
        return [f"{base}:log", f"{base}:stats"]

    def _book(self, key: str, rules: list[tuple[int, int]], max_wait_us: int) -> tuple[bool, int]:
        args: list[int | str] = [max_wait_us, uuid.uuid4().hex]
        for limit, window_us in rules:
            args += [limit, window_us]
        granted, delay_us = self._script(keys=self._keys(key), args=args)
        return bool(granted), int(delay_us)

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
