"""Start-up: backends load once per process, different ones at the same time; phrases warm in the background."""

from __future__ import annotations

import threading

from orchestrator import runtime
from orchestrator.config import Settings
from tests.conftest import make_pipeline


def test_one_key_loads_once_however_many_threads_ask_and_two_keys_load_at_the_same_time() -> None:
    calls: list[str] = []
    inside = threading.Barrier(2, timeout=5)

    def factory(name: str) -> object:
        calls.append(name)
        inside.wait()  # both factories must be running at once, or this times out
        return object()

    results: dict[str, list[object]] = {"a": [], "b": []}

    def ask(name: str) -> None:
        results[name].append(runtime._cached(("test-load", name, id(calls)), lambda: factory(name)))

    threads = [threading.Thread(target=ask, args=(n,)) for n in ("a", "b", "a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert sorted(calls) == ["a", "b"]  # once each
    assert results["a"][0] is results["a"][1] and results["b"][0] is results["b"][1]


def test_warming_in_the_background_returns_with_the_models_run_and_fills_the_phrase_cache_later(
    fake_settings: Settings,
) -> None:
    pipeline = make_pipeline(fake_settings)
    spoken_before = len(pipeline.tts.spoken)  # type: ignore[attr-defined]
    thread = runtime.warm_in_background(pipeline)
    assert pipeline.stt.calls  # type: ignore[attr-defined]  # the recogniser ran once already
    thread.join(timeout=30)
    assert not thread.is_alive()
    fixed = len(pipeline._speech.fixed_pieces)
    assert len(pipeline.tts.spoken) - spoken_before >= fixed  # type: ignore[attr-defined]
    pipeline.warm_up()  # everything is cached now: nothing is synthesised again
    assert len(pipeline.tts.spoken) - spoken_before == fixed + 1  # type: ignore[attr-defined]  # + "Hello."
    pipeline.store.close()
