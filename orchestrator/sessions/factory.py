"""Pick the session store from ``VOICEBOT_STORE``: ``sqlite`` (default), ``memory`` or ``redis://host:port/db``."""

from __future__ import annotations

from orchestrator.config import Settings
from orchestrator.errors import ConfigError
from orchestrator.sessions.base import SessionStore

__all__ = ["open_store"]


def open_store(settings: Settings) -> SessionStore:
    """The configured store; a bad value names the variable and the choices."""
    choice = settings.store.strip()
    if choice == "sqlite":
        from orchestrator.sessions.sqlite import SqliteSessionStore

        return SqliteSessionStore(settings.sessions_dir / "sessions.db")
    if choice == "memory":
        from orchestrator.sessions.memory import MemorySessionStore

        return MemorySessionStore(settings.sessions_dir / "memory-store.json")
    if choice.startswith(("redis://", "rediss://", "unix://")):
        from orchestrator.sessions.redis_store import RedisSessionStore

        return RedisSessionStore(choice)
    from orchestrator.sessions.redis_store import display_url

    raise ConfigError(f"unknown VOICEBOT_STORE {display_url(choice)!r}: use sqlite, memory or redis://host:port/db")
