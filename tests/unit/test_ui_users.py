"""orchestrator.ui.users: salted scrypt hashes and the users file the browser's login reads."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from pathlib import Path

import pytest

from orchestrator.errors import ConfigError, InputError
from orchestrator.ui.users import (
    MAX_PASSWORD_CHARS,
    KdfCost,
    UserStore,
    hash_password,
    users_file,
    validate_name,
    verify_password,
)

CHEAP = KdfCost(log_n=10, r=8, p=1)  # the store's own tests; the default cost has its own test


@pytest.fixture
def store(tmp_path: Path) -> UserStore:
    return UserStore(users_file(tmp_path), cost=CHEAP)


def test_the_default_hash_is_scrypt_with_owasp_cost_and_a_fresh_salt_each_time():
    first, second = hash_password("correct horse"), hash_password("correct horse")

    assert first != second  # salted
    scheme, params, salt_b64, digest_b64 = first.split("$")
    assert (scheme, params) == ("scrypt", "ln=15,r=8,p=3")
    salt, digest = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
    assert len(salt) == 16
    # Recomputed straight from the standard library with the stated parameters.
    assert digest == hashlib.scrypt(b"correct horse", salt=salt, n=2**15, r=8, p=3, maxmem=2**26, dklen=32)
    assert verify_password("correct horse", first) and verify_password("correct horse", second)


def test_a_wrong_password_does_not_verify():
    stored = hash_password("correct horse", CHEAP)

    assert not verify_password("correct hors", stored)
    assert not verify_password("Correct horse", stored)
    assert not verify_password("", stored)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain-text-password",
        "scrypt$ln=10,r=8,p=1$c2FsdA==",  # no digest
        "scrypt$ln=30,r=8,p=1$c2FsdA==$ZGlnZXN0",  # 2**30 blocks: would take gigabytes
        "scrypt$ln=10,r=99,p=1$c2FsdA==$ZGlnZXN0",
        "scrypt$ln=10,r=8,p=1$!!!$ZGlnZXN0",
        "bcrypt$ln=10,r=8,p=1$c2FsdA==$ZGlnZXN0",
    ],
)
def test_a_malformed_or_too_costly_stored_hash_never_verifies(stored):
    assert verify_password("anything at all", stored) is False


def test_an_over_long_password_is_refused_without_hashing():
    stored = hash_password("x" * 8, CHEAP)
    assert verify_password("x" * (MAX_PASSWORD_CHARS + 1), stored) is False


@pytest.mark.parametrize("name", ["", " ", "../etc", "a/b", "-x", "x" * 65, "al ice", "al\x00ice", "ålice", 7, None])
def test_hostile_or_odd_user_names_are_refused(name):
    with pytest.raises(InputError, match="invalid user name"):
        validate_name(name)


def test_user_names_are_case_insensitive_and_trimmed():
    assert validate_name("  Alice.Smith@Bank-1 ") == "alice.smith@bank-1"


def test_added_users_are_listed_with_roles_and_can_log_in(store: UserStore):
    store.add("alice", "qa", "alice-password")
    store.add("Bob", "tester", "bob-password")

    assert [(u.name, u.role) for u in store.users()] == [("alice", "qa"), ("bob", "tester")]
    assert store.authenticate("ALICE", "alice-password").name == "alice"  # type: ignore[union-attr]
    assert store.authenticate("bob", "bob-password").role == "tester"  # type: ignore[union-attr]
    assert store.authenticate("alice", "bob-password") is None
    assert store.authenticate("nobody", "alice-password") is None
    assert store.authenticate("../alice", "alice-password") is None


def test_the_file_is_private_and_holds_no_password(store: UserStore):
    store.add("alice", "qa", "a very secret phrase")

    mode = stat.S_IMODE(store.path.stat().st_mode)
    assert mode == 0o600, oct(mode)
    text = store.path.read_text()
    assert "a very secret phrase" not in text
    data = json.loads(text)
    assert data["version"] == 1 and data["users"][0]["password"].startswith("scrypt$")


def test_adding_an_existing_user_needs_replace_which_changes_role_and_password(store: UserStore):
    store.add("alice", "tester", "first-password")
    with pytest.raises(InputError, match="already exists"):
        store.add("Alice", "qa", "second-password")
    assert store.authenticate("alice", "first-password") is not None

    store.add("alice", "qa", "second-password", replace=True)

    assert [(u.name, u.role) for u in store.users()] == [("alice", "qa")]
    assert store.authenticate("alice", "first-password") is None
    assert store.authenticate("alice", "second-password") is not None


@pytest.mark.parametrize(
    ("role", "password", "message"),
    [("admin", "long-enough", "unknown role"), ("qa", "short", "too short"), ("qa", "x" * 2000, "too long")],
)
def test_a_bad_role_or_password_is_refused_and_nothing_is_written(store: UserStore, role, password, message):
    with pytest.raises(InputError, match=message):
        store.add("alice", role, password)
    assert store.users() == []


def test_removing_a_user_stops_their_login(store: UserStore):
    store.add("alice", "qa", "alice-password")
    store.add("bob", "tester", "bob-password")

    assert store.remove("ALICE").name == "alice"

    assert [u.name for u in store.users()] == ["bob"]
    assert store.authenticate("alice", "alice-password") is None
    with pytest.raises(InputError, match="no user called 'alice'"):
        store.remove("alice")


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"version": 1, "users": [{"name": "a"}]}', b'{"version": 2, "users": []}', b"\xff\xfe"],
)
def test_a_damaged_users_file_is_a_config_error_not_an_empty_list(tmp_path: Path, content: bytes):
    path = users_file(tmp_path)
    path.write_bytes(content)

    store = UserStore(path, cost=CHEAP)

    with pytest.raises(ConfigError, match=r"users file .* is damaged"):
        store.users()
    with pytest.raises(ConfigError):
        store.authenticate("a", "whatever-password")
    with pytest.raises(ConfigError):  # a change never overwrites a file it could not read
        store.add("b", "qa", "long-enough")
    assert path.read_bytes() == content
