"""Leases on the shared request queue: no request is lost when a worker dies.

scrapy-redis pops a request from the queue before the worker downloads it, so a worker killed
mid-request takes that request with it. `LeaseBoard` closes the gap; every step is one Lua
script, atomic in Redis, timed with Redis's own clock (``TIME``), so machines with skewed
clocks agree:

- **push** records the request's fingerprint in the dupefilter and queues it in one step (with
  scrapy-redis's two commands, Redis dying between them would leave a request marked seen but
  never queued — filtered out for good when its parent is re-done);
- **pop** moves the best request of ``<p>:requests`` into the worker's processing hash
  ``<p>:processing:<owner>`` (token → "score payload") in the same step. A request is therefore
  always either queued or held by exactly one worker.
- **ack** deletes the token once the engine is done with the request: response archived, the
  callback's items through the pipeline (stored), its new requests pushed — or the request
  dropped or failed for good. Until then the lease stays.
- **heartbeat** (``<p>:workers``: owner → last beat) renews every lease a worker holds at once.
- **reap** re-queues, with their original priority, the leases of workers whose last beat is
  older than the visibility timeout (``DISTRIBUTED_LEASE_TIMEOUT``), and at once those of an
  earlier incarnation of the same worker id (its output folder lock proves it is dead). Live
  workers reap at start, on every heartbeat and whenever they are idle.
- **release** (clean close: finished, SIGTERM, page budget) re-queues what the worker still
  holds and removes it from ``<p>:workers``; the queue itself is kept (``SCHEDULER_PERSIST``).

A *run* (``<p>:run``) is seeded once: the first worker to join an empty, finished or abandoned
crawl starts a fresh run (clearing the request dupefilter of the last one) and is the *seeder*
(a late worker of the launch that ran a finished run — same run tag — joins it instead):
only it sends the spider's start requests. A worker joining a crawl that has queued or leased
requests resumes it. If the seeder dies before it has sent them all, the next worker to join
takes the seeding over. The run is *finished* when it is seeded, the queue is empty and no
live worker holds a lease.

Owners are ``<worker id>#<incarnation>``; the worker id names the output files.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crawler.distributed.keys import CrawlKeys

_LIB = """
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function requeue(queue, proc)
  local entries = redis.call('HGETALL', proc)
  local n = 0
  for i = 1, #entries, 2 do
    local v = entries[i + 1]
    local sp = string.find(v, ' ', 1, true)
    redis.call('ZADD', queue, tonumber(string.sub(v, 1, sp - 1)), string.sub(v, sp + 1))
    n = n + 1
  end
  redis.call('DEL', proc)
  return n
end
local function reap(workers, queue, pprefix, timeout, me, worker_id)
  local n = 0
  for _, w in ipairs(redis.call('ZRANGEBYSCORE', workers, '-inf', now() - timeout)) do
    if w ~= me then
      n = n + requeue(queue, pprefix .. w)
      redis.call('ZREM', workers, w)
    end
  end
  if worker_id ~= '' then
    local mine = worker_id .. '#'
    for _, w in ipairs(redis.call('ZRANGE', workers, 0, -1)) do
      if w ~= me and string.sub(w, 1, #mine) == mine then
        n = n + requeue(queue, pprefix .. w)
        redis.call('ZREM', workers, w)
      end
    end
  end
  return n
end
"""

# KEYS: workers, queue, run, dupefilter   ARGV: me, timeout, processing prefix, worker id, run tag
_JOIN = _LIB + """
local n = reap(KEYS[1], KEYS[2], ARGV[3], tonumber(ARGV[2]), ARGV[1], ARGV[4])
redis.call('ZADD', KEYS[1], now(), ARGV[1])
local live = redis.call('ZCARD', KEYS[1])
local queued = redis.call('ZCARD', KEYS[2])
local finished = redis.call('HGET', KEYS[3], 'finished')
if finished == '1' and ARGV[5] ~= '' and redis.call('HGET', KEYS[3], 'tag') == ARGV[5] then
  return {'join', n}
end
if (live == 1 and queued == 0) or finished == '1' then
  redis.call('DEL', KEYS[4])
  redis.call('HSET', KEYS[3], 'id', tostring(now()), 'tag', ARGV[5], 'seeder', ARGV[1], 'seeded', '0',
             'finished', '0')
  return {'seed', n}
end
local seeder = redis.call('HGET', KEYS[3], 'seeder')
if redis.call('HGET', KEYS[3], 'seeded') ~= '1' and (not seeder or not redis.call('ZSCORE', KEYS[1], seeder)) then
  redis.call('HSET', KEYS[3], 'seeder', ARGV[1], 'seeded', '0', 'finished', '0')
  return {'seed', n}
end
return {'join', n}
"""

# KEYS: dupefilter, queue   ARGV: fingerprint ('' = do not filter), score, payload
_PUSH = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

# KEYS: queue, processing(me), workers   ARGV: me, token
_POP = _LIB + """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
redis.call('HSET', KEYS[2], ARGV[2], r[2] .. ' ' .. r[1])
redis.call('ZADD', KEYS[3], now(), ARGV[1])
return r[1]
"""

# KEYS: workers, queue   ARGV: me, timeout, processing prefix, worker id
_BEAT = _LIB + """
redis.call('ZADD', KEYS[1], now(), ARGV[1])
return reap(KEYS[1], KEYS[2], ARGV[3], tonumber(ARGV[2]), ARGV[1], ARGV[4])
"""

# KEYS: workers, queue, run   ARGV: me, timeout, processing prefix, worker id
_FINISHED = _LIB + """
local n = reap(KEYS[1], KEYS[2], ARGV[3], tonumber(ARGV[2]), ARGV[1], ARGV[4])
if redis.call('HGET', KEYS[3], 'seeded') ~= '1' then return {0, n} end
if redis.call('ZCARD', KEYS[2]) > 0 then return {0, n} end
for _, w in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if redis.call('HLEN', ARGV[3] .. w) > 0 then return {0, n} end
end
redis.call('HSET', KEYS[3], 'finished', '1')
return {1, n}
"""

# KEYS: run   ARGV: me
_SEEDED = """
if redis.call('HGET', KEYS[1], 'seeder') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'seeded', '1')
  return 1
end
return 0
"""

# KEYS: workers, queue, processing(me)   ARGV: me
_RELEASE = _LIB + """
local n = requeue(KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[1], ARGV[1])
return n
"""


class LeaseBoard:
    """The lease operations of one worker incarnation (`owner`) on one crawl (see module doc)."""

    def __init__(self, client: Any, keys: CrawlKeys, owner: str, *, timeout: float) -> None:
        if "#" not in owner:
            raise ValueError(f"lease owner must be '<worker id>#<incarnation>', got {owner!r}")
        if timeout <= 0:
            raise ValueError(f"DISTRIBUTED_LEASE_TIMEOUT must be > 0 seconds, got {timeout}")
        self.client = client
        self.keys = keys
        self.owner = owner
        self.worker_id = owner.split("#", 1)[0]
        self.timeout = timeout
        self.requeued = 0  # leases of dead workers this board put back in the queue
        self._join = client.register_script(_JOIN)
        self._push = client.register_script(_PUSH)
        self._pop = client.register_script(_POP)
        self._beat = client.register_script(_BEAT)
        self._finished = client.register_script(_FINISHED)
        self._seeded = client.register_script(_SEEDED)
        self._release = client.register_script(_RELEASE)

    @property
    def processing_key(self) -> str:
        return self.keys.processing(self.owner)

    def _reap_args(self) -> list[Any]:
        return [self.owner, self.timeout, self.keys.processing_prefix, self.worker_id]

    def join(self, run_tag: str = "") -> tuple[str, int]:
        """Register this worker; returns (role, requeued): role "seed" or "join".

        `run_tag` names one launch of workers (`DISTRIBUTED_RUN_TAG`): a worker that starts late,
        after the other workers of its launch finished the run, joins that finished run (and stops)
        instead of starting a new one."""
        role, requeued = self._join(keys=[self.keys.workers, self.keys.requests, self.keys.run,
                                          self.keys.dupefilter], args=[*self._reap_args(), run_tag])
        self.requeued += int(requeued)
        return (role.decode() if isinstance(role, bytes) else str(role)), int(requeued)

    def push(self, fingerprint: str | None, score: float, payload: bytes) -> bool:
        """Queue a request unless its fingerprint was seen (None: never filtered). The fingerprint
        and the request are written in one step: a request is never marked seen but not queued.
        Returns False for a duplicate."""
        return bool(self._push(keys=[self.keys.dupefilter, self.keys.requests],
                               args=[fingerprint or "", score, payload]))

    def pop(self, token: str) -> bytes | None:
        """Lease the best queued request under `token`; its encoded payload, or None."""
        payload = self._pop(keys=[self.keys.requests, self.processing_key, self.keys.workers],
                            args=[self.owner, token])
        return payload or None

    def ack(self, tokens: Iterable[str]) -> int:
        tokens = list(tokens)
        if not tokens:
            return 0
        return int(self.client.hdel(self.processing_key, *tokens))

    def heartbeat(self) -> int:
        """Renew this worker's leases; re-queue those of dead workers. Returns how many."""
        requeued = int(self._beat(keys=[self.keys.workers, self.keys.requests], args=self._reap_args()))
        self.requeued += requeued
        return requeued

    def finished(self) -> bool:
        """True when the run is seeded, the queue empty and no live worker holds a lease.
        Re-queues dead workers' leases first (`requeued` counts them)."""
        done, requeued = self._finished(keys=[self.keys.workers, self.keys.requests, self.keys.run],
                                        args=self._reap_args())
        self.requeued += int(requeued)
        return bool(done)

    def mark_seeded(self) -> bool:
        return bool(self._seeded(keys=[self.keys.run], args=[self.owner]))

    def release(self) -> int:
        """Re-queue what this worker still holds and leave the crawl. Returns how many."""
        return int(self._release(keys=[self.keys.workers, self.keys.requests, self.processing_key],
                                 args=[self.owner]))

    def held(self) -> int:
        return int(self.client.hlen(self.processing_key))

    def status(self) -> dict[str, Any]:
        """Queue length, live workers and the leases each holds (for logs and tests)."""
        workers = [w.decode() for w in self.client.zrange(self.keys.workers, 0, -1)]
        return {"queued": int(self.client.zcard(self.keys.requests)),
                "workers": {w: int(self.client.hlen(self.keys.processing(w))) for w in workers}}
