"""The store backend for several machines: Redis (``BACKPROP_STORE=redis://host:6379/0``, redis-py).

Keys (under ``bpl:``): ``n:<id>`` a hash with the binary record (``app.records``), version,
last_used, client and training marks; ``l:<id>`` the lease, a string holding its holder with a
Redis expiry (so a dead holder's lease simply runs out); ``lru`` a sorted set of ids by last use,
for expiry and the least-recently-used cap; ``c:<client>`` the times that client created networks
(the per-client creation limit, shared by every worker). Every operation that reads then writes is
one Lua script, so it is atomic across all workers on all machines.
"""

from __future__ import annotations

import secrets
from typing import Literal

import redis
from redis.typing import EncodableT, FieldT

from app.backends import BUSY, GONE, LOST, Fenced, Heartbeat, Lease, Loaded

PREFIX = "bpl:"
LRU = PREFIX + "lru"

_ACQUIRE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {1} end
if tonumber(redis.call('HGET', KEYS[1], 'last_used')) < tonumber(ARGV[5]) then
  redis.call('DEL', KEYS[1]); redis.call('ZREM', KEYS[3], ARGV[1]); return {0}
end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('HSET', KEYS[1], 'training', 0, 'stop', 0)
local v = redis.call('HGET', KEYS[1], 'version')
if v == ARGV[4] then return {2, v} end
return {2, v, redis.call('HGET', KEYS[1], 'record')}
"""
# The fence (app.backends): the lease is ARGV[1]'s, or nobody's and the version is ARGV[2];
# then the lease is (again) ARGV[1]'s for ARGV[3] ms. -2: no such network, -1: the lease is lost.
_FENCE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
local current = redis.call('GET', KEYS[2])
if current ~= ARGV[1] and (current or redis.call('HGET', KEYS[1], 'version') ~= ARGV[2]) then return -1 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
"""
_WRITE = f"""{_FENCE}redis.call('HSET', KEYS[1], 'record', ARGV[4])
return redis.call('HINCRBY', KEYS[1], 'version', 1)
"""
_RELEASE = """
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[2])
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'training', 0, 'stop', 0)
  if tonumber(ARGV[3]) > tonumber(redis.call('HGET', KEYS[1], 'last_used')) then
    redis.call('HSET', KEYS[1], 'last_used', ARGV[3]); redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
  end
end
return 1
"""
_RENEW = f"""{_FENCE}return tonumber(redis.call('HGET', KEYS[1], 'stop') or '0')
"""
_MARK_TRAINING = """
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('HSET', KEYS[1], 'training', 1, 'stop', 0) end
return 1
"""
_REQUEST_STOP = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[1], 'training') == '1' and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HSET', KEYS[1], 'stop', 1); return 1
end
return 0
"""
_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
if tonumber(redis.call('HGET', KEYS[1], 'last_used')) >= tonumber(ARGV[1]) then return 1 end
return 0
"""
_COUNT_CREATION = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return tostring(tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return false
"""
_SWEEP = """
local p = ARGV[4]
local gone = {}
local function drop(id)
  redis.call('DEL', p .. 'n:' .. id, p .. 'l:' .. id); redis.call('ZREM', KEYS[1], id); table.insert(gone, id)
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])) do
  if redis.call('EXISTS', p .. 'l:' .. id) == 0 then drop(id) end
end
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[2])
if excess > 0 then
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])) do
    if excess <= 0 then break end
    if redis.call('EXISTS', p .. 'l:' .. id) == 0 then drop(id); excess = excess - 1 end
  end
end
return gone
"""


_FENCED: dict[int, Fenced] = {-2: GONE, -1: LOST}


def _keys(network_id: str) -> list[str]:
    return [f"{PREFIX}n:{network_id}", f"{PREFIX}l:{network_id}", LRU]


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class RedisBackend:
    """The store's backend in Redis; ``url`` as redis-py's ``Redis.from_url`` reads it."""

    blocking = True

    def __init__(self, url: str) -> None:
        self.url = url
        self.client: redis.Redis = redis.Redis.from_url(url, socket_timeout=10, health_check_interval=30)
        register = self.client.register_script
        self._acquire, self._write, self._release = register(_ACQUIRE), register(_WRITE), register(_RELEASE)
        self._renew, self._mark, self._stop = register(_RENEW), register(_MARK_TRAINING), register(_REQUEST_STOP)
        self._exists, self._sweep = register(_EXISTS), register(_SWEEP)
        self._count_creation = register(_COUNT_CREATION)

    def insert(self, network_id: str, record: bytes, last_used: float, client: str | None) -> None:
        key = _keys(network_id)[0]
        fields: dict[FieldT, EncodableT] = {
            "record": record,
            "version": 1,
            "last_used": repr(last_used),
            "training": 0,
            "stop": 0,
        }
        if client is not None:
            fields["client"] = client
        pipe = self.client.pipeline()  # MULTI/EXEC: both or neither
        pipe.hset(key, mapping=fields)
        pipe.zadd(LRU, {network_id: last_used})
        pipe.execute()

    def acquire(
        self, network_id: str, holder: str, lease_seconds: float, cached_version: int | None, expired_before: float
    ) -> Loaded | Literal["busy"] | None:
        cached = "" if cached_version is None else str(cached_version)
        answer = self._acquire(
            keys=_keys(network_id), args=[network_id, holder, _ms(lease_seconds), cached, repr(expired_before)]
        )
        if answer[0] == 0:
            return None
        if answer[0] == 1:
            return BUSY
        return Loaded(int(answer[1]), bytes(answer[2]) if len(answer) > 2 else None)

    def write(self, network_id: str, holder: str, version: int, record: bytes, lease_seconds: float) -> int | Fenced:
        answer = int(self._write(keys=_keys(network_id)[:2], args=[holder, version, _ms(lease_seconds), record]))
        return _FENCED.get(answer, answer)

    def release(self, network_id: str, holder: str, last_used: float) -> None:
        self._release(keys=_keys(network_id), args=[network_id, holder, repr(last_used)])

    def renew(self, leases: dict[str, Lease], lease_seconds: float) -> dict[str, Heartbeat | Fenced]:
        pipe = self.client.pipeline(transaction=False)
        ids = list(leases)
        for network_id in ids:
            lease = leases[network_id]
            self._renew(keys=_keys(network_id)[:2], args=[lease.holder, lease.version, _ms(lease_seconds)], client=pipe)
        answers = [int(a) for a in pipe.execute()]
        return {i: _FENCED.get(a) or Heartbeat(a == 1) for i, a in zip(ids, answers, strict=True)}

    def mark_training(self, network_id: str, holder: str) -> None:
        self._mark(keys=_keys(network_id)[:2], args=[holder])

    def request_stop(self, network_id: str) -> bool | None:
        answer = int(self._stop(keys=_keys(network_id)[:2]))
        return None if answer < 0 else answer == 1

    def exists(self, network_id: str, expired_before: float) -> bool:
        return int(self._exists(keys=_keys(network_id)[:2], args=[repr(expired_before)])) == 1

    def delete(self, network_id: str) -> bool:
        key, lease, _ = _keys(network_id)
        pipe = self.client.pipeline()
        pipe.delete(key, lease)
        pipe.zrem(LRU, network_id)
        deleted, _ = pipe.execute()
        return int(deleted) > 0

    def sweep(self, expired_before: float, max_networks: int, evict_before: float) -> list[str]:
        gone = self._sweep(keys=[LRU], args=[repr(expired_before), max_networks, repr(evict_before), PREFIX])
        return [g.decode() if isinstance(g, bytes) else str(g) for g in gone]

    def count_creation(self, client: str, now: float, window_seconds: float, limit: int) -> float | None:
        # one sorted set of creation times per client, gone once its window is over
        key, member = f"{PREFIX}c:{client}", f"{now!r}:{secrets.token_hex(4)}"
        wait = self._count_creation(
            keys=[key], args=[repr(now), repr(window_seconds), limit, member, _ms(window_seconds) + 1000]
        )
        return None if wait is None else float(wait)

    def count(self) -> int:
        return int(self.client.zcard(LRU))

    def close(self) -> None:
        self.client.close()
