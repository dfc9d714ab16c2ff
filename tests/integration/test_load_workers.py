"""`voicebot load --workers 2` over a real redis-server: it exits, and no worker outlives it.

The command runs as a real process (the console script) on the scripted STT
and TTS, so the test is about processes, not models. Its worker processes are
found from the outside with psutil while it runs; after the parent has gone
(exited, terminated or killed) each of them must be gone too.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from orchestrator.sessions.redis_store import RedisSessionStore
from tests.conftest import REPO_ROOT

# Generous bounds that only stop a hung run from hanging the suite; nothing here is a speed check.
_RUN_S, _GONE_S = 600, 60


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PYTHONPATH=str(REPO_ROOT), VOICEBOT_HOME=str(home), VOICEBOT_STT="fake", VOICEBOT_TTS="fake",
               VOICEBOT_LLM="rules", VOICEBOT_INTENT_CLASSIFIER="keywords", VOICEBOT_CACHE_ENCODER="hashing")
    return env


def _load(url: str, home: Path, *args: str) -> subprocess.Popen[str]:
    voicebot = Path(sys.executable).parent / "voicebot"
    return subprocess.Popen([str(voicebot), "load", "--workers", "2", "--store", url, "--json", *args],
                            env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _db(redis_url: str, n: int) -> tuple[str, RedisSessionStore]:
    url = redis_url.rsplit("/", 1)[0] + f"/{n}"
    store = RedisSessionStore(url)
    store.client.flushdb()
    return url, store


def _workers_of(proc: subprocess.Popen[str], until: float) -> list[psutil.Process]:
    """The parent's two spawned workers (multiprocessing's resource tracker is not one)."""
    parent = psutil.Process(proc.pid)
    while time.monotonic() < until and proc.poll() is None:
        try:
            found = [c for c in parent.children() if "spawn_main" in " ".join(c.cmdline())]
        except psutil.Error:
            found = []
        if len(found) == 2:
            return found
        time.sleep(0.1)
    raise AssertionError(f"the two workers never showed up (exit code {proc.poll()})")


def _gone(procs: list[psutil.Process]) -> list[psutil.Process]:
    """Wait for ``procs`` to end; the ones still there."""
    _gone_now, alive = psutil.wait_procs(procs, timeout=_GONE_S)
    return [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def _started_turns(store: RedisSessionStore, proc: subprocess.Popen[str], until: float) -> None:
    while not store.list_ids():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else proc.returncode
        assert time.monotonic() < until, "no turn was ever stored"
        time.sleep(0.1)


def test_load_with_two_workers_on_redis_exits_0_and_leaves_no_worker(redis_url: str, tmp_path: Path):
    url, store = _db(redis_url, 7)
    proc = _load(url, tmp_path / "home", "--callers", "4", "--turns", "3")
    workers = _workers_of(proc, time.monotonic() + _RUN_S)
    try:
        out, err = proc.communicate(timeout=_RUN_S)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    report = json.loads(out)
    assert (report["workers"], report["lost_turns"], report["log_missing"], report["errors"]) == (2, 0, 0, {})
    assert [s["callers"] for s in report["steps"]] == [1, 2, 4]
    assert len(store.list_ids()) == 1 + 2 + 4  # each step's callers, every one in the shared store
    assert _gone(workers) == []
    store.close()


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["killed", "terminated"])
def test_a_parent_stopped_mid_run_leaves_no_worker_behind(how: signal.Signals, redis_url: str, tmp_path: Path):
    url, store = _db(redis_url, 8)
    # Enough turns that the run is still going when the parent is stopped.
    proc = _load(url, tmp_path / "home", "--callers", "2", "--turns", "200", "--no-ramp")
    try:
        until = time.monotonic() + _RUN_S
        workers = _workers_of(proc, until)
        _started_turns(store, proc, until)  # the workers are mid-step, not idle
        assert all(w.is_running() for w in workers)
        proc.send_signal(how)
        proc.wait(timeout=_GONE_S)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    if how == signal.SIGTERM:
        assert proc.returncode == 128 + signal.SIGTERM  # it unwound and stopped its workers itself
    assert _gone(workers) == [], "a worker outlived its parent"
    store.close()


def test_a_worker_that_dies_mid_run_fails_the_run_with_one_clear_error(redis_url: str, tmp_path: Path):
    url, store = _db(redis_url, 9)
    proc = _load(url, tmp_path / "home", "--callers", "2", "--turns", "200", "--no-ramp")
    try:
        until = time.monotonic() + _RUN_S
        workers = _workers_of(proc, until)
        _started_turns(store, proc, until)
        workers[0].kill()
        out, err = proc.communicate(timeout=_GONE_S)  # no hang: the parent notices, stops the other and exits
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1, err
    error = json.loads(out)["error"]
    assert error["exit_code"] == 1
    assert "load worker" in error["message"] and f"code -{int(signal.SIGKILL)}" in error["message"]
    assert "Traceback" not in err
    assert _gone(workers) == [], "the surviving worker outlived the run"
    store.close()
