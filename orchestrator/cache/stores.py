"""Where cache entries live: a JSON file under ``VOICEBOT_HOME/cache``, Redis, or memory.

Every store keeps whole entries (with their vectors as base64 JSON, never
pickle) and a *version* that changes whenever the contents do; each process
rebuilds its own faiss index from the entries and re-reads them when the
version moves, so many workers share one set of entries.

* ``FileCacheStore``: ``entries.json``, rewritten atomically (temp file,
  fsync, rename) under an ``fcntl`` lock, so two processes never lose each
  other's writes. Expired entries are dropped on each write.
* ``RedisCacheStore``: one key per entry (``voicebot:cache:entry:<id>``,
  with the entry's TTL as the key's expiry), the id set
  ``voicebot:cache:ids`` and the counter ``voicebot:cache:gen``, changed
  together in MULTI/EXEC transactions.
* ``MemoryCacheStore``: a list, for the bench and tests.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from orchestrator.cache.entry import CacheEntry
from orchestrator.config import Settings
from orchestrator.errors import BackendError, ConfigError
from orchestrator.fsutil import atomic_write_text

__all__ = ["CacheStore", "FileCacheStore", "MemoryCacheStore", "RedisCacheStore", "open_cache_store"]

_FORMAT = 1
_CHUNK = 500


class CacheStore(Protocol):
    """The entries, shared by every process that opens the same store."""

    description: str

    def load(self) -> list[CacheEntry]:
        """Every stored entry (expired ones may still be there)."""
        ...

    def add(self, entries: Iterable[CacheEntry]) -> None:
        """Store new entries."""
        ...

    def remove(self, ids: Iterable[str]) -> int:
        """Delete entries by id; how many were there."""
        ...

    def clear(self) -> int:
        """Delete every entry; how many there were."""
        ...

    def version(self) -> str:
        """A token that changes whenever the entries do."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class MemoryCacheStore:
    """Entries in a list: one process only."""

    description = "memory"

    def __init__(self) -> None:
        self._entries: dict[str, CacheEntry] = {}
        self._generation = 0

    def load(self) -> list[CacheEntry]:
        """Every entry."""
        return list(self._entries.values())

    def add(self, entries: Iterable[CacheEntry]) -> None:
        """Store new entries."""
        for entry in entries:
            self._entries[entry.id] = entry
        self._generation += 1

    def remove(self, ids: Iterable[str]) -> int:
        """Delete entries by id."""
        gone = sum(self._entries.pop(i, None) is not None for i in ids)
        self._generation += 1
        return gone

    def clear(self) -> int:
        """Delete every entry."""
        count = len(self._entries)
        self._entries.clear()
        self._generation += 1
        return count

    def version(self) -> str:
        """The write counter."""
        return str(self._generation)

    def close(self) -> None:
        """Nothing to release."""


class FileCacheStore:
    """``entries.json`` in one directory, shared by processes on one machine."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / "entries.json"
        self.description = f"file {self.path}"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / ".lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def load(self) -> list[CacheEntry]:
        """Every entry in the file; a damaged file is an error that names it."""
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise BackendError(f"cannot read the cache file {self.path}: {exc}", stage="cache") from exc
        try:
            data = json.loads(raw)
            return [CacheEntry.model_validate(item) for item in data["entries"]]
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            raise BackendError(
                f"the cache file {self.path} is damaged ({exc}); `voicebot cache-manager clear` starts afresh",
                stage="cache",
            ) from None

    def _write(self, entries: list[CacheEntry]) -> None:
        now = time.time()
        live = [e.model_dump(mode="json") for e in entries if not e.expired(now)]
        atomic_write_text(self.path, json.dumps({"format": _FORMAT, "entries": live}, ensure_ascii=False))

    def add(self, entries: Iterable[CacheEntry]) -> None:
        """Append entries (read-modify-write under the lock)."""
        new = list(entries)
        with self._locked():
            known = {e.id for e in new}
            self._write([e for e in self.load() if e.id not in known] + new)

    def remove(self, ids: Iterable[str]) -> int:
        """Delete entries by id."""
        drop = set(ids)
        with self._locked():
            current = self.load()
            kept = [e for e in current if e.id not in drop]
            self._write(kept)
            return len(current) - len(kept)

    def clear(self) -> int:
        """Delete every entry; a damaged file is replaced too (its entries count as 0)."""
        with self._locked():
            try:
                count = len(self.load())
            except BackendError:
                count = 0
            self._write([])
            return count

    def version(self) -> str:
        """Modification time and size of the file."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return "absent"
        return f"{st.st_mtime_ns}:{st.st_size}"

    def close(self) -> None:
        """Nothing to release."""


class RedisCacheStore:
    """Entries in Redis, shared by every worker that points at the same server."""

    prefix = "voicebot:cache"

    def __init__(self, url: str, client: Any | None = None) -> None:
        from orchestrator.sessions.redis_store import connect, display_url

        self.url = url
        self.client = client or connect(url)
        self.description = f"redis {display_url(url)}"

    def _key(self, entry_id: str) -> str:
        return f"{self.prefix}:entry:{entry_id}"

    def _call(self, what: str, fn: Any, *args: Any) -> Any:
        import redis

        from orchestrator.sessions.redis_store import scrub

        try:
            return fn(*args)
        except redis.RedisError as exc:
            raise BackendError(f"Redis cache: {what} failed: {scrub(str(exc), self.url)}", stage="cache") from None

    def load(self) -> list[CacheEntry]:
        """Every live entry; ids whose key has expired are dropped from the id set."""
        ids = sorted(self._call("load", self.client.smembers, f"{self.prefix}:ids"))
        entries: list[CacheEntry] = []
        gone: list[str] = []
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            values = self._call("load", self.client.mget, [self._key(i) for i in chunk])
            for entry_id, raw in zip(chunk, values, strict=True):
                if raw is None:
                    gone.append(entry_id)
                    continue
                try:
                    entries.append(CacheEntry.model_validate_json(raw))
                except ValidationError:
                    gone.append(entry_id)
        if gone:
            self._call("prune", self.client.srem, f"{self.prefix}:ids", *gone)
        return entries

    def add(self, entries: Iterable[CacheEntry]) -> None:
        """Store entries, each expiring with its TTL."""
        now = time.time()

        def write() -> None:
            pipe = self.client.pipeline(transaction=True)
            for entry in entries:
                ttl = max(1, math.ceil(entry.expires_at - now))
                pipe.set(self._key(entry.id), entry.model_dump_json(), ex=ttl)
                pipe.sadd(f"{self.prefix}:ids", entry.id)
            pipe.incr(f"{self.prefix}:gen")
            pipe.execute()

        self._call("add", write)

    def remove(self, ids: Iterable[str]) -> int:
        """Delete entries by id."""
        drop = list(ids)
        if not drop:
            return 0

        def write() -> int:
            pipe = self.client.pipeline(transaction=True)
            pipe.delete(*[self._key(i) for i in drop])
            pipe.srem(f"{self.prefix}:ids", *drop)
            pipe.incr(f"{self.prefix}:gen")
            return int(pipe.execute()[0])

        return int(self._call("remove", write))

    def clear(self) -> int:
        """Delete every entry."""
        ids = list(self._call("clear", self.client.smembers, f"{self.prefix}:ids"))
        count = self.remove(ids) if ids else 0
        self._call("clear", self.client.delete, f"{self.prefix}:ids")
        self._call("clear", self.client.incr, f"{self.prefix}:gen")
        return count

    def version(self) -> str:
        """The shared write counter."""
        return str(self._call("version", self.client.get, f"{self.prefix}:gen") or "0")

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()


def open_cache_store(settings: Settings) -> CacheStore:
    """``VOICEBOT_CACHE_STORE`` (file, memory, redis://...) or, unset, Redis when the sessions are there."""
    choice = (settings.cache_store or "").strip()
    if not choice:
        session_store = settings.store.strip()
        choice = session_store if session_store.startswith(("redis://", "rediss://", "unix://")) else "file"
    if choice == "file":
        return FileCacheStore(settings.cache_dir)
    if choice == "memory":
        return MemoryCacheStore()
    if choice.startswith(("redis://", "rediss://", "unix://")):
        return RedisCacheStore(choice)
    from orchestrator.sessions.redis_store import display_url

    raise ConfigError(f"unknown VOICEBOT_CACHE_STORE {display_url(choice)!r}: use file, memory or redis://host:port/db")
