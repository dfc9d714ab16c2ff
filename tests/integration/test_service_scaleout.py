"""Scale-out on Redis, proven with real processes: two ``voicebot serve`` workers, one redis-server.

Each worker has its own VOICEBOT_HOME (as on two machines) and shares only
Redis and the keys file; a third home, with nothing local, reads the
sessions back through the CLI.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from orchestrator.service.keys import KeyStore
from tests.redis_server import _free_port, redis_server

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent / "voicebot"


def worker_env(home: Path, redis_url: str, keys: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOT_")}
    env.update(PYTHONPATH=str(REPO), VOICEBOT_HOME=str(home), VOICEBOT_STORE=redis_url, VOICEBOT_STT="fake",
               VOICEBOT_TTS="fake", VOICEBOT_VAD="level", VOICEBOT_INTENT_CLASSIFIER="keywords",
               VOICEBOT_CACHE_ENCODER="hashing", VOICEBOT_API_KEYS_FILE=str(keys), VOICEBOT_AUDIO_RETENTION="all",
               HF_HUB_OFFLINE="1")
    return env


@contextmanager
def serve(home: Path, redis_url: str, keys: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A ``voicebot serve`` process on a free port, once /readyz says ready."""
    port = _free_port()
    log = (home.parent / f"serve-{port}.log").open("wb")
    proc = subprocess.Popen([str(BIN), "serve", "--port", str(port)], env=worker_env(home, redis_url, keys),
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"voicebot serve did not become ready: {log.name}")
            time.sleep(0.2)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


def turn(base: str, key: str, session: str, text: str) -> httpx.Response:
    return httpx.post(f"{base}/v1/sessions/{session}/turns", json={"text": text},
                      headers={"Authorization": f"Bearer {key}"}, timeout=30)


def cli(home: Path, redis_url: str, keys: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], env=worker_env(home, redis_url, keys), capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with redis_server(tmp_path / "redis-a") as url:
        keys = tmp_path / "api-keys.json"
        _record, key = KeyStore(keys).add("gateway", "admin")
        with serve(tmp_path / "home-a", url, keys) as (a, proc_a), serve(tmp_path / "home-b", url, keys) as (b, _):
            yield {"url": url, "keys": keys, "key": key, "a": a, "b": b, "proc_a": proc_a, "tmp": tmp_path}


LOAN_CALL = ["hello", "I'd like a loan of 25,000 dollars", "over 5 years", "at 6.5 percent", "yes"]


def test_one_sessions_turns_alternate_between_two_workers_with_conversation_and_slots_intact(cluster):
    served = [turn(cluster["a" if n % 2 == 0 else "b"], cluster["key"], "alt-1", text).json()
              for n, text in enumerate(LOAN_CALL)]
    assert [s["turn"] for s in served] == [1, 2, 3, 4, 5]
    assert served[3]["slots"] == {"principal": "25000", "term_months": 60, "rate_percent": "6.5"}
    assert served[4]["intent"] == "loan_quote" and served[4]["figures"].get("payment")
    # Either worker serves the whole history, and the other worker's reply audio.
    state = httpx.get(f"{cluster['b']}/v1/sessions/alt-1", headers={"Authorization": f"Bearer {cluster['key']}"})
    assert [h["user"] for h in state.json()["history"]] == LOAN_CALL
    audio = httpx.get(f"{cluster['b']}{served[0]['audio_path']}", headers={"Authorization": f"Bearer {cluster['key']}"})
    assert audio.status_code == 200 and audio.content[:4] == b"RIFF"


def test_the_cli_on_a_third_machine_reads_the_workers_events_from_redis(cluster):
    for n, text in enumerate(LOAN_CALL[:3]):
        turn(cluster["a" if n % 2 == 0 else "b"], cluster["key"], "far-1", text)
    elsewhere = cluster["tmp"] / "home-c"  # no local log, no local session: only Redis
    log = cli(elsewhere, cluster["url"], cluster["keys"], "orchestrator-log", "--session", "far-1", "--json")
    assert log.returncode == 0, log.stderr
    kinds = [json.loads(line)["type"] for line in log.stdout.splitlines()]
    assert kinds.count("turn_ended") == 3 and kinds[0] == "turn_started"
    bundle = json.loads(cli(elsewhere, cluster["url"], cluster["keys"], "sessions", "export", "far-1").stdout)
    assert len(bundle["events"]) == len(kinds) and bundle["session"]["turns"] == 3
    replay = json.loads(cli(elsewhere, cluster["url"], cluster["keys"], "replay-session", "far-1", "--json").stdout)
    assert [t["user_text"] for t in replay["turns"]] == LOAN_CALL[:3]
    report = cli(elsewhere, cluster["url"], cluster["keys"], "report", "--session", "far-1", "--out",
                 str(elsewhere / "report"), "--json")
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["turns"] == 3
    assert not (elsewhere / "logs" / "far-1.jsonl").exists()


def test_a_cache_entry_made_on_one_worker_is_hit_on_the_other(cluster):
    for session, base, question in (("c-1", cluster["a"], "what are your opening hours"),
                                    ("c-2", cluster["b"], "what are your opening hours please")):
        turn(base, cluster["key"], session, "hello")
        answered = turn(base, cluster["key"], session, question).json()
    assert answered["llm"]["source"] == "cache", answered
    events = cli(cluster["tmp"] / "home-c", cluster["url"], cluster["keys"], "orchestrator-log", "--session", "c-2",
                 "--json").stdout
    lookups = [json.loads(line) for line in events.splitlines() if '"cache_lookup"' in line]
    assert lookups[-1]["cache_hit"] is True


def test_after_kill_9_of_one_worker_the_call_continues_on_the_other_with_nothing_completed_lost(cluster):
    for text in LOAN_CALL[:3]:
        assert turn(cluster["a"], cluster["key"], "kill-1", text).status_code == 200
    os.kill(cluster["proc_a"].pid, signal.SIGKILL)
    cluster["proc_a"].wait(timeout=10)
    rest = [turn(cluster["b"], cluster["key"], "kill-1", text).json() for text in LOAN_CALL[3:]]
    assert [r["turn"] for r in rest] == [4, 5]
    assert rest[-1]["figures"].get("payment") and rest[-1]["slots"]["principal"] == "25000"
    events = cli(cluster["tmp"] / "home-c", cluster["url"], cluster["keys"], "orchestrator-log", "--session",
                 "kill-1", "--json").stdout
    ended = [json.loads(line) for line in events.splitlines() if '"turn_ended"' in line]
    assert [(e["turn"], e["ok"]) for e in ended] == [(n, True) for n in range(1, 6)]


def test_while_redis_is_down_turns_fail_with_store_unavailable_and_recover_by_themselves(tmp_path: Path):
    keys = tmp_path / "api-keys.json"
    _record, key = KeyStore(keys).add("gateway", "caller")
    port, data = _free_port(), tmp_path / "redis-data"
    data.mkdir()
    first = ExitStack()
    url = first.enter_context(redis_server(data, port=port, persist=True))
    with serve(tmp_path / "home-a", url, keys) as (base, _proc):
        try:
            assert turn(base, key, "down-1", LOAN_CALL[1]).status_code == 200
        finally:
            first.close()  # Redis stops; the worker keeps running
        down = turn(base, key, "down-1", LOAN_CALL[2])
        with redis_server(data, port=port, persist=True):  # the same server comes back with its data
            back = turn(base, key, "down-1", LOAN_CALL[3])
    assert down.status_code == 503 and down.headers["content-type"] == "application/problem+json"
    assert down.json()["category"] == "store_unavailable" and "store unavailable" in down.json()["detail"]
    assert int(down.headers["Retry-After"]) >= 1
    assert back.status_code == 200, back.text
    body = back.json()
    assert body["turn"] == 2 and body["slots"] == {"principal": "25000", "rate_percent": "6.5"}


def test_two_workers_given_one_sessions_turns_at_once_run_them_one_after_the_other(cluster):
    from concurrent.futures import ThreadPoolExecutor

    turn(cluster["a"], cluster["key"], "both-1", "hello")
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda base_text: turn(base_text[0], cluster["key"], "both-1", base_text[1]),
                                [(cluster["a"], "I'd like a loan of 25,000 dollars"), (cluster["b"], "over 5 years")]))
    assert [a.status_code for a in answers] == [200, 200]
    assert sorted(a.json()["turn"] for a in answers) == [2, 3]
    state = httpx.get(f"{cluster['a']}/v1/sessions/both-1", headers={"Authorization": f"Bearer {cluster['key']}"})
    history = state.json()["history"]
    # Neither write lost the other's turn: both are in the history, in the order they ran.
    assert [h["turn"] for h in history] == [1, 2, 3] and state.json()["turns"] == 3
