"""monitor-session --follow in its own process sees another process's call live, from the JSONL log or Redis."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.config import Settings
from orchestrator.runtime import build_pipeline
from tests.conftest import REPO_ROOT


def monitor(home: Path, store: str, sid: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOT_")}
    env.update(VOICEBOT_HOME=str(home), VOICEBOT_STORE=store, PYTHONPATH=str(REPO_ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "orchestrator.cli", "monitor-session", sid, "--follow", "--wait", "--json",
         "--idle-timeout", "120"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO_ROOT,
    )


@pytest.mark.parametrize("store_kind", ["sqlite", "redis"])
def test_a_second_process_follows_the_call_until_it_ends(tmp_path, store_kind, request):
    store = request.getfixturevalue("redis_url") if store_kind == "redis" else "sqlite"
    sid = f"live-{store_kind}"
    watcher = monitor(tmp_path, store, sid)
    settings = Settings(home=tmp_path, stt="fake", tts="fake", llm="rules", intent_classifier="keywords", store=store)
    pipeline = build_pipeline(settings, warm=False)

    async def call() -> None:
        for text in ("hello", "I'd like a loan of $5,000", "goodbye"):
            await pipeline.run_turn(sid, text=text)

    try:
        asyncio.run(call())
        out, err = watcher.communicate(timeout=120)  # it must end by itself: the call said goodbye
    finally:
        pipeline.store.close()
        if watcher.poll() is None:
            watcher.kill()
    assert watcher.returncode == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    replies = [e for e in events if e["type"] == "dialog_reply"]
    assert [e["intent"] for e in replies] == ["greeting", "loan_quote", "goodbye"]
    assert events[-1]["type"] == "turn_ended" and events[-1]["turn"] == 3
