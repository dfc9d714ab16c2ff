"""The fixtures the browser tests share: ``chainlit run app.py`` driven by Debian Chromium (``harness.py``).

One ``chainlit`` server per test session, on the real default stack (Whisper base,
Piper "joe", the rules dialog) with a throw-away VOICEBOT_HOME. Every test gets
a fresh browser context (so a fresh Chainlit session) in which every request
that would leave the machine is aborted and recorded (``tests/e2e/harness.py``).

The microphone is Chromium's fake capture device playing a WAV that Piper
speaks at fixture time: "I'd like to borrow 25,000 dollars over 5 years at
6.5 percent."

Waits poll with generous limits; nothing here asserts how fast the app is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Browser, Locator, Playwright, expect

from tests.e2e.harness import (
    TURN_TIMEOUT_MS,
    Server,
    Tab,
    assistant_message,
    launch_chromium,
    open_tab,
    start_app,
)

LOAN_QUESTION = "I'd like to borrow 25,000 dollars over 5 years at 6.5 percent."
LEAD_SILENCE_S = 0.3
TAIL_SILENCE_S = 1.5
WAV_RATE = 48_000  # Chromium's native capture rate; its fake device resamples anything else


@pytest.fixture(scope="package")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``chainlit run app.py --headless`` on a free loopback port, on the real default backends."""
    with start_app(tmp_path_factory.mktemp("e2e-app")) as server:
        yield server


# --------------------------------------------------------------------------- microphone WAV


@dataclass(frozen=True)
class MicWav:
    path: Path
    duration_s: float


@pytest.fixture(scope="package")
def mic_wav(tmp_path_factory: pytest.TempPathFactory) -> MicWav:
    """The loan question spoken by the project's Piper voice, padded with silence, 16-bit mono 48 kHz."""
    from orchestrator.audio import encode_wav, resample
    from orchestrator.nlu.spoken import speakable
    from orchestrator.tts.piper import PiperTTS

    tts = PiperTTS()
    speech = resample(tts.synthesize(speakable(LOAN_QUESTION)), tts.sample_rate, WAV_RATE)
    assert speech.size > WAV_RATE, "Piper produced (almost) no audio for the loan question"
    samples = np.concatenate(
        [
            np.zeros(int(LEAD_SILENCE_S * WAV_RATE), dtype=np.float32),
            speech.astype(np.float32),
            np.zeros(int(TAIL_SILENCE_S * WAV_RATE), dtype=np.float32),
        ]
    )
    path = tmp_path_factory.mktemp("e2e-mic") / "loan-question.wav"
    path.write_bytes(encode_wav(samples, WAV_RATE))
    return MicWav(path=path, duration_s=len(samples) / WAV_RATE)


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="package")
def browser(playwright: Playwright, mic_wav: MicWav) -> Iterator[Browser]:
    browser = launch_chromium(
        playwright,
        [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={mic_wav.path}%noloop",
        ],
    )
    yield browser
    browser.close()


@pytest.fixture
def tab(app_server: Server, browser: Browser, request: pytest.FixtureRequest) -> Iterator[Tab]:
    with open_tab(app_server, browser, request, init_script=Path(__file__).with_name("fake_mic.js")) as tab:
        yield tab


# --------------------------------------------------------------------------- steps the tests share


def ask_and_confirm(tab: Tab) -> Locator:
    """Send the loan question, check the disclosure and the confirmation, say yes; the quote message."""
    page = tab.page
    tab.send_text(LOAN_QUESTION)
    confirm = assistant_message(page, "Just to confirm")
    expect(confirm).to_be_visible(timeout=TURN_TIMEOUT_MS)
    expect(confirm).to_contain_text("virtual assistant")  # the AI-and-recording disclosure opens the session
    expect(confirm).to_contain_text("recorded")
    tab.send_text("yes")
    reply = assistant_message(page, "Here is your estimate")
    expect(reply).to_be_visible(timeout=TURN_TIMEOUT_MS)
    expect(reply).to_contain_text("$489.15")
    return reply
