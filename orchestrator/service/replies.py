"""Each turn's reply audio (WAV), kept so ``GET /v1/sessions/{id}/audio/{turn}`` can serve it.

With a Redis session store it lives in Redis (hash ``voicebot:replies:<id>``,
one base64 field per turn, expiring after ``VOICEBOT_REPLY_AUDIO_TTL_S``), so
any worker serves what another one said; otherwise it is the file
``VOICEBOT_HOME/audio/<id>-turn<N>.wav`` that ``voicebot turn`` writes too
(and ``sessions purge`` deletes).
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any, Protocol

from orchestrator.config import Settings
from orchestrator.fsutil import atomic_write_bytes
from orchestrator.sessions.base import SessionStore
from orchestrator.sessions.ids import session_file, validate_session_id
from orchestrator.sessions.redis_store import RedisSessionStore, redis_call, reply_key

__all__ = ["FileReplies", "RedisReplies", "ReplyStore", "open_replies"]


class ReplyStore(Protocol):
    """Reply audio by session and turn."""

    def put(self, session_id: str, turn: int, wav: bytes) -> None:
        """Keep the turn's reply."""
        ...

    def get(self, session_id: str, turn: int) -> bytes | None:
        """The turn's reply, or None if it is not kept."""
        ...


class FileReplies:
    """WAV files under ``VOICEBOT_HOME/audio`` (names built from the validated id)."""

    def __init__(self, settings: Settings) -> None:
        self.directory = settings.audio_dir

    def put(self, session_id: str, turn: int, wav: bytes) -> None:
        """Write the WAV atomically."""
        atomic_write_bytes(session_file(self.directory, session_id, f"-turn{turn}.wav"), wav)

    def get(self, session_id: str, turn: int) -> bytes | None:
        """The WAV, or None."""
        try:
            return session_file(self.directory, session_id, f"-turn{turn}.wav").read_bytes()
        except FileNotFoundError:
            return None


class RedisReplies:
    """WAVs in the shared Redis, so every worker can serve every reply."""

    def __init__(self, client: Any, ttl_s: float) -> None:
        self.client = client
        self.ttl_s = max(1, math.ceil(ttl_s))

    def put(self, session_id: str, turn: int, wav: bytes) -> None:
        """Store the WAV (base64: the client decodes responses as text) and renew the expiry."""
        key = reply_key(validate_session_id(session_id))

        def write() -> None:
            pipe = self.client.pipeline(transaction=True)
            pipe.hset(key, str(turn), base64.b64encode(wav).decode("ascii"))
            pipe.expire(key, self.ttl_s)
            pipe.execute()

        redis_call("reply audio save", write)

    def get(self, session_id: str, turn: int) -> bytes | None:
        """The WAV, or None."""
        raw = redis_call("reply audio load", self.client.hget, reply_key(validate_session_id(session_id)), str(turn))
        if raw is None:
            return None
        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            return None


def open_replies(settings: Settings, store: SessionStore) -> ReplyStore:
    """Redis beside a Redis session store, else files."""
    if isinstance(store, RedisSessionStore):
        return RedisReplies(store.client, settings.reply_audio_ttl_s)
    return FileReplies(settings)
