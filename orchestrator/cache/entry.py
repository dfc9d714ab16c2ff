"""One cached answer, as stored: JSON only (the vector as base64 float32), never pickle."""

from __future__ import annotations

import base64
import re
import time
import uuid
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["ENTRY_ID_RE", "CacheEntry", "decode_vector", "encode_vector", "new_entry_id"]

# Ids are made here (uuid4 hex), never taken from input; imports are checked against this.
ENTRY_ID_RE = re.compile(r"^[0-9a-f]{32}$")


def new_entry_id() -> str:
    """A fresh random entry id."""
    return uuid.uuid4().hex


def encode_vector(vector: np.ndarray) -> str:
    """A float32 vector as base64 text."""
    return base64.b64encode(np.ascontiguousarray(vector, dtype="<f4").tobytes()).decode("ascii")


def decode_vector(text: str, dim: int) -> np.ndarray:
    """The float32 vector ``encode_vector`` wrote; ValueError if it has the wrong size."""
    raw = base64.b64decode(text.encode("ascii"), validate=True)
    vector = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    if vector.shape != (dim,):
        raise ValueError(f"vector has {vector.size} values, expected {dim}")
    return vector


class CacheEntry(BaseModel):
    """A question (redacted, admitted), its answer and what replaying the answer needs."""

    model_config = ConfigDict(extra="forbid")

    id: str
    scope: str  # dialog backend (and intent classifier) that made the answer
    # cache.versions: the id over what made the answer (FAQ, phrases and templates, dialog and model, adapter,
    # package) and those parts; an entry of another version is never served. "" before versions existed.
    version: str = ""
    made_by: dict[str, str] = Field(default_factory=dict)
    source: str | None = None  # a hash of the session whose turn made it (see cache.admin.session_source)
    question: str
    signature: list[str]  # see keys.slot_signature
    topic: str | None = None  # the bank FAQ the question asks, see keys.faq_topic
    vector: str = Field(repr=False)  # base64 float32, unit length
    reply: str
    intent: str
    slots: dict[str, Any] = Field(default_factory=dict)
    state: str
    figures: dict[str, str] = Field(default_factory=dict)
    memory_delta: dict[str, Any] = Field(default_factory=dict)
    cost_ms: float = Field(default=0.0, ge=0)  # dialog + TTS time the answer took when it was made
    created_at: float = Field(default_factory=time.time)
    expires_at: float

    @field_validator("id")
    @classmethod
    def _id_ok(cls, value: str) -> str:
        if not ENTRY_ID_RE.fullmatch(value):
            raise ValueError("an entry id is 32 lowercase hex digits")
        return value

    def expired(self, now: float | None = None) -> bool:
        """True once the entry's TTL has passed."""
        return (time.time() if now is None else now) >= self.expires_at

    def ttl_left_s(self, now: float | None = None) -> float:
        """Seconds until expiry (0 when expired)."""
        return max(0.0, self.expires_at - (time.time() if now is None else now))
