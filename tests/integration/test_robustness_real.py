"""The robustness lab on the real models: Piper and Kokoro callers, real Whisper, two cells, one real clip.

Short on purpose (one spoken turn, clean and phone): the full matrix runs from
the CLI. The figures checked are the ones a working lab must show: a clean
Piper caller is heard and understood, the accented Kokoro caller who says
"12 grand" gets the amount into the slot, and a real recording is scored
against its manifest transcript.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.config import Settings
from orchestrator.personas.model import resolve_personas
from orchestrator.pipeline import Pipeline
from orchestrator.robustness.lab import LabPlan
from orchestrator.robustness.perturb import Assets
from orchestrator.robustness.realclips import load_clips, run_real_clips
from orchestrator.robustness.spec import parse_list
from orchestrator.robustness.suite import run_robustness
from orchestrator.runtime import default_tracer
from orchestrator.scenarios import Pipelines, load_scenario
from orchestrator.sessions.sqlite import SqliteSessionStore
from tests.conftest import REALDATA

pytestmark = pytest.mark.models

SCENARIO = """name: amount by voice
settings: {stt: whisper-base, tts: piper}
turns:
  - say: I need a loan of 12,000 dollars.
    expect: {intent: loan_quote, slots: {principal: "12000"}}
"""


@pytest.fixture
def pipelines(real_settings: Settings, real_backends, tmp_path: Path):
    stt, tts, dialog = real_backends
    settings = real_settings.model_copy(update={"cache": False})

    def build(_: Settings) -> Pipeline:
        return Pipeline(settings, stt=stt, tts=tts, dialog=dialog,  # type: ignore[arg-type]
                        store=SqliteSessionStore(tmp_path / "sessions.db"), tracer=default_tracer(settings, live=False))

    built = Pipelines(settings, builder=build)
    yield built
    built.close()


async def test_the_lab_hears_a_piper_caller_and_a_kokoro_caller_who_says_grand(
    pipelines: Pipelines, real_settings: Settings, tmp_path: Path
):
    path = tmp_path / "amount.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    plan = LabPlan([load_scenario(path)], resolve_personas(["joe,kumo-grand"]), parse_list(["phone"]))
    outcome = await run_robustness(plan, pipelines, real_settings)
    matrix = outcome.report["matrix"]
    assert set(matrix) == {"joe", "kumo-grand"} and set(matrix["joe"]) == {"clean", "phone"}
    joe = matrix["joe"]["clean"]
    assert joe["wer"] <= 0.2 and joe["slot_accuracy"] == 1.0 and joe["task_success"] == 1.0
    assert matrix["kumo-grand"]["clean"]["slot_accuracy"] == 1.0, outcome.report["worst_turns"]
    assert all(c["voice_to_voice_ms"]["p50"] is not None for cells in matrix.values() for c in cells.values())


async def test_a_real_clip_is_scored_against_its_manifest_transcript_under_each_perturbation(
    pipelines: Pipelines, tmp_path: Path
):
    clips, _notes = load_clips(REALDATA)
    jfk = [c for c in clips if c.path.name == "openai_whisper__jfk.flac"]
    assert jfk, "the reference clip is in the manifest"
    pipeline = pipelines.for_scenario(load_scenario(_write(tmp_path)))
    scores = await run_real_clips(jfk, parse_list(["phone"]), pipeline, Assets(tmp_path), seed=0)
    assert set(scores) == {"clean", "phone"}
    assert scores["clean"]["wer"] <= 0.15
    assert scores["phone"]["clips"][0]["transcript"]


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "any.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path
