"""The semantic cache on the real MiniLM model: FAQ paraphrases hit, near duplicates never do."""

from __future__ import annotations

import pytest

from orchestrator.cache.encoders import load_cache_encoder
from orchestrator.cache.semantic import SemanticCache
from orchestrator.cache.stores import MemoryCacheStore
from orchestrator.cache.tune import load_pairs, thresholds_between, tune
from orchestrator.config import Settings

THRESHOLD = Settings.model_fields["cache_threshold"].default


@pytest.fixture(scope="module")
def minilm():
    return load_cache_encoder("minilm")


def cache_with(encoder, question: str, intent: str = "faq") -> SemanticCache:
    cache = SemanticCache(encoder, MemoryCacheStore(), threshold=THRESHOLD, ttl_s=3600, scope="it")
    probe = cache.probe(question, {})
    entry, why = cache.remember(probe, intent=intent, reply="(answer)", state="start", memory_delta={})
    assert entry is not None, why
    return cache


@pytest.mark.parametrize(
    ("cached", "asked"),
    [
        ("What documents do I need to open an account?", "Which documents are required to open a bank account?"),
        ("What documents do I need to apply for a loan?", "What paperwork is needed for a loan application?"),
        ("What fees do you charge?", "What are your fees?"),
        ("How much does an international transfer cost?", "What is the fee for an international transfer?"),
        ("I forgot my online banking password", "How do I reset my online banking password?"),
    ],
)
def test_faq_paraphrases_hit_at_the_default_threshold(minilm, cached, asked):
    probe = cache_with(minilm, cached).probe(asked, {"disclosed": True})
    assert probe.hit, probe


@pytest.mark.parametrize(
    ("cached", "asked"),
    [
        ("a loan of 10,000 over 5 years", "a loan of 100,000 over 5 years"),
        ("I'd like to borrow 25,000 dollars over 5 years at 6.5 percent",
         "I'd like to borrow 25,000 dollars over 5 years at 7.5 percent"),
        ("borrow 8,000 dollars for 48 months", "borrow 8,000 dollars for 36 months"),
        ("I want to borrow twenty thousand dollars", "I want to borrow thirty thousand dollars"),
    ],
)
def test_loans_that_differ_only_in_figures_never_hit(minilm, cached, asked):
    cache = cache_with(minilm, cached, intent="loan_quote")
    cache.threshold = 0.01  # whatever the threshold: the signature decides
    assert not cache.probe(asked, {}).hit
    assert cache.probe(cached, {}).hit


def test_the_shipped_pairs_have_no_false_hit_at_the_default_threshold(minilm):
    report = tune(minilm, load_pairs(), thresholds_between(0.5, 0.98, 0.02))
    row = next(r for r in report["thresholds"] if abs(r["threshold"] - THRESHOLD) < 1e-9)
    assert row["false_hits"] == 0 and row["hit_rate"] >= 0.5
    assert report["recommended"] is not None


@pytest.mark.parametrize(
    "asked",
    ["When are you open?", "What time does the branch open?", "what are the branch opening times",
     "are you open on saturday"],
)
def test_an_faq_asked_in_other_words_is_answered_from_the_cache_through_the_pipeline(asked, fake_settings):
    import asyncio

    from orchestrator.cache.turns import load_turn_cache
    from orchestrator.dialog.faq import match_faq
    from orchestrator.events import CacheLookup
    from tests.conftest import make_pipeline

    settings = fake_settings.model_copy(update={"cache_encoder": "minilm"})
    pipeline = make_pipeline(settings)
    pipeline.cache = load_turn_cache(settings)

    async def talk() -> tuple[object, object]:
        first = await pipeline.run_turn("caller-a", text="What are your opening hours?")
        await pipeline.run_turn("caller-b", text="hello")  # the disclosure comes first
        return first, await pipeline.run_turn("caller-b", text=asked)

    first, again = asyncio.run(talk())
    lookup = next(e for e in again.events if isinstance(e, CacheLookup))
    assert lookup.cache_hit, lookup
    hours = match_faq("What are your opening hours?")
    assert hours is not None and again.reply == hours.answer and first.reply.endswith(hours.answer)
    pipeline.store.close()


def test_another_faq_is_never_answered_from_an_faq_entry(minilm):
    from orchestrator.dialog.faq import match_faq

    cache = SemanticCache(minilm, MemoryCacheStore(), threshold=0.01, topic_threshold=0.01, ttl_s=3600, scope="it")
    question = "Where is the nearest branch?"
    faq = match_faq(question)
    assert faq is not None
    probe = cache.probe(question, {})
    cache.remember(probe, intent="faq", reply=faq.answer, state="start", memory_delta={})

    other = cache.probe("What are your opening hours?", {"disclosed": True})

    assert not other.hit and other.reason == "topic_differs"
