"""orchestrator.sessions: session ids that are safe as file names, and the SQLite store."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.errors import InputError, InvalidSessionIdError
from orchestrator.sessions import (
    HistoryEntry,
    SessionState,
    SessionStore,
    SqliteSessionStore,
    new_session_id,
    validate_session_id,
)
from orchestrator.sessions.ids import session_file

# -- ids -----------------------------------------------------------------------------------


@pytest.mark.parametrize("sid", ["a", "7", "A1", "s-0123abcd", "abc_DEF-9", "x" * 64, "bench-0"])
def test_well_formed_session_ids_are_returned_unchanged(sid):
    assert validate_session_id(sid) == sid


@pytest.mark.parametrize(
    "sid",
    [
        "../etc/passwd",
        "a/b",
        "a\\b",
        "",
        "x" * 65,
        "ünï",
        "a b",
        None,
        "\x00",
        "abc\x00",
        "..",
        ".",
        "a.b",
        "-abc",
        "_abc",
        "abc\n",
        42,
        b"abc",
    ],
)
def test_hostile_or_malformed_session_ids_are_rejected(sid):
    with pytest.raises(InvalidSessionIdError) as info:
        validate_session_id(sid)
    assert "invalid session id" in info.value.message


def test_an_invalid_session_id_is_an_input_error():
    assert issubclass(InvalidSessionIdError, InputError)
    assert InvalidSessionIdError("x").category == "invalid_session_id"


def test_new_session_ids_are_valid_and_distinct():
    ids = {new_session_id() for _ in range(200)}

    assert len(ids) == 200
    for sid in ids:
        assert validate_session_id(sid) == sid


def test_session_file_is_the_id_plus_suffix_inside_the_directory(tmp_path: Path):
    path = session_file(tmp_path, "s-1", ".jsonl")

    assert path == (tmp_path / "s-1.jsonl").resolve()


def test_session_file_refuses_a_traversal_id(tmp_path: Path):
    with pytest.raises(InvalidSessionIdError):
        session_file(tmp_path, "../../etc/passwd", ".jsonl")


@settings(deadline=None)  # no time limits: the machine is shared and noisy
@given(st.text(max_size=80))
def test_any_string_either_is_rejected_or_names_a_file_directly_inside_the_directory(sid):
    directory = Path("/tmp/voicebot-sessions-test-dir")
    try:
        path = session_file(directory, sid, ".jsonl")
    except InvalidSessionIdError:
        return
    assert path.parent == directory.resolve()
    assert path.name == f"{sid}.jsonl"


# -- SQLite store ---------------------------------------------------------------------------


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "sessions" / "sessions.db"


@pytest.fixture
def store(db_path: Path):
    s = SqliteSessionStore(db_path)
    yield s
    s.close()


def a_state(sid: str = "s-1") -> SessionState:
    return SessionState(
        session_id=sid,
        turns=2,
        dialog={"loan": {"principal": "25000", "term_months": 60}, "state": "collecting_loan"},
        history=[
            HistoryEntry(turn=1, user="hello", bot="Hi.", intent="greeting", input_kind="text"),
            HistoryEntry(turn=2, user="a loan", bot="How much?", intent="loan_quote", input_kind="audio"),
        ],
    )


def test_the_sqlite_store_satisfies_the_session_store_protocol(store):
    assert isinstance(store, SessionStore)


def test_a_saved_session_loads_back_equal(store):
    state = a_state()

    store.save(state)
    loaded = store.load("s-1")

    assert loaded is not None
    assert loaded.model_dump(exclude={"updated_at"}) == state.model_dump(exclude={"updated_at"})


def test_an_unknown_session_loads_as_none(store):
    assert store.load("never-seen") is None


def test_saving_again_replaces_the_previous_state(store):
    state = a_state()
    store.save(state)
    state.turns = 3
    state.dialog = {"state": "quoted"}

    store.save(state)

    loaded = store.load("s-1")
    assert loaded is not None and loaded.turns == 3 and loaded.dialog == {"state": "quoted"}
    assert store.list_ids() == ["s-1"]


def test_list_ids_returns_every_session_newest_first(store, monkeypatch):
    # A clock that ticks one second per save keeps the order independent of the real clock.
    import orchestrator.sessions.sqlite as sqlite_mod

    ticks = iter(range(100))

    class SteppingClock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2030, 1, 1, tzinfo=tz) + timedelta(seconds=next(ticks))

    monkeypatch.setattr(sqlite_mod, "datetime", SteppingClock)
    for sid in ("first", "second", "third"):
        store.save(a_state(sid))

    store.save(a_state("first"))  # touched last

    assert store.list_ids() == ["first", "third", "second"]


def test_the_store_refuses_invalid_ids_on_load_and_save(store):
    with pytest.raises(InvalidSessionIdError):
        store.load("../x")
    with pytest.raises(InvalidSessionIdError):
        store.save(SessionState(session_id="a b"))
    assert store.list_ids() == []


def test_the_database_runs_in_wal_mode(store, db_path):
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"


def test_the_store_creates_its_parent_directory(db_path):
    assert not db_path.parent.exists()

    SqliteSessionStore(db_path).close()

    assert db_path.is_file()


def test_state_survives_closing_and_reopening_the_file(db_path):
    first = SqliteSessionStore(db_path)
    first.save(a_state())
    first.close()

    second = SqliteSessionStore(db_path)
    try:
        loaded = second.load("s-1")
    finally:
        second.close()

    assert loaded is not None
    assert loaded.turns == 2
    assert [h.user for h in loaded.history] == ["hello", "a loan"]


def test_two_stores_on_the_same_file_see_each_others_writes(db_path):
    a = SqliteSessionStore(db_path)
    b = SqliteSessionStore(db_path)
    try:
        a.save(a_state("from-a"))
        assert b.load("from-a") is not None

        b.save(a_state("from-b"))
        assert a.load("from-b") is not None
        assert sorted(a.list_ids()) == ["from-a", "from-b"]
    finally:
        a.close()
        b.close()

