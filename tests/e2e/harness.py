"""Real Chromium with a fake microphone against ``chainlit run app.py``: plumbing for the real-time
browser tests and ``scripts/bench-browser.sh``.

* ``start_app`` runs the app on a free loopback port with a throw-away VOICEBOT_HOME;
* ``spoken_wav`` writes a fake-microphone WAV from Piper speech and pauses, and says where
  each stretch of speech is;
* ``launch`` starts Debian's Chromium with that WAV as its microphone (no loop);
* ``open_tab`` opens the chat with every off-machine request blocked and two init scripts:
  ``fake_mic.js`` (echo cancellation off, bytes captured) and ``audio_probe.js`` (when the
  bot's voice really plays, when the microphone captured what, ``window.__voicebotAudio``);
* ``Probe`` reads those records back and turns them into the figures a caller feels.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
WAV_RATE = 48_000  # Chromium's native capture rate; its fake device resamples anything else
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
STARTUP_TIMEOUT_S = 180
MIC_RATE = 24_000  # Chainlit's recorder
WELCOME = "VoiceBot Workbench is ready"

__all__ = ["CHROMIUM", "App", "MicWav", "Probe", "launch", "open_tab", "spoken_wav", "start_app"]


@dataclass
class App:
    url: str
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def start_app(tmp: Path, **env: str) -> Iterator[App]:
    """``chainlit run app.py --headless`` on the real default stack; ``env`` adds VOICEBOT_* settings."""
    port = _free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOT_")}
    environ.pop("CHAINLIT_APP_ROOT", None)
    environ.update(VOICEBOT_HOME=str(tmp / "voicebot-home"), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
                   PYTHONUNBUFFERED="1", **env)
    log = tmp / "chainlit.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(REPO_ROOT / ".venv" / "bin" / "chainlit"), "run", "app.py", "--headless", "--host", "127.0.0.1",
             "--port", str(port)],
            cwd=REPO_ROOT, env=environ, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    app = App(url=f"http://127.0.0.1:{port}", log=log)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _answers(app.url + "/"):
            if proc.poll() is not None:
                raise RuntimeError(f"chainlit exited with {proc.returncode}:\n{app.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"chainlit did not answer within {STARTUP_TIMEOUT_S} s:\n{app.log_tail()}")
            time.sleep(0.5)
        yield app
    finally:
        for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            if proc.poll() is not None:
                break
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=grace)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue


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


def launch(playwright: Any, mic: MicWav | None) -> Any:
    """Debian's Chromium, headless, with ``mic`` as its microphone (played once, from the capture's start)."""
    args = [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream", "--autoplay-policy=no-user-gesture-required",
    ]
    if mic is not None:
        args.append(f"--use-file-for-fake-audio-capture={mic.path}%noloop")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or (parts.hostname or "") in LOCAL_HOSTS


def open_tab(browser: Any, app: App, timeout_ms: int = 60_000) -> Any:
    """A fresh context and page on the chat, the welcome message shown (the socket is up)."""
    context = browser.new_context(permissions=["microphone"], viewport={"width": 1280, "height": 900})
    here = Path(__file__).parent
    context.add_init_script(path=str(here / "fake_mic.js"))
    context.add_init_script(path=str(here / "audio_probe.js"))
    context.set_default_timeout(timeout_ms)
    context.route("**/*", lambda route, req: route.continue_() if _is_local(req.url) else route.abort())
    page = context.new_page()
    page.goto(app.url + "/")
    page.locator('div[data-step-type="assistant_message"]').filter(has_text=WELCOME).wait_for(timeout=timeout_ms)
    return page


@dataclass
class Probe:
    """What ``audio_probe.js`` saw in one page (times are the page's performance.now(), ms)."""

    data: dict[str, list[Any]]

    @classmethod
    def read(cls, page: Any) -> Probe:
        return cls(page.evaluate("() => window.__voicebotAudio"))

    def first_playing_after(self, t: float) -> float | None:
        """When the bot's voice first sounded after ``t`` (streamed worklet or a whole-WAV <audio>)."""
        times = [p["t"] for p in self.data["playing"]] + [m["t"] for m in self.data["media"]]
        later = [x for x in times if x >= t]
        return min(later) if later else None

    def first_write_after(self, t: float) -> float | None:
        later = [w["t"] for w in self.data["writes"] if w["t"] >= t]
        return min(later) if later else None

    def speech_edges(self, threshold_db: float = -45.0, gap_ms: float = 300.0) -> list[tuple[float, float]]:
        """(onset, end) page times of each stretch of speech the microphone captured.

        A block's time is when the recorder posted it, so its last sample was captured then;
        a stretch ends with the last loud block and splits at ``gap_ms`` of quiet.
        """
        edges: list[tuple[float, float]] = []
        start = last = None
        for block in self.data["mic"]:
            end_t = block["t"]
            begin_t = end_t - block["n"] / MIC_RATE * 1000.0
            if block["db"] < threshold_db:
                continue
            if last is not None and begin_t - last > gap_ms:
                assert start is not None
                edges.append((start, last))
                start = None
            start = begin_t if start is None else start
            last = end_t
        if start is not None and last is not None:
            edges.append((start, last))
        return edges
