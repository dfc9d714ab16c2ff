"""Stores stay readable when a process is killed mid-turn, and two writers never corrupt SQLite."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from orchestrator.sessions.memory import MemorySessionStore
from orchestrator.sessions.sqlite import SqliteSessionStore
from orchestrator.trace import read_jsonl
from tests.conftest import REPO_ROOT

# A caller process: the real pipeline with the rules dialog, a TTS that is slow on a marked turn.
WRITER = textwrap.dedent(
    """
    import asyncio, sys, time
    import numpy as np
    from orchestrator.config import Settings
    from orchestrator.runtime import build_pipeline

    class SlowTTS:
        name = "slow"
        sample_rate = 16000
        def synthesize(self, text):
            time.sleep(30)  # the parent kills the process while this turn hangs here
            return np.zeros(160, dtype=np.float32)

    home, store, mode, sid, turns = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    settings = Settings(home=home, stt="fake", tts="fake", llm="rules", intent_classifier="keywords", store=store)
    pipeline = build_pipeline(settings, warm=False)

    async def main():
        for i in range(turns):
            if mode == "kill" and i == turns - 1:
                pipeline.tts = SlowTTS()
                print("SLOW-TURN", flush=True)
            await pipeline.run_turn(sid, text=f"hello number {i}")
        print("DONE", flush=True)

    asyncio.run(main())
    """
)


def start_writer(home: Path, store: str, mode: str, sid: str, turns: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(home), store, mode, sid, str(turns)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO_ROOT,
    )


@pytest.mark.parametrize("store_kind", ["sqlite", "memory"])
def test_kill_9_in_the_middle_of_a_turn_leaves_every_completed_turn_intact(tmp_path, store_kind):
    proc = start_writer(tmp_path, store_kind, "kill", "k9-call", 4)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the fourth turn is now under way and stuck in its TTS
    assert line.strip() == "SLOW-TURN", proc.stderr.read() if proc.stderr else ""
    log = tmp_path / "logs" / "k9-call.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until turn 4's dialog step is logged: mid-turn for sure
        if any(e.turn == 4 and e.type == "dialog_reply" for e in read_jsonl(log)):
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    if store_kind == "sqlite":
        db = tmp_path / "sessions" / "sessions.db"
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        store = SqliteSessionStore(db)
    else:
        json.loads((tmp_path / "sessions" / "memory-store.json").read_text())  # whole, parseable JSON
        store = MemorySessionStore(tmp_path / "sessions" / "memory-store.json")
    state = store.load("k9-call")
    store.close()
    assert state is not None
    assert state.turns == 3
    assert [h.user for h in state.history] == [f"hello number {i}" for i in range(3)]
    events = list(read_jsonl(log))
    assert [e.turn for e in events if e.type == "turn_ended"] == [1, 2, 3]
    assert any(e.turn == 4 for e in events)  # the killed turn started, and never claimed to end


def test_two_processes_writing_to_one_sqlite_store_lose_nothing(tmp_path):
    turns = 40
    writers = [start_writer(tmp_path, "sqlite", "run", f"writer-{n}", turns) for n in range(2)]
    db = tmp_path / "sessions" / "sessions.db"
    seen: dict[str, list[int]] = {"writer-0": [], "writer-1": []}
    try:
        # A third party reads while both write, as the CLI does beside the app: every read is a committed state.
        while any(proc.poll() is None for proc in writers):
            if db.exists():
                reader = SqliteSessionStore(db)
                try:
                    for sid, counts in seen.items():
                        state = reader.load(sid)
                        if state is not None:
                            assert [h.turn for h in state.history] == list(range(1, state.turns + 1))
                            counts.append(state.turns)
                finally:
                    reader.close()
            time.sleep(0.02)
        for proc in writers:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
            assert "DONE" in out
    finally:
        for proc in writers:
            if proc.poll() is None:
                proc.kill()
    for counts in seen.values():
        assert counts == sorted(counts)  # a reader never sees a session go back in time
    store = SqliteSessionStore(db)
    try:
        for n in range(2):
            state = store.load(f"writer-{n}")
            assert state is not None and state.turns == turns
            assert [h.turn for h in state.history] == list(range(1, turns + 1))
            assert [h.user for h in state.history] == [f"hello number {i}" for i in range(turns)]
        events = [e for n in range(2) for e in read_jsonl(tmp_path / "logs" / f"writer-{n}.jsonl")]
        assert sum(e.type == "turn_ended" for e in events) == 2 * turns
    finally:
        store.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
