"""The fixed-phrase TTS cache: what warm-up caches, what is always synthesized."""

from __future__ import annotations

from orchestrator.events import (
    TTSChunk,
)
from orchestrator.stt.fake import FakeSTT
from orchestrator.tts.fake import FakeTTS
from tests.unit.pipeline_helpers import (
    ISSUE_EXAMPLE,
)


async def test_fixed_phrases_are_served_from_the_cache_after_warm_up(pipelines):
    tts = FakeTTS()
    stt = FakeSTT(["hello"])
    pipeline = pipelines(stt=stt, tts=tts)

    pipeline.warm_up()
    assert len(stt.calls) == 1  # the recogniser ran once
    spoken_at_warm_up = len(tts.spoken)

    result = await pipeline.run_turn("s-cache", text="hello")

    chunks = [e for e in result.events if isinstance(e, TTSChunk)]
    assert chunks and all(c.cached for c in chunks)
    assert len(tts.spoken) == spoken_at_warm_up  # the voice was not used for the greeting


async def test_without_warm_up_the_greeting_is_synthesized_by_the_voice(pipelines):
    tts = FakeTTS()
    pipeline = pipelines(tts=tts)

    result = await pipeline.run_turn("s-nocache", text="hello")

    chunks = [e for e in result.events if isinstance(e, TTSChunk)]
    assert not any(c.cached for c in chunks)
    assert len(tts.spoken) == len(chunks)


async def test_a_quote_with_new_figures_is_never_served_from_the_cache(pipelines):
    pipeline = pipelines()
    pipeline.warm_up()

    await pipeline.run_turn("s-quote", text=ISSUE_EXAMPLE)
    result = await pipeline.run_turn("s-quote", text="yes")

    by_text = {e.text: e.cached for e in result.events if isinstance(e, TTSChunk)}
    assert by_text["Here is your estimate."] is True
    assert [cached for text, cached in by_text.items() if "$489.15" in text] == [False]


async def test_the_sentences_of_a_fixed_phrase_are_cached_even_without_warm_up(fake_pipeline):
    from orchestrator.events import TTSChunk

    first = await fake_pipeline.run_turn("cache-a", text="hello")
    second = await fake_pipeline.run_turn("cache-b", text="hello")
    first_chunks = [e for e in first.events if isinstance(e, TTSChunk)]
    second_chunks = [e for e in second.events if isinstance(e, TTSChunk)]
    assert len(first_chunks) >= 2  # the greeting is more than one sentence
    assert not any(c.cached for c in first_chunks)
    assert all(c.cached for c in second_chunks)
