"""Play scenarios' spoken turns under every persona x perturbation cell, through the real pipeline.

Each cell runs every scenario through ``orchestrator.scenarios.run_scenario``
(the one scenario runner) with a ``Speaker`` that says the script in the
persona's style and voice and then perturbs the audio. Typed turns stay
typed unless ``speak_typed`` is set; recorded ``audio:`` turns play as
recorded. The caller's voice for a script is synthesized once per persona and
reused by every perturbation, so cells differ only by the perturbation.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from orchestrator.audio import encode_wav
from orchestrator.config import Settings
from orchestrator.nlu.spoken import speakable
from orchestrator.personas.model import Persona
from orchestrator.personas.styles import say_in_style
from orchestrator.personas.voices import PersonaVoice, persona_voice
from orchestrator.robustness.perturb import Assets, apply_perturbation
from orchestrator.robustness.spec import Perturbation
from orchestrator.scenarios.loader import LoadedScenario
from orchestrator.scenarios.runner import Pipelines, ScenarioRun, Speaker, run_scenario

__all__ = ["CellRuns", "LabPlan", "babble_voices", "run_lab", "spoken_scenarios"]

_PAD_S = 0.3  # silence around each utterance, like a real recording (the noise covers it too)
# Other talkers for babble: espeak-ng variants (cheap: a subprocess each), never the caller's own voice.
_BABBLE_VOICES = ("en-gb", "en-us+f2", "en-029", "en-gb-x-rp+f4", "en-us+m3", "en-gb-scotland+f1")
_BABBLE_LINES = (
    "I was just telling her about the weekend, we drove up to the lake and it rained the whole time.",
    "Can you pass me the report from last quarter, the one with the blue cover on it?",
    "The meeting moved to three o'clock, so we have a bit more time for lunch today.",
    "He said the train was late again, and nobody told them anything at the station.",
)


@dataclass(frozen=True)
class LabPlan:
    """What to play: scenarios with spoken turns, personas, perturbations (``clean`` first), repeats."""

    scenarios: list[LoadedScenario]
    personas: list[Persona]
    perturbations: list[Perturbation]
    repeat: int = 1
    seed: int = 0
    speak_typed: bool = False

    @property
    def runs_total(self) -> int:
        """Scenario runs the plan makes."""
        return len(self.scenarios) * len(self.personas) * len(self.perturbations) * self.repeat


@dataclass
class CellRuns:
    """Every scenario run of one persona x perturbation cell."""

    persona: str
    perturbation: str
    scenarios: dict[str, LoadedScenario]  # by name: the expectations behind each run
    runs: list[ScenarioRun] = field(default_factory=list)


def spoken_scenarios(scenarios: list[LoadedScenario], speak_typed: bool) -> list[LoadedScenario]:
    """The scenarios a persona can play: with ``say`` turns (or any typed turn when ``speak_typed``)."""
    return [
        s for s in scenarios
        if any(t.say is not None or (speak_typed and t.user is not None) for t in s.scenario.turns)
    ]


def babble_voices(settings: Settings) -> list[tuple[np.ndarray, int]]:
    """Clips of other synthetic talkers for the babble perturbation."""
    from orchestrator.personas.model import Voice

    clips = []
    for index, name in enumerate(_BABBLE_VOICES):
        voice = persona_voice(Voice(engine="espeak", name=name, rate=150 + 10 * index), settings)
        samples = voice.synthesize(_BABBLE_LINES[index % len(_BABBLE_LINES)])
        clips.append((samples, voice.sample_rate))
    return clips


class _Voicing:
    """Speaks scripts as personas, once per (persona, words), shared by all perturbations."""

    def __init__(self, settings: Settings, assets: Assets, seed: int) -> None:
        self._settings = settings
        self._assets = assets
        self._seed = seed
        self._said: dict[tuple[str, str], tuple[np.ndarray, int]] = {}
        self._voices: dict[str, PersonaVoice] = {}

    def voice(self, persona: Persona) -> PersonaVoice:
        if persona.name not in self._voices:
            self._voices[persona.name] = persona_voice(persona.voice, self._settings)
        return self._voices[persona.name]

    def _speak(self, persona: Persona, said: str) -> tuple[np.ndarray, int]:
        key = (persona.name, said)
        if key not in self._said:
            voice = self.voice(persona)
            samples = voice.synthesize(speakable(said))
            rate = voice.sample_rate
            pad = np.zeros(int(rate * _PAD_S), dtype=np.float32)
            self._said[key] = (np.concatenate([pad, samples, pad]), rate)
        return self._said[key]

    def speaker(self, persona: Persona, perturbation: Perturbation, repeat: int) -> Speaker:
        async def speak(script: str) -> tuple[str, bytes]:
            said = say_in_style(script, persona.style, persona.seed + repeat)
            samples, rate = await asyncio.to_thread(self._speak, persona, said)
            seed = zlib.crc32(f"{self._seed}|{repeat}|{said}".encode())
            out, out_rate = await asyncio.to_thread(
                apply_perturbation, perturbation, samples, rate, seed, self._assets
            )
            return said, encode_wav(out, out_rate)

        return speak


async def run_lab(
    plan: LabPlan,
    pipelines: Pipelines,
    settings: Settings,
    assets_dir: Path,
    on_run: Callable[[CellRuns, ScenarioRun], None] | None = None,
) -> list[CellRuns]:
    """Every cell's runs, persona by persona, perturbation by perturbation (one at a time: models share cores)."""
    assets = Assets(assets_dir, voices=lambda: babble_voices(settings))
    voicing = _Voicing(settings, assets, plan.seed)
    for persona in plan.personas:
        await asyncio.to_thread(voicing.voice, persona)  # a missing voice fails before any turn
    cells: list[CellRuns] = []
    for persona in plan.personas:
        for perturbation in plan.perturbations:
            cell = CellRuns(persona.name, perturbation.name, {s.name: s for s in plan.scenarios})
            for repeat in range(plan.repeat):
                speaker = voicing.speaker(persona, perturbation, repeat)
                for loaded in plan.scenarios:
                    run = await run_scenario(
                        loaded, pipelines.for_scenario(loaded), audio_mode=plan.speak_typed, repeat=repeat,
                        speaker=speaker,
                    )
                    cell.runs.append(run)
                    if on_run is not None:
                        on_run(cell, run)
            cells.append(cell)
    return cells
