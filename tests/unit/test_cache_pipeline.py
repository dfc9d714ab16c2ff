"""The semantic cache in the pipeline and in ``voicebot cache-manager`` (hashing encoder, fake speech)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from orchestrator.cache.audio import ReplyAudioStore
from orchestrator.cache.encoders import HashingEncoder
from orchestrator.cache.semantic import SemanticCache
from orchestrator.cache.stores import FileCacheStore
from orchestrator.cache.turns import TurnCache, session_scope
from orchestrator.cli import app
from orchestrator.config import Settings
from orchestrator.dialog.faq import FAQS
from orchestrator.events import CacheLookup, DialogReply, TTSChunk
from orchestrator.scenarios.checks import cache_outcome
from orchestrator.ui.present import steps_for
from tests.conftest import make_pipeline

OPENING_HOURS = next(f for f in FAQS if f.id == "opening_hours").answer


@pytest.fixture
def cached_pipeline(fake_settings: Settings):
    cache = SemanticCache(
        HashingEncoder(), FileCacheStore(fake_settings.cache_dir), threshold=fake_settings.cache_threshold,
        ttl_s=3600, scope=session_scope(fake_settings),
    )
    pipeline = make_pipeline(fake_settings)
    pipeline.cache = TurnCache(cache, ReplyAudioStore(fake_settings.cache_dir / "audio"), fake_settings)
    yield pipeline
    pipeline.store.close()


def lookup_of(result) -> CacheLookup:
    return next(e for e in result.events if isinstance(e, CacheLookup))


async def test_a_repeated_faq_skips_the_dialog_and_reuses_the_reply_audio(cached_pipeline):
    await cached_pipeline.run_turn("c-1", text="hello")
    first = await cached_pipeline.run_turn("c-1", text="What are your opening hours?")
    assert first.intent == "faq" and first.reply == OPENING_HOURS
    assert lookup_of(first).stored and cache_outcome(first) is False

    await cached_pipeline.run_turn("c-2", text="hello")
    again = await cached_pipeline.run_turn("c-2", text="what are your opening hours")

    event = lookup_of(again)
    assert cache_outcome(again) is True and event.reason == "hit" and event.similarity >= 0.78
    assert again.reply == OPENING_HOURS and again.intent == "faq"
    assert next(e for e in again.events if isinstance(e, DialogReply)).backend == "cache"
    chunks = [e for e in again.events if isinstance(e, TTSChunk)]
    assert [c.cached for c in chunks] == [True]
    assert again.audio.size == first.audio.size  # the same samples, not synthesized again
    assert any(s.name.startswith("Semantic cache - hit") for s in steps_for(again.events))


async def test_a_hit_leaves_the_session_where_the_dialog_would_have(cached_pipeline):
    await cached_pipeline.run_turn("c-3", text="hello")
    await cached_pipeline.run_turn("c-3", text="What are your opening hours?")
    await cached_pipeline.run_turn("c-4", text="hello")
    await cached_pipeline.run_turn("c-4", text="What are your opening hours?")
    loan = await cached_pipeline.run_turn("c-4", text="I'd like to borrow 25,000 dollars over 5 years at 6.5 percent")
    assert loan.state == "confirming"
    quote = await cached_pipeline.run_turn("c-4", text="yes")
    assert quote.state == "quoted" and "APR" in quote.reply
    assert lookup_of(quote).reason == "state" and cache_outcome(quote) is False


async def test_a_loan_for_another_amount_is_answered_by_the_dialog(cached_pipeline):
    for sid in ("c-5", "c-6"):
        await cached_pipeline.run_turn(sid, text="hello")
    await cached_pipeline.run_turn("c-5", text="a loan of 10,000 dollars over 5 years")
    other = await cached_pipeline.run_turn("c-6", text="a loan of 100,000 dollars over 5 years")
    assert cache_outcome(other) is False and lookup_of(other).reason in ("miss", "slots_differ")
    assert other.slots["principal"] == "100000"
    same = await cached_pipeline.run_turn("c-6", text="no wait")  # not neutral any more: collecting the loan
    assert lookup_of(same).reason == "state"


async def test_a_hit_on_a_sessions_first_turn_is_served_after_the_disclosure(cached_pipeline):
    from orchestrator.compliance import AI_DISCLOSURE
    from orchestrator.dialog.faq import FAQS

    await cached_pipeline.run_turn("c-7", text="hello")
    await cached_pipeline.run_turn("c-7", text="What are your opening hours?")
    first = await cached_pipeline.run_turn("c-8", text="What are your opening hours?")
    hours = next(f.answer for f in FAQS if f.id == "opening_hours")
    assert cache_outcome(first) is True and lookup_of(first).reason == "hit"
    assert first.reply == f"{AI_DISCLOSURE} {hours}"
    assert next(e.text for e in first.events if e.type == "tts_chunk") in AI_DISCLOSURE  # heard first
    assert cached_pipeline.store.load("c-8").dialog["disclosed"] is True
    second = await cached_pipeline.run_turn("c-8", text="when are you open")
    assert second.reply == hours  # said once per session


async def test_a_pipeline_without_a_cache_reports_no_cache_result(fake_pipeline):
    result = await fake_pipeline.run_turn("c-9", text="hello")
    assert cache_outcome(result) is None


# -- cache-manager ------------------------------------------------------------------------------------------


@pytest.fixture
def cli(fake_settings: Settings, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("VOICEBOT_INTENT_CLASSIFIER", "keywords")
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, ["cache-manager", *args])

    return invoke


def test_cache_manager_warms_lists_searches_exports_imports_and_clears(cli, tmp_path):
    questions = tmp_path / "faq.txt"
    questions.write_text("# FAQs\nWhat are your opening hours?\nwhat is my balance\nmy name is Anna Lee\n")
    warmed = cli("warm", str(questions), "--json")
    assert warmed.exit_code == 0, warmed.output
    assert json.loads(warmed.stdout)["stored"] == 1

    listed = json.loads(cli("list", "--json").stdout)["entries"]
    assert [e["intent"] for e in listed] == ["faq"] and "vector" not in listed[0]
    found = json.loads(cli("search", "what are your opening hours", "--json").stdout)
    assert found["lookup"]["hit"] is True and found["nearest"][0]["id"] == listed[0]["id"]

    export = tmp_path / "cache.jsonl"
    assert cli("export", str(export), "--json").exit_code == 0
    assert json.loads(cli("clear", "--json").stdout)["removed"] == 1
    assert json.loads(cli("import", str(export), "--json").stdout) == {"imported": 1, "skipped": {}}
    assert json.loads(cli("import", str(export), "--json").stdout)["skipped"] == {"duplicate": 1}

    stats = json.loads(cli("stats", "--json").stdout)
    assert stats["entries"] == 1 and {"hit_rate", "lookup_ms_p50", "ms_saved_total"} <= set(stats)


async def test_cache_manager_stats_count_the_pipelines_hits(cli, cached_pipeline):
    for sid in ("s-a", "s-b"):
        await cached_pipeline.run_turn(sid, text="hello")
        await cached_pipeline.run_turn(sid, text="What are your opening hours?")
    stats = json.loads(cli("stats", "--json").stdout)
    # s-b's first turn is a hit too: served after the disclosure.
    assert stats["hits"] == 2 and stats["lookups"] == 4 and stats["hit_rate"] == 0.5
    assert stats["lookup_ms_p50"] is not None


@pytest.mark.parametrize(
    ("args", "content"),
    [(("import",), "not an export\n"), (("warm",), "\n# nothing\n"), (("tune", "--pairs"), '{"a": "x"}\n')],
)
def test_cache_manager_rejects_bad_files_with_exit_2(cli, tmp_path, args, content):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    result = cli(*args, str(path), "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["exit_code"] == 2


def test_cache_manager_tune_recommends_a_threshold(cli):
    result = cli("tune", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["recommended"] is not None and report["pairs"] >= 50


def test_cache_manager_tune_fails_when_no_threshold_is_safe(cli, tmp_path):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text('{"a": "what are your fees", "b": "what are your fees", "hit": false}\n')
    assert cli("tune", "--pairs", str(pairs), "--json").exit_code == 1


async def test_a_damaged_cache_file_costs_the_shortcut_never_the_turn(fake_settings):
    from orchestrator.cache.turns import load_turn_cache

    fake_settings.cache_dir.mkdir(parents=True, exist_ok=True)
    (fake_settings.cache_dir / "entries.json").write_text('{"format": 1, "entries": [garb', encoding="utf-8")
    pipeline = make_pipeline(fake_settings)
    pipeline.cache = load_turn_cache(fake_settings)

    result = await pipeline.run_turn("damaged", text="What are your opening hours?")

    assert any(faq.answer in result.reply for faq in FAQS)
    lookup = next(e for e in result.events if isinstance(e, CacheLookup))
    assert lookup.reason == "error" and not lookup.cache_hit
    pipeline.store.close()


def test_clear_replaces_a_damaged_cache_file(cli, fake_settings):
    fake_settings.cache_dir.mkdir(parents=True, exist_ok=True)
    (fake_settings.cache_dir / "entries.json").write_text("not json", encoding="utf-8")
    assert cli("stats", "--json").exit_code == 1  # stats says what is wrong...

    cleared = cli("clear", "--json")

    assert cleared.exit_code == 0, cleared.output  # ...and clear starts afresh
    assert json.loads(cli("stats", "--json").stdout)["entries"] == 0
