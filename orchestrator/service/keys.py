"""API keys of the service: salted hashes with a role each, in one JSON file (``VOICEBOT_API_KEYS_FILE``).

A key reads ``vbk-<id>-<secret>``: the id picks the record, the secret is 32
random bytes. The file keeps only ``sha256(salt + secret)`` per key, so a
copy of it lets nobody in. A fast hash is enough because the secret is
random (256 bits), not a password; the comparison is constant-time
(``hmac.compare_digest``). Writes are atomic and serialised with ``fcntl``,
so two ``voicebot keys`` runs never lose each other's change; a running
service re-reads the file when it changes, so a revoked key stops working
without a restart.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from orchestrator.errors import ConfigError, InputError
from orchestrator.fsutil import atomic_write_text

__all__ = ["ROLES", "ApiKey", "KeyStore", "Principal", "Role", "role_allows"]

Role = Literal["caller", "qa", "admin"]
# Each role may do what the roles before it may: caller < qa < admin.
ROLES: tuple[Role, ...] = ("caller", "qa", "admin")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_KEY = re.compile(r"vbk-([0-9a-f]{12})-([A-Za-z0-9_-]{43})")


def role_allows(role: str, needed: str) -> bool:
    """True if ``role`` may do what ``needed`` may."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)  # type: ignore[arg-type]


class ApiKey(BaseModel):
    """One stored key: never the key itself, only its salted hash."""

    id: str
    name: str
    role: Role
    salt: str
    hash: str
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class Principal(BaseModel):
    """Who is calling: the key's name and role (never the key)."""

    key_id: str
    name: str
    role: Role


class _KeysFile(BaseModel):
    version: int = 1
    keys: list[ApiKey] = Field(default_factory=list)


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode("ascii")).hexdigest()


class KeyStore:
    """The keys file: add, list, revoke, and verify a presented key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cached: tuple[tuple[int, int], dict[str, ApiKey]] | None = None

    def _read(self) -> _KeysFile:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return _KeysFile()
        except OSError as exc:
            raise ConfigError(f"cannot read the API keys file {self.path}: {exc.strerror}") from None
        try:
            return _KeysFile.model_validate_json(raw)
        except ValidationError:
            raise ConfigError(f"{self.path} is not a voicebot API keys file") from None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[_KeysFile]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = self.path.with_name(f".{self.path.name}.lock")
        with lock.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            data = self._read()
            yield data
            atomic_write_text(self.path, json.dumps(data.model_dump(mode="json"), indent=2) + "\n")
            self.path.chmod(0o600)

    def add(self, name: str, role: str) -> tuple[ApiKey, str]:
        """A new key for ``name``; returns its record and the key, which is shown only this once."""
        if not _NAME.fullmatch(name):
            raise InputError(f"invalid key name {name[:80]!r}: use 1-64 letters, digits, '.', '_' or '-'")
        if role not in ROLES:
            raise InputError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
        secret = secrets.token_urlsafe(32)
        key_id = secrets.token_hex(6)
        salt = secrets.token_hex(16)
        record = ApiKey(id=key_id, name=name, role=role, salt=salt, hash=_digest(salt, secret))  # type: ignore[arg-type]
        with self._locked() as data:
            if any(k.name == name for k in data.keys):
                raise InputError(f"a key named {name!r} exists: revoke it first, or choose another name")
            data.keys.append(record)
        return record, f"vbk-{key_id}-{secret}"

    def list(self) -> list[ApiKey]:
        """Every key's record, oldest first."""
        return list(self._read().keys)

    def revoke(self, name: str) -> ApiKey:
        """Delete the key named ``name``; ``InputError`` if there is none."""
        with self._locked() as data:
            found = next((k for k in data.keys if k.name == name), None)
            if found is None:
                raise InputError(f"no key named {name[:80]!r}")
            data.keys.remove(found)
        return found

    def _by_id(self) -> dict[str, ApiKey]:
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = (0, 0)
        if self._cached is None or self._cached[0] != stamp:
            self._cached = (stamp, {k.id: k for k in self._read().keys})
        return self._cached[1]

    def verify(self, presented: str) -> Principal | None:
        """The key's principal, or None for a malformed, unknown or wrong key."""
        match = _KEY.fullmatch(presented.strip())
        if match is None:
            return None
        key_id, secret = match.groups()
        record = self._by_id().get(key_id)
        # Hash even for an unknown id, so a miss costs the same time as a wrong secret.
        salt = record.salt if record is not None else "00" * 16
        ok = hmac.compare_digest(_digest(salt, secret), record.hash if record is not None else "0" * 64)
        if record is None or not ok:
            return None
        return Principal(key_id=record.id, name=record.name, role=record.role)
