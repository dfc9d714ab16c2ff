"""The plumbing of the browser tests: ``chainlit run app.py`` driven by Debian Chromium.

One ``chainlit`` server per test session, on the real default stack (Whisper base,
Piper "joe", the rules dialog) with a throw-away VOICEBOT_HOME. Every test gets
a fresh browser context (so a fresh Chainlit session) in which every request
that would leave the machine is aborted and recorded.

The microphone is Chromium's fake capture device playing a WAV that Piper
speaks at fixture time: "I'd like to borrow 25,000 dollars over 5 years at
6.5 percent."

Waits poll with generous limits; nothing here asserts how fast the app is.
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
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from tests.conftest import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
# Every browser test module carries these marks.
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian Chromium is not installed at {CHROMIUM}"),
]

LOAN_QUESTION = "I'd like to borrow 25,000 dollars over 5 years at 6.5 percent."
LEAD_SILENCE_S = 0.3
TAIL_SILENCE_S = 1.5
WAV_RATE = 48_000  # Chromium's native capture rate; its fake device resamples anything else

STARTUP_TIMEOUT_S = 120
TURN_TIMEOUT_MS = 120_000  # a turn on two shared cores: Whisper + Piper, first calls warm up
UI_TIMEOUT_MS = 60_000
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}

# Selectors (Chainlit 2.12 frontend).
CHAT_INPUT = "#chat-input"
CHAT_SUBMIT = "#chat-submit"
UPLOAD_INPUT = "#upload-button-input"  # the paperclip's hidden <input type=file>
# The voice button has no id or aria-label: it is the button just before the paperclip.
MIC_BUTTON = "#message-composer div:has(+ span #upload-button) > button"
ASSISTANT_MESSAGE = 'div[data-step-type="assistant_message"]'
USER_MESSAGE = 'div[data-step-type="user_message"]'


def step_button(page: Page, name_prefix: str) -> Locator:
    """The header button of a step; Chainlit makes ``step-<step name>`` its DOM id."""
    return page.locator(f'button[id^="step-{name_prefix}"]')


def expand_step(page: Page, name_prefix: str) -> Locator:
    """Open a (collapsed) step and return its content region."""
    button = step_button(page, name_prefix).last
    expect(button).to_be_visible(timeout=TURN_TIMEOUT_MS)
    if button.get_attribute("aria-expanded") != "true":
        button.click()
    expect(button).to_have_attribute("aria-expanded", "true", timeout=UI_TIMEOUT_MS)
    region = page.locator(f'[id="{button.get_attribute("aria-controls")}"]')
    expect(region).to_be_visible(timeout=UI_TIMEOUT_MS)
    return region


def assistant_message(page: Page, text: str) -> Locator:
    return page.locator(ASSISTANT_MESSAGE).filter(has_text=text)


# --------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


@dataclass
class Server:
    url: str
    log: Path
    proc: subprocess.Popen[bytes]
    recorded: Path  # where "Save as scenario" writes

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``chainlit run app.py --headless`` on a free loopback port, on the real default backends."""
    tmp = tmp_path_factory.mktemp("e2e-app")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOT_")}
    env.pop("CHAINLIT_APP_ROOT", None)  # the repo is the app root: .chainlit/config.toml and public/
    env.update(
        VOICEBOT_HOME=str(tmp / "voicebot-home"),
        VOICEBOT_RECORDED_SCENARIOS_DIR=str(tmp / "recorded"),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        PYTHONUNBUFFERED="1",
    )
    log = tmp / "chainlit.log"
    chainlit = REPO_ROOT / ".venv" / "bin" / "chainlit"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(chainlit), "run", "app.py", "--headless", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, killed as a whole at the end
        )
    server = Server(url=f"http://127.0.0.1:{port}", log=log, proc=proc, recorded=tmp / "recorded")
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _answers(server.url + "/"):
            if proc.poll() is not None:
                pytest.fail(f"chainlit exited with {proc.returncode} during start-up:\n{server.log_tail()}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"chainlit did not answer on {server.url} within {STARTUP_TIMEOUT_S} s:\n{server.log_tail()}"
                )
            time.sleep(0.5)
        yield server
    finally:
        _stop(proc)


# --------------------------------------------------------------------------- microphone WAV


@dataclass(frozen=True)
class MicWav:
    path: Path
    duration_s: float


@pytest.fixture(scope="session")
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


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright, mic_wav: MicWav) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={mic_wav.path}%noloop",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )
    yield browser
    browser.close()


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return (parts.hostname or "") in LOCAL_HOSTS


@dataclass
class Tab:
    """One browser context and its page, plus every off-machine request it tried."""

    server: Server
    context: BrowserContext
    page: Page
    offsite: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def open_chat(self) -> Locator:
        """Load the app and wait for the welcome message ``on_chat_start`` sends (the socket is up)."""
        self.page.goto(self.server.url + "/")
        welcome = assistant_message(self.page, "VoiceBot Workbench is ready")
        expect(welcome).to_be_visible(timeout=UI_TIMEOUT_MS)
        expect(self.page.locator(CHAT_INPUT)).to_be_editable(timeout=UI_TIMEOUT_MS)
        return welcome

    def send_text(self, text: str) -> None:
        self.page.locator(CHAT_INPUT).fill(text)
        submit = self.page.locator(CHAT_SUBMIT)
        expect(submit).to_be_enabled(timeout=UI_TIMEOUT_MS)
        submit.click()


@pytest.fixture
def tab(app_server: Server, browser: Browser, request: pytest.FixtureRequest) -> Iterator[Tab]:
    context = browser.new_context(permissions=["microphone"], viewport={"width": 1280, "height": 900})
    context.add_init_script(path=str(Path(__file__).with_name("fake_mic.js")))
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    tab = Tab(server=app_server, context=context, page=page)

    def record(url: str) -> None:
        if not is_local(url) and url not in tab.offsite:
            tab.offsite.append(url)

    def guard(route, req) -> None:  # type: ignore[no-untyped-def]
        if is_local(req.url):
            route.continue_()
        else:
            record(req.url)
            route.abort("blockedbyclient")

    context.route("**/*", guard)
    # Belt and braces: requests a route could miss (web sockets, workers) are recorded too.
    context.on("request", lambda req: record(req.url))
    page.on("websocket", lambda ws: record(ws.url))

    def console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            tab.console_errors.append(msg.text)

    page.on("console", console)
    yield tab
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        shot = Path(f"/tmp/e2e-{request.node.name}.png")
        try:
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")
        except Exception as exc:  # the page may be gone; the report matters more
            print(f"no screenshot: {exc}")
        print(f"chainlit log tail:\n{app_server.log_tail()}")
        print(f"console errors: {tab.console_errors}")
    context.close()


# --------------------------------------------------------------------------- tests


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

