"""One contract for every session store: memory (JSON file), SQLite and a real Redis server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.config import Settings
from orchestrator.errors import BackendError, ConfigError, InvalidSessionIdError
from orchestrator.events import DialogReply, TurnStarted
from orchestrator.eventsource import RedisEventSource
from orchestrator.sessions.base import HistoryEntry, SessionState, SessionStore
from orchestrator.sessions.factory import open_store
from orchestrator.sessions.memory import MemorySessionStore
from orchestrator.sessions.redis_store import RedisEventStream, RedisSessionStore
from orchestrator.sessions.sqlite import SqliteSessionStore
from tests.redis_server import redis_server

HOSTILE = ["", "../etc", "a/b", "a\x00b", "x" * 65, "ünï", " lead", "-dash", "a.b", None, 7]



@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SessionStore]:
    if request.param == "memory":
        made: SessionStore = MemorySessionStore(tmp_path / "memory.json")
    elif request.param == "sqlite":
        made = SqliteSessionStore(tmp_path / "sessions.db")
    else:
        url = request.getfixturevalue("redis_url")
        made = RedisSessionStore(url)
        made.client.flushdb()
    yield made
    made.close()


def state(sid: str, turns: int = 1) -> SessionState:
    return SessionState(
        session_id=sid,
        turns=turns,
        dialog={"state": "confirming", "loan": {"principal": "25000"}},
        history=[HistoryEntry(turn=1, user="hi", bot="hello", intent="greeting", input_kind="text",
                              figures={"payment": "489.15"})],
    )


def test_a_saved_state_loads_back_equal(store):
    store.save(state("s-1"))
    loaded = store.load("s-1")
    assert loaded is not None
    assert loaded.dialog == {"state": "confirming", "loan": {"principal": "25000"}}
    assert loaded.history[0].figures == {"payment": "489.15"}
    assert store.load("unknown") is None


def test_saving_again_replaces_and_lists_newest_first(store):
    store.save(state("s-a"))
    time.sleep(0.01)
    store.save(state("s-b"))
    time.sleep(0.01)
    store.save(state("s-a", turns=2))
    assert store.list_ids() == ["s-a", "s-b"]
    assert store.load("s-a").turns == 2  # type: ignore[union-attr]


def test_a_loaded_state_is_a_copy(store):
    store.save(state("s-copy"))
    first = store.load("s-copy")
    assert first is not None
    first.dialog["state"] = "tampered"
    assert store.load("s-copy").dialog["state"] == "confirming"  # type: ignore[union-attr]


def test_delete_forgets_a_session(store):
    store.save(state("s-del"))
    assert store.delete("s-del") is True
    assert store.load("s-del") is None and "s-del" not in store.list_ids()
    assert store.delete("s-del") is False


@pytest.mark.parametrize("bad", HOSTILE)
def test_hostile_ids_are_refused_by_every_operation(store, bad):
    with pytest.raises(InvalidSessionIdError):
        store.load(bad)
    with pytest.raises(InvalidSessionIdError):
        store.delete(bad)
    with pytest.raises(InvalidSessionIdError):
        store.save(SessionState.model_construct(session_id=bad, turns=0, dialog={}, history=[]))


def test_the_memory_store_survives_a_restart_through_its_json_file(tmp_path):
    path = tmp_path / "m.json"
    MemorySessionStore(path).save(state("s-keep"))
    assert json.loads(path.read_text())["s-keep"]["turns"] == 1
    assert MemorySessionStore(path).load("s-keep") is not None
    assert not list(tmp_path.glob("*.tmp*"))  # the temporary file was renamed into place


def test_a_corrupt_memory_file_is_a_clear_error(tmp_path):
    path = tmp_path / "m.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not a session store"):
        MemorySessionStore(path)


def test_redis_streams_carry_events_for_other_processes(redis_url):
    store = RedisSessionStore(redis_url)
    store.client.flushdb()
    sink = RedisEventStream(store.client)
    sink(TurnStarted(session_id="s-live", turn=1, input_kind="text", backends={}))
    sink(DialogReply(session_id="s-live", turn=1, user_text="hi", text="hello", intent="greeting", slots={},
                     state="start", ms=1.0, backend="rules"))
    reader = RedisEventSource(RedisSessionStore(redis_url).client)  # a second connection, like a second process
    assert [e.type for e in reader.read("s-live")] == ["turn_started", "dialog_reply"]
    assert reader.session_ids() == ["s-live"]
    store.save(state("s-live"))
    assert store.delete("s-live") and list(reader.read("s-live")) == [] and not reader.has_events("s-live")


def test_the_factory_picks_the_store_from_the_setting(tmp_path, redis_url):
    base = Settings(home=tmp_path)
    base.ensure_dirs()
    assert isinstance(open_store(base), SqliteSessionStore)
    assert isinstance(open_store(base.model_copy(update={"store": "memory"})), MemorySessionStore)
    assert isinstance(open_store(base.model_copy(update={"store": redis_url})), RedisSessionStore)
    with pytest.raises(ConfigError, match="VOICEBOT_STORE"):
        open_store(base.model_copy(update={"store": "postgres"}))
    with pytest.raises(ConfigError, match="cannot reach the Redis store"):
        open_store(base.model_copy(update={"store": "redis://127.0.0.1:1/0"}))


def test_an_empty_store_lists_nothing(store):
    assert store.list_ids() == []
    assert store.delete("s-none") is False


def test_unicode_text_and_long_histories_round_trip(store):
    long = state("s-long")
    long.history = [HistoryEntry(turn=n, user=f"prêt de {n} 000 € — ünï ✓", bot="d'accord", intent="loan_quote",
                                 input_kind="text", slots={"principal": str(n * 1000)}) for n in range(1, 201)]
    long.turns = 200
    store.save(long)
    loaded = store.load("s-long")
    assert loaded is not None and loaded.history == long.history


def test_threads_saving_different_sessions_lose_nothing(store):
    def work(n: int) -> None:
        for turn in range(1, 6):
            store.save(state(f"s-thread-{n}", turns=turn))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(store.list_ids()) == sorted(f"s-thread-{n}" for n in range(8))
    assert {store.load(f"s-thread-{n}").turns for n in range(8)} == {5}  # type: ignore[union-attr]


def test_a_memory_store_without_a_file_keeps_sessions_in_the_process_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    made = MemorySessionStore()
    made.save(state("s-ram"))
    assert made.load("s-ram") is not None and list(tmp_path.iterdir()) == []


def test_a_crash_while_the_memory_store_writes_leaves_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    made = MemorySessionStore(path)
    made.save(state("s-first"))
    before = path.read_bytes()

    def crash(src: object, dst: object) -> None:
        raise OSError("disk went away")

    monkeypatch.setattr("orchestrator.fsutil.os.replace", crash)
    with pytest.raises(OSError):
        made.save(state("s-second"))
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p != path]  # the half-written temporary file is gone
    assert MemorySessionStore(path).list_ids() == ["s-first"]


def test_a_redis_server_that_goes_away_is_a_store_unavailable_backend_error(tmp_path):
    with redis_server(tmp_path) as url:
        made = RedisSessionStore(url)
        made.save(state("s-gone"))
    with pytest.raises(BackendError, match="store unavailable: Redis session load failed") as caught:
        made.load("s-gone")
    assert caught.value.category == "store_unavailable" and caught.value.retryable
    with pytest.raises(BackendError, match="store unavailable: Redis session save failed"):
        made.save(state("s-gone"))
    made.close()
