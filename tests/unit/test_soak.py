"""The soak's bookkeeping: it plays the asked turns in fresh sessions and samples memory and open files."""

from __future__ import annotations

import pytest

from orchestrator.config import Settings
from orchestrator.soak import run_soak, soak_verdict
from tests.conftest import make_pipeline


def test_a_soak_plays_every_turn_and_leaves_no_file_open(fake_settings: Settings):
    pipeline = make_pipeline(fake_settings)
    try:
        report = run_soak(fake_settings, 120, warmup=20, pipeline=pipeline)
    finally:
        pipeline.store.close()
    assert report["turns"] == 120 and report["errors"] == 0
    assert [s["turn"] for s in report["series"]][-1] == 120
    assert report["fds_end"] <= report["fds_after_warmup"], "every turn's log and audit files are closed again"
    assert report["fds_flat"] is True
    assert report["rss_mb_after_warmup"] > 0 and isinstance(report["rss_ok"], bool)


def test_a_soak_starts_a_new_session_for_each_conversation(fake_settings: Settings):
    pipeline = make_pipeline(fake_settings)
    try:
        run_soak(fake_settings, 13, warmup=5, pipeline=pipeline)
        ids = sorted(i for i in pipeline.store.list_ids() if i.startswith("soak-"))
        assert ids == ["soak-00000", "soak-00001", "soak-00002"]  # 6 + 6 + 1 turns
        assert [len(pipeline.store.load(i).history) for i in ids] == [6, 6, 1]  # type: ignore[union-attr]
    finally:
        pipeline.store.close()


def _series(*rows: tuple[int, float, int]) -> list[dict[str, float]]:
    return [{"turn": t, "rss_mb": r, "fds": f} for t, r, f in rows]


def test_a_soak_fails_on_a_memory_step_after_warmup_even_when_it_comes_back_down():
    verdict = soak_verdict(_series((10, 80.0, 9), (20, 100.0, 9), (30, 110.0, 9), (40, 101.0, 9)), warmup=20)
    assert verdict["rss_growth_pct"] == 10.0  # the 110 MB peak against the 100 MB at the end of warm-up
    assert verdict["rss_growth_end_pct"] == 1.0
    assert (verdict["rss_ok"], verdict["fds_flat"], verdict["passed"]) == (False, True, False)


def test_a_soak_ignores_warmup_growth_and_passes_when_flat_after_it():
    verdict = soak_verdict(_series((10, 50.0, 7), (20, 100.0, 9), (30, 104.0, 9), (40, 103.0, 8)), warmup=20)
    assert verdict["rss_growth_pct"] == 4.0
    assert (verdict["rss_ok"], verdict["fds_flat"], verdict["passed"]) == (True, True, True)


def test_a_soak_fails_when_a_file_descriptor_stays_open():
    verdict = soak_verdict(_series((20, 100.0, 9), (30, 100.0, 10), (40, 100.0, 10)), warmup=20)
    assert (verdict["fds_max_after_warmup"], verdict["fds_flat"], verdict["passed"]) == (10, False, False)


def test_a_warmup_as_long_as_the_soak_is_refused(fake_settings: Settings):
    with pytest.raises(ValueError, match="warm-up"):
        run_soak(fake_settings, 50, warmup=50)
