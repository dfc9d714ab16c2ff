"""Optional login for the browser app: on when the users file lists anyone, off otherwise.

With login on, Chainlit's password form checks names and passwords against
``orchestrator.ui.users`` and signs its session cookie with
``CHAINLIT_AUTH_SECRET`` (generated once under VOICEBOT_HOME when unset).
With login off, the app may only listen on a loopback address: nobody else
can reach a page that has no login.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loguru import logger

from orchestrator.config import Settings
from orchestrator.errors import ConfigError, VoicebotError
from orchestrator.fsutil import atomic_write_text
from orchestrator.ui.users import UserRecord, UserStore, users_file

__all__ = ["AUTH_SECRET_ENV", "Login", "check_bind", "ensure_auth_secret"]

AUTH_SECRET_ENV = "CHAINLIT_AUTH_SECRET"
_SECRET_FILE = "chainlit-auth-secret"
# scrypt runs this many logins at a time; the rest wait, so a flood of logins cannot take every core.
_KDF_SLOTS = 2


@dataclass
class Login:
    """The app's login: its users file, whether it is on, and the password check Chainlit calls."""

    store: UserStore
    enabled: bool
    _slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(_KDF_SLOTS), repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Login:
        """Login for VOICEBOT_HOME's users file; ``ConfigError`` if the file is damaged (fail closed)."""
        store = UserStore(users_file(settings.home))
        return cls(store=store, enabled=bool(store.users()))

    def role_of(self, name: str) -> str | None:
        """The user's role as the file says now (None: no such user, or the file cannot be read)."""
        try:
            user = self.store.get(name)
        except VoicebotError as exc:
            logger.warning("users file unreadable, no role granted: {}", exc.message)
            return None
        return user.role if user is not None else None

    async def check(self, username: str, password: str) -> UserRecord | None:
        """The user whose name and password these are, or None; the KDF runs off the event loop."""
        async with self._slots:
            try:
                return await asyncio.to_thread(self.store.authenticate, username, password)
            except VoicebotError as exc:
                logger.warning("login refused, users file unreadable: {}", exc.message)
                return None

    async def authenticate(self, username: str, password: str) -> Any:
        """Chainlit's ``password_auth_callback``: a ``cl.User`` carrying the role, or None."""
        import chainlit as cl

        user = await self.check(username, password)
        if user is None:
            return None
        return cl.User(identifier=user.name, metadata={"role": user.role, "provider": "credentials"})


def check_bind(host: str, login_enabled: bool) -> None:
    """``ConfigError`` when the app would listen beyond loopback with no login."""
    if login_enabled or _is_loopback(host):
        return
    raise ConfigError(
        f"the app has no login, so it listens on loopback only, not on {host!r}: "
        "add a user with `voicebot users add NAME --role qa` to serve other machines"
    )


def _is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def ensure_auth_secret(home: Path) -> None:
    """Set CHAINLIT_AUTH_SECRET from VOICEBOT_HOME when the environment has none (made once, mode 0600).

    Every app worker behind one address must share the secret: set it in the
    environment for more than one worker.
    """
    if os.environ.get(AUTH_SECRET_ENV):
        return
    path = home / _SECRET_FILE
    try:
        secret = path.read_text(encoding="ascii").strip() if path.exists() else ""
        if len(secret) < 32:
            secret = secrets.token_urlsafe(48)
            atomic_write_text(path, secret + "\n")  # through mkstemp: mode 0600
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read or write the login secret {path}: {exc}") from None
    os.environ[AUTH_SECRET_ENV] = secret
