"""A cached answer is served only under the version of everything that made it: FAQ, phrases and templates,
dialog and model, adapter, package. A change to any one is a miss, and the next caller hears today's answer."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest

from orchestrator.cache import versions
from orchestrator.cache.turns import load_turn_cache, session_version
from orchestrator.config import Settings
from orchestrator.dialog import faq, phrases
from orchestrator.events import CacheLookup
from orchestrator.sessions.lineage import session_tag
from tests.conftest import make_pipeline

NEW_HOURS = "Our branches are open every day from 8 am to 8 pm."


def with_new_hours() -> tuple[faq.Faq, ...]:
    return tuple(dataclasses.replace(f, answer=NEW_HOURS) if f.id == "opening_hours" else f for f in faq.FAQS)


@pytest.fixture
def cached(fake_settings: Settings):
    def build():
        pipeline = make_pipeline(fake_settings)
        pipeline.cache = load_turn_cache(fake_settings, pipeline.dialog)
        return pipeline

    opened = []

    def opened_pipeline():
        opened.append(build())
        return opened[-1]

    yield opened_pipeline
    for pipeline in opened:
        pipeline.store.close()


def lookup(result) -> CacheLookup:
    return next(e for e in result.events if isinstance(e, CacheLookup))


async def ask_twice(pipeline, first: str, second: str):
    await pipeline.run_turn(first, text="hello")
    await pipeline.run_turn(first, text="What are your opening hours?")
    await pipeline.run_turn(second, text="hello")
    return await pipeline.run_turn(second, text="what are your opening hours")


async def test_every_entry_records_its_version_what_made_it_and_a_hash_of_its_session(cached, fake_settings):
    pipeline = cached()
    await ask_twice(pipeline, "v-1", "v-2")
    entry = next(e for e in pipeline.cache.cache.entries() if e.intent == "faq")
    assert set(entry.made_by) == {"faq", "phrases", "templates", "dialog", "adapter", "package"}
    assert entry.version == session_version(fake_settings, pipeline.dialog).id
    assert entry.source == session_tag("v-1") and "v-1" not in json.dumps(entry.model_dump())


async def test_after_the_faq_changes_a_new_caller_hears_the_new_answer_not_the_cached_one(cached, monkeypatch):
    before = await ask_twice(cached(), "f-1", "f-2")
    assert lookup(before).reason == "hit"

    monkeypatch.setattr(faq, "FAQS", with_new_hours())
    pipeline = cached()  # a restart after the FAQ was edited
    await pipeline.run_turn("f-3", text="hello")
    after = await pipeline.run_turn("f-3", text="what are your opening hours")
    assert after.reply == NEW_HOURS
    assert lookup(after).reason == "stale" and lookup(after).cache_hit is False


async def test_after_the_dialogs_phrases_change_the_old_answers_are_not_served(cached, monkeypatch):
    await ask_twice(cached(), "p-1", "p-2")
    monkeypatch.setattr(phrases, "FIXED_PHRASES", [*phrases.FIXED_PHRASES, "A new sentence."])
    pipeline = cached()
    await pipeline.run_turn("p-3", text="hello")
    again = await pipeline.run_turn("p-3", text="what are your opening hours")
    assert lookup(again).reason == "stale"


def test_the_template_code_is_part_of_the_version(tmp_path):
    package = tmp_path / "dialog"
    package.mkdir()
    (package / "quotes.py").write_text('LEAD = "Here is your estimate."\n')
    before = versions.sources_digest(("dialog",), tmp_path)
    (package / "quotes.py").write_text('LEAD = "Here is your quote."\n')
    assert versions.sources_digest(("dialog",), tmp_path) != before
    # The files that build the rules dialog's sentences are the ones hashed.
    from orchestrator.dialog import quotes, rules

    hashed = {p.name for p in (versions._ROOT / "dialog").glob("*.py")}
    assert {quotes.__file__.rsplit("/", 1)[1], rules.__file__.rsplit("/", 1)[1]} <= hashed


@pytest.mark.parametrize(("change", "part"), [
    ({"llm": "rules", "intent_classifier": "minilm"}, "dialog"),
    ({"llm": "mistral", "mistral_model": "mistral-large-latest"}, "dialog"),
    ({"llm": "openai", "openai_url": "http://a/v1", "openai_model": "other"}, "dialog"),
    ({"llm": "fake", "fake_replies": "Something else."}, "dialog"),
])
def test_another_dialog_backend_or_model_is_another_version(fake_settings, change, part):
    base = fake_settings.model_copy(update={"llm": change["llm"], "mistral_model": "m", "openai_url": "http://a/v1",
                                            "openai_model": "m", "fake_replies": "x"})
    before = versions.maker(base, [], None)
    after = versions.maker(base.model_copy(update=change), [], None)
    assert after.parts[part] != before.parts[part] and after.id != before.id


def test_an_adapter_retrained_under_the_same_name_is_another_version(fake_settings):
    from orchestrator.adapters.store import SHIPPED_DIR

    shipped = versions.maker(fake_settings, [], "banking-v1")
    copy = fake_settings.home / "adapters" / "banking-v1"
    shutil.copytree(SHIPPED_DIR / "banking-v1", copy)
    info = json.loads((copy / "adapter.json").read_text())
    info["data"]["sha256"] = "0" * 64  # trained again, on other data
    (copy / "adapter.json").write_text(json.dumps(info))
    retrained = versions.maker(fake_settings, [], "banking-v1")
    assert retrained.parts["adapter"] != shipped.parts["adapter"] and retrained.id != shipped.id
    assert versions.maker(fake_settings, [], None).parts["adapter"] == "none"


async def test_a_new_package_version_is_a_miss(cached, monkeypatch):
    await ask_twice(cached(), "k-1", "k-2")
    monkeypatch.setattr(versions, "_package_version", lambda: "99.0.0")
    pipeline = cached()
    await pipeline.run_turn("k-3", text="hello")
    again = await pipeline.run_turn("k-3", text="what are your opening hours")
    assert lookup(again).reason == "stale"


async def test_entries_from_before_versions_existed_are_never_served(cached, fake_settings):
    pipeline = cached()
    await ask_twice(pipeline, "o-1", "o-2")
    store = pipeline.cache.cache.store
    old = [e.model_copy(update={"version": "", "made_by": {}}) for e in store.load()]
    store.clear()
    store.add(old)
    fresh = cached()
    await fresh.run_turn("o-3", text="hello")
    assert lookup(await fresh.run_turn("o-3", text="what are your opening hours")).reason == "stale"
