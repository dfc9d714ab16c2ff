"""Real-time voice in real Chromium: fake-microphone WAVs with known speech, and what the page heard and played.

Builds on ``tests/e2e/harness.py`` (the app, Chromium, tabs):

* ``spoken_wav`` writes a fake-microphone WAV from Piper speech and pauses, and says where
  each stretch of speech is;
* ``launch_with_mic`` starts Chromium with that WAV as its microphone (played once);
* ``listen`` adds two init scripts to a tab: ``fake_mic.js`` (echo cancellation off, bytes
  captured) and ``audio_probe.js`` (when the bot's voice really plays, what the microphone
  captured when: ``window.__voicebotAudio``);
* ``Probe`` reads those records back and turns them into the figures a caller feels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from playwright.sync_api import Browser, Page, Playwright

from tests.e2e.harness import Tab, launch_chromium

WAV_RATE = 48_000  # Chromium's native capture rate; its fake device resamples anything else
MIC_RATE = 24_000  # Chainlit's recorder
HERE = Path(__file__).parent

__all__ = ["MicWav", "Probe", "launch_with_mic", "listen", "spoken_wav"]


@dataclass(frozen=True)
class MicWav:
    """A fake-microphone WAV and where its speech is (seconds into the file)."""

    path: Path
    seconds: float
    speech: list[tuple[float, float]]


def spoken_wav(path: Path, parts: list[str | float]) -> MicWav:
    """Piper speech for each string, that many seconds of silence for each number, 16-bit mono 48 kHz."""
    from orchestrator.audio import encode_wav, resample
    from orchestrator.nlu.spoken import speakable
    from orchestrator.tts.piper import PiperTTS

    tts = PiperTTS()
    pieces: list[np.ndarray] = []
    speech: list[tuple[float, float]] = []
    at = 0
    for part in parts:
        if isinstance(part, str):
            audio = resample(tts.synthesize(speakable(part)), tts.sample_rate, WAV_RATE)
            loud = np.flatnonzero(np.abs(audio) > 0.01)  # Piper's own lead-in and tail silence, cut
            audio = audio[loud[0]: loud[-1] + 1]
            speech.append((at / WAV_RATE, (at + len(audio)) / WAV_RATE))
        else:
            audio = np.zeros(int(part * WAV_RATE), dtype=np.float32)
        pieces.append(audio.astype(np.float32))
        at += len(audio)
    path.write_bytes(encode_wav(np.concatenate(pieces), WAV_RATE))
    return MicWav(path=path, seconds=at / WAV_RATE, speech=speech)


def launch_with_mic(playwright: Playwright, mic: MicWav | None) -> Browser:
    """Chromium whose microphone plays ``mic`` once from the moment it is opened (none: no microphone file)."""
    args = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
    if mic is not None:
        args.append(f"--use-file-for-fake-audio-capture={mic.path}%noloop")
    return launch_chromium(playwright, args)


def listen(tab: Tab) -> Page:
    """Add the microphone and playback probes to ``tab`` (before ``open_chat``); returns its page."""
    tab.context.add_init_script(path=str(HERE / "fake_mic.js"))
    tab.context.add_init_script(path=str(HERE / "audio_probe.js"))
    return tab.page


@dataclass
class Probe:
    """What ``audio_probe.js`` saw in one page (times are the page's performance.now(), ms)."""

    data: dict[str, list[Any]]

    @classmethod
    def read(cls, page: Page) -> Probe:
        return cls(page.evaluate("() => window.__voicebotAudio"))

    def first_playing_after(self, t: float) -> float | None:
        """When the bot's voice first sounded after ``t`` (streamed worklet, or a whole-WAV <audio>)."""
        times = [p["t"] for p in self.data["playing"]] + [m["t"] for m in self.data["media"]]
        later = [x for x in times if x >= t]
        return min(later) if later else None

    def writes_after(self, t: float) -> list[float]:
        """When each PCM chunk after ``t`` reached the player's worklet."""
        return sorted(w["t"] for w in self.data["writes"] if w["t"] >= t)

    def speech_edges(self, threshold_db: float = -45.0, gap_ms: float = 300.0) -> list[tuple[float, float]]:
        """(onset, end) page times of each stretch of speech the microphone captured.

        A block's time is when the recorder posted it, so its last sample was captured then;
        a stretch ends with the last loud block and splits at ``gap_ms`` of quiet.
        """
        edges: list[tuple[float, float]] = []
        start: float | None = None
        last: float | None = None
        for block in self.data["mic"]:
            end_t = float(block["t"])
            begin_t = end_t - block["n"] / MIC_RATE * 1000.0
            if block["db"] < threshold_db:
                continue
            if last is not None and start is not None and begin_t - last > gap_ms:
                edges.append((start, last))
                start = None
            start = begin_t if start is None else start
            last = end_t
        if start is not None and last is not None:
            edges.append((start, last))
        return edges
