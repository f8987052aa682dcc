"""Shared server state as JSON values under keys, each with an expiry: in this process (one server) or in
Redis (several servers behind a load balancer). No Streamlit.

Both backends offer `get`, `exists` and `transact` (read some keys, compute the writes, apply them as one
transaction: under a lock in memory, WATCH/MULTI in Redis, run again when another server wrote a watched
key in between). Bounds are the caller's job: nothing here relies on Redis's eviction.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import redis

from ae_core.errors import LearnerError

RETRIES = 50  # Redis transactions that lost a race to another writer are run again
BUSY = "Le serveur des séances est très occupé\u202f: réessayez dans un instant."


class StoreBusy(LearnerError):
    """A transaction lost RETRIES races in a row; the message is French."""


Writes = dict[str, tuple[Any, float | None] | None]  # key -> (value, TTL in s, None: keep it) or None: delete
Change = Callable[[list[Any]], tuple[Writes, Any]]  # the keys' values (None: absent) -> (writes, result)


class MemoryBackend:
    """JSON values under keys, each with an expiry time, in this process (one server): a dict under a lock."""

    def __init__(self):
        self._values: dict[str, tuple[str, float]] = {}  # key -> (JSON text, expiry time, inf: none)
        self._lock = threading.Lock()

    def get(self, key: str, now: float) -> Any:
        """The key's value, None when absent or expired."""
        with self._lock:
            self._sweep(now)
            return json.loads(self._values[key][0]) if key in self._values else None

    def exists(self, keys: list[str], now: float) -> list[bool]:
        """Whether each key is there, unexpired."""
        with self._lock:
            self._sweep(now)
            return [key in self._values for key in keys]

    def transact(self, keys: list[str], change: Change, now: float) -> Any:
        """change(the keys' values), then its writes, as one transaction; change's result. An exception in
        change writes nothing."""
        with self._lock:
            self._sweep(now)
            writes, result = change([json.loads(self._values[k][0]) if k in self._values else None for k in keys])
            for key, write in writes.items():
                if write is None:
                    self._values.pop(key, None)
                else:
                    value, ttl_s = write
                    expiry = self._values.get(key, ("", math.inf))[1] if ttl_s is None else now + ttl_s
                    self._values[key] = (json.dumps(value), expiry)
            return result

    def _sweep(self, now: float) -> None:
        for key in [k for k, (_, expiry) in self._values.items() if expiry <= now]:
            del self._values[key]


class RedisBackend:
    """The same in Redis, shared by several app servers; expiry is Redis's own TTL (`now` is not used)."""

    def __init__(self, client: redis.Redis):
        self.client = client

    def get(self, key: str, now: float) -> Any:
        value = self.client.get(key)
        return None if value is None else json.loads(value)

    def exists(self, keys: list[str], now: float) -> list[bool]:
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.exists(key)
        return [bool(n) for n in pipe.execute()]

    def transact(self, keys: list[str], change: Change, now: float) -> Any:
        with self.client.pipeline() as pipe:
            for attempt in range(RETRIES):
                try:
                    pipe.watch(*keys)
                    writes, result = change([None if v is None else json.loads(v) for v in pipe.mget(keys)])
                    if not writes:
                        return result
                    pipe.multi()
                    for key, write in writes.items():
                        if write is None:
                            pipe.delete(key)
                        else:
                            value, ttl_s = write
                            pipe.set(key, json.dumps(value), px=None if ttl_s is None else int(ttl_s * 1000),
                                     keepttl=ttl_s is None)
                    pipe.execute()
                    return result
                except redis.WatchError:  # another server wrote one of the keys: read again
                    time.sleep(random.uniform(0, 0.001 * (attempt + 1)))
        raise StoreBusy(BUSY)
