"""The browser app's users: names, roles and salted scrypt password hashes in one file.

The file is ``VOICEBOT_HOME/users.json`` (mode 0600, written atomically under a lock)::

    {"version": 1, "users": [{"name": "alice", "role": "qa",
      "password": "scrypt$ln=15,r=8,p=3$<salt>$<hash>", "created_at": "..."}]}

A hash carries its own cost parameters, so they can be raised later without
breaking stored hashes; parameters read from the file are bounded, so an
edited file cannot make a login allocate gigabytes. Nothing here imports
Chainlit: the ``voicebot users`` command and the app share this module.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, Field, ValidationError

from orchestrator.errors import ConfigError, InputError
from orchestrator.fsutil import atomic_write_text

__all__ = [
    "MAX_PASSWORD_CHARS",
    "MIN_PASSWORD_CHARS",
    "ROLES",
    "KdfCost",
    "Role",
    "UserRecord",
    "UserStore",
    "check_password",
    "hash_password",
    "users_file",
    "validate_name",
    "verify_password",
]

Role = Literal["qa", "tester", "demo"]
# qa: may list and replay every caller's session; tester, demo: their own sessions only.
ROLES: tuple[str, ...] = get_args(Role)

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024  # bounds the work one login attempt can ask of the KDF
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
_HASH_RE = re.compile(r"scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/=]{1,128})\$([A-Za-z0-9+/=]{1,128})")


@dataclass(frozen=True)
class KdfCost:
    """scrypt cost: N = 2**log_n, block size r, parallelism p (memory about 128 * N * r bytes)."""

    log_n: int = 15
    r: int = 8
    p: int = 3  # OWASP's scrypt option N=2^15, r=8, p=3 (32 MiB, ~0.3 s on one core here)

    def check(self) -> KdfCost:
        """Reject costs outside what a login may spend (a hash read from an edited file)."""
        if not (10 <= self.log_n <= 20 and 1 <= self.r <= 16 and 1 <= self.p <= 16):
            raise ValueError(f"scrypt cost out of range: ln={self.log_n}, r={self.r}, p={self.p}")
        return self


def _scrypt(password: str, salt: bytes, cost: KdfCost) -> bytes:
    n = 1 << cost.log_n
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=cost.r, p=cost.p, maxmem=256 * n * cost.r, dklen=32
    )


def hash_password(password: str, cost: KdfCost | None = None) -> str:
    """A salted scrypt hash of ``password`` in the file's ``scrypt$ln=..,r=..,p=..$salt$hash`` form."""
    cost = (cost or KdfCost()).check()
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, cost)
    b64 = base64.b64encode
    return f"scrypt$ln={cost.log_n},r={cost.r},p={cost.p}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """True if ``password`` matches ``stored``; compared in constant time, False for a malformed hash."""
    match = _HASH_RE.fullmatch(stored)
    if match is None or len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        cost = KdfCost(int(match[1]), int(match[2]), int(match[3])).check()
        salt, expected = base64.b64decode(match[4], validate=True), base64.b64decode(match[5], validate=True)
    except ValueError:
        return False
    return hmac.compare_digest(_scrypt(password, salt, cost), expected)


def validate_name(name: object) -> str:
    """A user name, lower-cased: 1-64 of a-z, 0-9, '.', '_', '@', '-', starting with a letter or digit."""
    text = name.strip().lower() if isinstance(name, str) else ""
    if not _NAME_RE.fullmatch(text):
        shown = repr(name)[:80]
        raise InputError(f"invalid user name {shown}: use 1-64 letters, digits, '.', '_', '@' or '-', "
                         "starting with a letter or digit")
    return text


def check_password(password: str) -> str:
    """The password if it is long enough and not too long, else ``InputError``."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise InputError(f"the password is too short: use at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise InputError(f"the password is too long: use at most {MAX_PASSWORD_CHARS} characters")
    return password


class UserRecord(BaseModel):
    """One user as stored: never the password, only its hash."""

    name: str
    role: Role
    password: str = Field(repr=False)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def public(self) -> dict[str, str]:
        """What ``users list`` shows: no hash."""
        return {"name": self.name, "role": self.role, "created_at": self.created_at.isoformat()}


class _UsersFile(BaseModel):
    version: Literal[1] = 1
    users: list[UserRecord] = Field(default_factory=list)


def users_file(home: Path) -> Path:
    """Where the users live under VOICEBOT_HOME."""
    return home / "users.json"


class UserStore:
    """Read and change the users file; every change is a locked read-modify-write."""

    def __init__(self, path: Path, cost: KdfCost | None = None) -> None:
        self.path = path
        self.cost = cost or KdfCost()

    @cached_property
    def _dummy(self) -> str:
        # A login for an unknown name still pays one KDF run, so timing does not tell names apart.
        return hash_password(secrets.token_urlsafe(16), self.cost)

    def users(self) -> list[UserRecord]:
        """Every user, in the order they were added; ``ConfigError`` if the file is damaged."""
        if not self.path.exists():
            return []
        try:
            return _UsersFile.model_validate_json(self.path.read_bytes()).users
        except (ValidationError, ValueError) as exc:
            raise ConfigError(f"the users file {self.path} is damaged ({_first_error(exc)}): "
                              "fix it or remove it and add the users again") from None
        except OSError as exc:
            raise ConfigError(f"cannot read the users file {self.path}: {exc.strerror or exc}") from None

    def get(self, name: str) -> UserRecord | None:
        """The user called ``name`` (any case), or None."""
        try:
            wanted = validate_name(name)
        except InputError:
            return None
        return next((u for u in self.users() if u.name == wanted), None)

    def authenticate(self, name: str, password: str) -> UserRecord | None:
        """The user if the password is theirs; None otherwise (the same work is done either way)."""
        user = self.get(name)
        ok = verify_password(password, user.password if user is not None else self._dummy)
        return user if ok and user is not None else None

    def add(self, name: str, role: str, password: str, *, replace: bool = False) -> UserRecord:
        """Add a user (or, with ``replace``, give an existing one a new role and password)."""
        wanted = validate_name(name)
        if role not in ROLES:
            raise InputError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
        secret = hash_password(check_password(password), self.cost)
        record = UserRecord.model_validate({"name": wanted, "role": role, "password": secret})
        with self._locked():
            users = self.users()
            if any(u.name == wanted for u in users) and not replace:
                raise InputError(f"user {wanted!r} already exists: use --replace to change its role or password")
            self._write([u for u in users if u.name != wanted] + [record])
        return record

    def remove(self, name: str) -> UserRecord:
        """Remove a user; ``InputError`` if there is none by that name."""
        wanted = validate_name(name)
        with self._locked():
            users = self.users()
            found = next((u for u in users if u.name == wanted), None)
            if found is None:
                raise InputError(f"no user called {wanted!r}")
            self._write([u for u in users if u.name != wanted])
        return found

    def _write(self, users: list[UserRecord]) -> None:
        # atomic_write_text writes through mkstemp, so the file is created with mode 0600.
        atomic_write_text(self.path, _UsersFile(users=users).model_dump_json(indent=1) + "\n")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}" if where else first["msg"]
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
