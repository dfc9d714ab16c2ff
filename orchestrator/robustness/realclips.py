"""Real recordings under each perturbation, scored by WER against their manifest transcripts.

The manifest is ``audio/audio_manifest.json`` in a realdata folder (by
default ``../shared/realdata`` beside the checkout, or ``VOICEBOT_REALDATA``):
``{"clips": [{"file": "audio/x.wav", "reference_transcript": "..."}]}``. A
clip whose reference is not one string (a per-channel transcript) is skipped
with a note. Each clip plays as one audio turn of a fresh session through the
pipeline, so the figure is what the caller's words become in the product.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from orchestrator.audio import decode_audio, encode_wav
from orchestrator.errors import VoicebotError
from orchestrator.fsutil import read_json
from orchestrator.pipeline import Pipeline
from orchestrator.robustness.perturb import Assets, apply_perturbation
from orchestrator.robustness.spec import Perturbation, PerturbationError
from orchestrator.textmetrics import normalize_words, wer

__all__ = ["RealClip", "default_realdata", "load_clips", "run_real_clips"]


@dataclass(frozen=True)
class RealClip:
    """A recording and what was said in it."""

    path: Path
    reference: str


def default_realdata() -> Path | None:
    """``VOICEBOT_REALDATA``, else ``../shared/realdata`` beside the checkout, when it has a manifest."""
    env = os.environ.get("VOICEBOT_REALDATA")
    folder = Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "realdata"
    return folder if (folder / "audio" / "audio_manifest.json").is_file() else None


def load_clips(folder: Path) -> tuple[list[RealClip], list[str]]:
    """The usable clips of a realdata folder, and a note for each one skipped."""
    manifest = folder / "audio" / "audio_manifest.json"
    data = read_json(manifest, PerturbationError, missing="manifest", kind="manifest")
    entries = data.get("clips") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise PerturbationError(f"{manifest}: no 'clips' list")
    clips: list[RealClip] = []
    notes: list[str] = []
    base = folder.resolve()
    for entry in entries:
        name = entry.get("file") if isinstance(entry, dict) else None
        reference = entry.get("reference_transcript") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            notes.append("a manifest entry without a file name was skipped")
            continue
        path = (base / name).resolve()
        if not path.is_relative_to(base) or not path.is_file():
            notes.append(f"{name}: missing or outside the realdata folder, skipped")
        elif not isinstance(reference, str) or not normalize_words(reference):
            notes.append(f"{name}: no single reference transcript (e.g. one per channel), skipped")
        else:
            clips.append(RealClip(path, reference))
    return clips, notes


async def run_real_clips(
    clips: list[RealClip],
    perturbations: list[Perturbation],
    pipeline: Pipeline,
    assets: Assets,
    seed: int,
    on_clip: Callable[[], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Per perturbation: pooled WER over the clips and each clip's transcript."""
    decoded = []
    for clip in clips:
        audio = await asyncio.to_thread(decode_audio, clip.path, max_seconds=pipeline.settings.max_audio_seconds)
        decoded.append((clip, audio.samples))
    out: dict[str, dict[str, Any]] = {}
    for perturbation in perturbations:
        errors = words = 0.0
        per_clip: list[dict[str, Any]] = []
        for index, (clip, samples) in enumerate(decoded):
            noisy, rate = await asyncio.to_thread(
                apply_perturbation, perturbation, np.asarray(samples), 16_000, seed + index, assets
            )
            heard: str | None = None
            error: str | None = None
            try:
                result = await pipeline.run_turn(f"realclip-{uuid.uuid4().hex[:10]}", audio=encode_wav(noisy, rate))
                heard = result.transcript or ""
            except VoicebotError as exc:
                error = exc.category
                heard = "" if exc.category in ("silent_audio", "empty_audio") else None
            ref_words = len(normalize_words(clip.reference))
            score = wer(clip.reference, heard) if heard is not None else None
            if score is not None:
                errors += score * ref_words
                words += ref_words
            per_clip.append({"file": clip.path.name, "wer": None if score is None else round(score, 4),
                             "transcript": heard, "error": error})
            if on_clip is not None:
                on_clip()
        out[perturbation.name] = {"wer": round(errors / words, 4) if words else None, "clips": per_clip}
    return out
