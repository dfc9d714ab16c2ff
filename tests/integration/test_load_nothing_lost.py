"""Nothing is lost under load: 8 concurrent callers x 6 turns, text and audio, on SQLite and a real Redis.

Every turn is checked here on its own terms, not through the load runner's
verdict: the store holds the six turns of each session in order, the JSONL
log has each turn's ``turn_ended``, and the audit chain verifies with one line
per logged event. Audio callers speak with the real Piper voice into the real
Whisper; the bot's replies use the scripted TTS (the replies' speech is not
what is under test, and it would triple the run time).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.audit import AuditSink, load_audit_key, verify_audit
from orchestrator.config import Settings
from orchestrator.events import TurnEnded
from orchestrator.load.callers import StepResult, run_callers, script_for, synthesize_scripts
from orchestrator.load.callers import _verify as verify_step
from orchestrator.pipeline import Pipeline
from orchestrator.sessions.base import SessionStore
from orchestrator.sessions.redis_store import RedisEventStream, RedisSessionStore
from orchestrator.sessions.sqlite import SqliteSessionStore
from orchestrator.trace import JsonlSink, Tracer, read_jsonl
from orchestrator.tts.fake import FakeTTS

CALLERS, TURNS = 8, 6
pytestmark = pytest.mark.models


def _store(kind: str, tmp_path: Path, redis_url: str | None) -> SessionStore:
    if kind == "sqlite":
        return SqliteSessionStore(tmp_path / "sessions.db")
    assert redis_url is not None
    store = RedisSessionStore(redis_url.rsplit("/", 1)[0] + "/3")
    store.client.flushdb()
    return store


def _pipeline(settings: Settings, backends: tuple[object, object, object], store: SessionStore, home: Path) -> Pipeline:
    stt, _tts, dialog = backends
    sinks: list[object] = [JsonlSink(home / "logs"), AuditSink(home / "audit", load_audit_key(home))]
    if isinstance(store, RedisSessionStore):
        sinks.append(RedisEventStream(store.client))
    return Pipeline(settings, stt=stt, tts=FakeTTS(), dialog=dialog, store=store,  # type: ignore[arg-type]
                    tracer=Tracer(sinks))  # type: ignore[arg-type]


def _check_every_turn_is_kept(step: StepResult, store: SessionStore, home: Path, audio: bool) -> None:
    sessions = sorted({s.session_id for s in step.samples})
    assert len(sessions) == CALLERS
    for caller, sid in enumerate(sessions):
        state = store.load(sid)
        assert state is not None, sid
        assert [h.turn for h in state.history] == list(range(1, TURNS + 1)), sid
        said = script_for(caller, TURNS)
        if audio:
            assert all(h.user.strip() for h in state.history), sid
        else:
            assert [h.user for h in state.history] == said, sid
        events = list(read_jsonl(home / "logs" / f"{sid}.jsonl"))
        ended = [e for e in events if isinstance(e, TurnEnded)]
        assert [e.turn for e in ended] == list(range(1, TURNS + 1)) and all(e.ok for e in ended), sid
        chain = verify_audit(home / "audit", sid, load_audit_key(home))
        assert chain.ok, (sid, chain)
        assert chain.lines == len(events), sid  # one audit line per logged event: none skipped


@pytest.mark.parametrize("audio", [False, True], ids=["text", "audio"])
@pytest.mark.parametrize("kind", ["sqlite", "redis"])
async def test_eight_concurrent_callers_lose_no_turn(
    kind: str, audio: bool, tmp_path: Path, real_settings: Settings, real_backends, request: pytest.FixtureRequest
):
    redis_url = request.getfixturevalue("redis_url") if kind == "redis" else None
    store = _store(kind, tmp_path, redis_url)
    settings = real_settings.model_copy(update={"cache": False})
    pipeline = _pipeline(settings, real_backends, store, tmp_path)
    clips = None
    if audio:
        texts = {t for c in range(CALLERS) for t in script_for(c, TURNS)}
        clips = synthesize_scripts(real_backends[1], texts)  # the real Piper voice as the callers
    try:
        step = await run_callers(pipeline, CALLERS, TURNS, logs_dir=tmp_path / "logs", audit_dir=tmp_path / "audit",
                                 clips=clips)
        assert len(step.samples) == CALLERS * TURNS
        assert [s for s in step.samples if not s.ok] == []
        assert (step.lost_turns, step.log_missing, step.audit_failures) == (0, 0, [])
        _check_every_turn_is_kept(step, store, tmp_path, audio)
    finally:
        store.close()


async def test_the_load_check_counts_a_turn_missing_from_the_store(tmp_path: Path, real_settings, real_backends):
    store = SqliteSessionStore(tmp_path / "sessions.db")
    pipeline = _pipeline(real_settings.model_copy(update={"cache": False}), real_backends, store, tmp_path)
    step = await run_callers(pipeline, 2, 3, logs_dir=tmp_path / "logs", audit_dir=tmp_path / "audit")
    sid = step.samples[0].session_id
    state = store.load(sid)
    assert state is not None
    state.history = state.history[:-1]  # as if the last save had been lost
    store.save(state)
    (tmp_path / "logs" / f"{step.samples[-1].session_id}.jsonl").unlink()
    lost, missing, audit = verify_step(pipeline, tmp_path / "logs", tmp_path / "audit", step.samples)
    assert (lost, missing, audit) == (1, 3, [])
    store.close()
