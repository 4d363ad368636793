"""Atomic rate-limit counters: fixed windows and sliding logs, on Redis or on locked files."""

import fcntl
import hashlib
import json
import math
import os
import time
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import redis
from django.conf import settings

PREFIX = "ratelimit:"


class CountersUnavailable(Exception):
    """The counter store cannot be reached; callers decide whether to let the request through."""


@dataclass(frozen=True)
class Window:
    """How many events a name has had in the current window, and when that window ends."""

    count: int
    start: int  # epoch seconds
    retry_after: int  # whole seconds until the window ends (or, refused, until one is free)
    admitted: bool = True


# The last ``period`` seconds' admitted events, pruned, counted and added to in one step.
_ADMIT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
local count = redis.call('ZCARD', KEYS[1])
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2] or ARGV[1]
if count >= tonumber(ARGV[3]) then return {0, tostring(oldest)} end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {count + 1, tostring(oldest)}
"""


class RedisCounters:
    def __init__(self, url: str):
        self.client = redis.Redis.from_url(url)
        self.admit_script = self.client.register_script(_ADMIT)

    def admit(self, key: str, *, now: float, period: int, limit: int) -> tuple[int, float]:
        count, oldest = self.admit_script(keys=[key], args=[now, period, limit, uuid.uuid4().hex])
        return int(count), float(oldest)

    def incr(self, key: str, ttl: int) -> int:
        with self.client.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, ttl)
            count, _ = pipe.execute()
        return count

    def get(self, key: str) -> int:
        return int(self.client.get(key) or 0)


class FileCounters:
    """One small file per key under a directory, changed under an exclusive lock (flock): atomic
    across the threads and processes of one machine."""

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.directory / hashlib.sha256(key.encode()).hexdigest()

    def incr(self, key: str, ttl: int) -> int:
        with os.fdopen(os.open(self._path(key), os.O_RDWR | os.O_CREAT, 0o600), "r+b") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            count = int(file.read() or 0) + 1
            file.seek(0)
            file.write(str(count).encode())
            file.truncate()
        return count

    def admit(self, key: str, *, now: float, period: int, limit: int) -> tuple[int, float]:
        with os.fdopen(os.open(self._path(key), os.O_RDWR | os.O_CREAT, 0o600), "r+b") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            admitted = [at for at in json.loads(file.read() or b"[]") if at > now - period]
            oldest = admitted[0] if admitted else now
            if len(admitted) >= limit:
                return 0, oldest
            admitted.append(now)
            file.seek(0)
            file.write(json.dumps(admitted).encode())
            file.truncate()
        return len(admitted), oldest

    def get(self, key: str) -> int:
        try:
            with self._path(key).open("rb") as file:
                fcntl.flock(file, fcntl.LOCK_SH)
                return int(file.read() or 0)
        except FileNotFoundError:
            return 0

    def purge(self, older_than: float) -> int:
        """Remove the counters of windows that ended more than ``older_than`` seconds ago."""
        cutoff, removed = time.time() - older_than, 0
        for path in self.directory.iterdir():
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


@cache
def _redis(url: str) -> RedisCounters:
    return RedisCounters(url)


def counters() -> RedisCounters | FileCounters:
    """The store the settings name: Redis when there is one, else files under ``VAR_DIR``."""
    if settings.RATE_LIMIT_STORE == "redis":
        return _redis(settings.REDIS_URL)
    return FileCounters(Path(settings.RATE_LIMIT_DIR))


def parse_rate(rate: str) -> tuple[int, int]:
    """``"60/min"`` -> (60, 60): requests allowed, and the window in seconds."""
    number, period = rate.split("/")
    return int(number), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


def _key(name: str, start: int) -> str:
    return f"{PREFIX}{name}:{start}"


def hit(name: str, *, period: int, keep: int | None = None) -> Window:
    """Count one more event of ``name`` in the current window of ``period`` seconds.

    ``keep`` is how long the window's count stays readable (``count_in``), the period by default.
    """
    now = time.time()
    start = int(now // period) * period
    try:
        count = counters().incr(_key(name, start), ttl=keep or period)
    except (redis.RedisError, OSError) as exc:
        raise CountersUnavailable from exc
    return Window(count=count, start=start, retry_after=max(1, math.ceil(start + period - now)))


def admit(name: str, *, limit: int, period: int) -> Window:
    """Admit one more event of ``name`` if fewer than ``limit`` were admitted in the last
    ``period`` seconds (a sliding log, pruned, counted and added to in one atomic step)."""
    now = time.time()
    try:
        count, oldest = counters().admit(f"{PREFIX}log:{name}", now=now, period=period, limit=limit)
    except (redis.RedisError, OSError) as exc:
        raise CountersUnavailable from exc
    if count:
        return Window(count=count, start=int(now), retry_after=0)
    return Window(
        count=limit,
        start=int(oldest),
        retry_after=max(1, math.ceil(oldest + period - now)),
        admitted=False,
    )


def current(name: str, *, period: int) -> Window:
    """The current window of ``name`` without counting anything."""
    now = time.time()
    start = int(now // period) * period
    return Window(
        count=count_in(name, start),
        start=start,
        retry_after=max(1, math.ceil(start + period - now)),
    )


def count_in(name: str, start: int) -> int:
    """The count of ``name`` in the window that began at ``start`` (0 once expired)."""
    try:
        return counters().get(_key(name, start))
    except (redis.RedisError, OSError) as exc:
        raise CountersUnavailable from exc
