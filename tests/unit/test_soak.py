"""The soak's bookkeeping: it plays the asked turns in fresh sessions and samples memory and open files."""

from __future__ import annotations

from orchestrator.config import Settings
from orchestrator.soak import run_soak
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
