"""The audit trail's secret: ``VOICEBOT_AUDIT_KEY``, or a key generated once under ``VOICEBOT_HOME``.

Every audit line and head carries an HMAC-SHA256 under this key, so someone
who can edit the files but does not hold the key cannot forge or repair a
chain. In production the key comes from the environment (a secret store),
never from a file beside the chains it protects; ``voicebot doctor`` says so
while the generated key is in use.

The generated key is 32 random bytes, hex, in ``VOICEBOT_HOME/keys/audit.key``
(mode 0600 in a 0700 folder). It is written to a private temporary file and
hard-linked into place, so of two processes starting at once exactly one
key wins and both use it. A key file others can read is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from orchestrator.errors import ConfigError

__all__ = ["KEY_ENV", "MIN_KEY_CHARS", "AuditKey", "key_path", "load_audit_key"]

KEY_ENV = "VOICEBOT_AUDIT_KEY"
MIN_KEY_CHARS = 32
_KEY_BYTES = 32
_HOW_TO = "generate one with: python -c 'import secrets; print(secrets.token_hex(32))'"


@dataclass(frozen=True)
class AuditKey:
    """The secret, where it came from, and whether this call generated it."""

    secret: bytes = field(repr=False)
    source: Literal["env", "file"]
    path: Path | None = None
    created: bool = False

    @property
    def key_id(self) -> str:
        """A public fingerprint of the key (it says which key signed a line, and reveals nothing of it)."""
        return hmac.new(self.secret, b"voicebot-audit key id", hashlib.sha256).hexdigest()[:16]

    def mac(self, domain: bytes, body: bytes) -> str:
        """HMAC-SHA256 of ``domain + body``; the domain keeps line and head MACs apart."""
        return hmac.new(self.secret, domain + body, hashlib.sha256).hexdigest()

    @property
    def described(self) -> str:
        """Where the key comes from, for people (never the key itself)."""
        return f"${KEY_ENV}" if self.source == "env" else f"generated key file {self.path}"


def key_path(home: Path) -> Path:
    """Where the generated key lives."""
    return home / "keys" / "audit.key"


def load_audit_key(home: Path, *, create: bool = True) -> AuditKey:
    """``VOICEBOT_AUDIT_KEY`` if set, else the key file (generated first when ``create``).

    Raises ``ConfigError`` for a short key, a damaged or world-readable key
    file, or (``create=False``) no key at all.
    """
    value = os.environ.get(KEY_ENV)
    if value is not None:
        value = value.strip()
        if len(value) < MIN_KEY_CHARS:
            raise ConfigError(f"{KEY_ENV} must be at least {MIN_KEY_CHARS} characters; {_HOW_TO}")
        return AuditKey(value.encode("utf-8"), "env")
    path = key_path(home)
    with contextlib.suppress(FileNotFoundError):
        return _read(path, created=False)
    if not create:
        raise ConfigError(
            f"no audit key: set {KEY_ENV} to the key the chains were written with "
            f"(or keep the generated {path})"
        )
    return _create(path)


def _read(path: Path, *, created: bool) -> AuditKey:
    info = os.stat(path)
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise ConfigError(
            f"the audit key file {path} can be read by other users (mode {stat.S_IMODE(info.st_mode):04o}): "
            f"chmod 600 {path}"
        )
    try:
        secret = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (ValueError, UnicodeDecodeError):
        secret = b""
    if len(secret) != _KEY_BYTES:
        raise ConfigError(f"the audit key file {path} is damaged; restore it, or set {KEY_ENV}")
    return AuditKey(secret, "file", path, created)


def _create(path: Path) -> AuditKey:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit.key.")  # mode 0600
    created = False
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(_KEY_BYTES) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # atomic and exclusive: a key another process linked first wins
            created = True
        except FileExistsError:
            pass
    finally:
        Path(tmp).unlink(missing_ok=True)
    return _read(path, created=created)
