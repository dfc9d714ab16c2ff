"""orchestrator.ui.auth: login on only with users, loopback only without, the Chainlit secret."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from orchestrator.config import Settings
from orchestrator.errors import ConfigError
from orchestrator.ui.auth import AUTH_SECRET_ENV, Login, check_bind, ensure_auth_secret
from orchestrator.ui.users import KdfCost, UserStore, users_file

CHEAP = KdfCost(log_n=10, r=8, p=1)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "LOCALHOST"])
def test_loopback_hosts_are_fine_without_a_login(host):
    check_bind(host, login_enabled=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "bank.example.com", ""])
def test_any_other_host_needs_a_login(host):
    with pytest.raises(ConfigError, match="voicebot users add"):
        check_bind(host, login_enabled=False)
    check_bind(host, login_enabled=True)


def test_the_login_is_off_without_users_and_on_with_one(fake_settings: Settings):
    assert Login.from_settings(fake_settings).enabled is False

    UserStore(users_file(fake_settings.home), cost=CHEAP).add("alice", "qa", "alice-password")

    login = Login.from_settings(fake_settings)
    assert login.enabled is True
    assert login.role_of("Alice") == "qa" and login.role_of("bob") is None


def test_a_damaged_users_file_stops_the_app_instead_of_dropping_the_login(fake_settings: Settings):
    users_file(fake_settings.home).write_text("[]", encoding="utf-8")

    with pytest.raises(ConfigError, match="damaged"):
        Login.from_settings(fake_settings)


def test_a_role_is_read_from_the_file_at_each_check(fake_settings: Settings):
    store = UserStore(users_file(fake_settings.home), cost=CHEAP)
    store.add("alice", "qa", "alice-password")
    login = Login.from_settings(fake_settings)

    store.add("alice", "tester", "alice-password", replace=True)
    assert login.role_of("alice") == "tester"
    store.remove("alice")
    assert login.role_of("alice") is None
    users_file(fake_settings.home).write_text("{damaged", encoding="utf-8")
    assert login.role_of("alice") is None  # fail closed


async def test_chainlits_callback_gets_a_user_with_the_role_or_none(fake_settings: Settings):
    import chainlit as cl

    UserStore(users_file(fake_settings.home), cost=CHEAP).add("alice", "qa", "alice-password")
    login = Login.from_settings(fake_settings)

    user = await login.authenticate("Alice", "alice-password")

    assert isinstance(user, cl.User)
    assert user.identifier == "alice" and user.metadata["role"] == "qa"
    assert await login.authenticate("alice", "wrong-password") is None
    assert await login.authenticate("mallory", "alice-password") is None
    assert await login.authenticate("", "") is None


def test_the_chainlit_secret_is_made_once_under_home_and_kept_private(tmp_path: Path, monkeypatch):
    monkeypatch.delenv(AUTH_SECRET_ENV, raising=False)

    ensure_auth_secret(tmp_path)

    secret = os.environ[AUTH_SECRET_ENV]
    path = tmp_path / "chainlit-auth-secret"
    assert len(secret) >= 32 and path.read_text().strip() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.delenv(AUTH_SECRET_ENV)
    ensure_auth_secret(tmp_path)  # the next start reuses it: logins survive a restart
    assert os.environ[AUTH_SECRET_ENV] == secret


def test_a_secret_in_the_environment_wins_and_nothing_is_written(tmp_path: Path, monkeypatch):
    monkeypatch.setenv(AUTH_SECRET_ENV, "x" * 40)

    ensure_auth_secret(tmp_path)

    assert os.environ[AUTH_SECRET_ENV] == "x" * 40
    assert not (tmp_path / "chainlit-auth-secret").exists()
