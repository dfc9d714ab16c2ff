"""The real app in a real browser: ``chainlit run app.py`` driven by Debian Chromium.

One ``chainlit`` server per module, on the real default stack (Whisper base,
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
from urllib.parse import urljoin, urlsplit

import numpy as np
import pytest

from tests.conftest import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian Chromium is not installed at {CHROMIUM}"),
]

from playwright.sync_api import (  # noqa: E402  (after the skip marker on purpose)
    Browser,
    BrowserContext,
    ConsoleMessage,
    FilePayload,
    Locator,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

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


@pytest.fixture(scope="module")
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


@pytest.fixture(scope="module")
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


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
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


def _is_local(url: str) -> bool:
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
        if not _is_local(url) and url not in tab.offsite:
            tab.offsite.append(url)

    def guard(route, req) -> None:  # type: ignore[no-untyped-def]
        if _is_local(req.url):
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


def test_a_typed_loan_question_shows_the_dialog_step_the_payment_the_schedule_and_a_voice_reply(tab: Tab) -> None:
    page = tab.page
    tab.open_chat()

    reply = ask_and_confirm(tab)
    expect(reply).to_contain_text("6.50%")
    expect(reply).to_contain_text("estimate, not an offer")
    expect(step_button(page, "Dialog").last).to_be_visible()
    dialog = expand_step(page, "Dialog")
    expect(dialog).to_contain_text("intent: loan_quote")
    expect(dialog).to_contain_text("principal=25000")

    audio = reply.locator("audio")
    expect(audio).to_have_count(1, timeout=UI_TIMEOUT_MS)
    src = audio.get_attribute("src") or ""
    assert src.startswith(tab.server.url + "/"), f"reply audio is not served by the app: {src!r}"

    # The schedule: a table with the first rows, the last rows and the totals, and a balance chart.
    schedule = assistant_message(page, "Payment schedule")
    expect(schedule).to_be_visible(timeout=UI_TIMEOUT_MS)
    table = schedule.locator("table")
    expect(table).to_have_count(1)
    expect(table.locator("tbody tr")).to_have_count(3 + 1 + 3 + 1)
    expect(table).to_contain_text("$489.35")  # the final payment absorbs the rounding
    expect(table).to_contain_text("$0.00")  # the balance ends at zero
    expect(table).to_contain_text("$4,349.20")  # total interest
    chart = schedule.locator('img[alt="balance_chart"]')
    expect(chart).to_have_count(1, timeout=UI_TIMEOUT_MS)
    page.wait_for_function("img => img.complete && img.naturalWidth > 100", arg=chart.element_handle())


def test_b_the_fake_microphone_question_is_transcribed_answered_and_the_answer_plays(tab: Tab, mic_wav: MicWav) -> None:
    page = tab.page
    tab.open_chat()

    mic = page.locator(MIC_BUTTON)
    expect(mic).to_have_count(1)
    mic.hover()
    expect(page.get_by_text("Start recording", exact=False).first).to_be_visible()
    mic.click()

    # The server's on_audio_start said yes and the recorder is running: the button turns into "stop".
    page.wait_for_function("() => window.__voicebotMic.calls >= 1", timeout=UI_TIMEOUT_MS)
    settings = page.evaluate("() => window.__voicebotMic.settings")
    assert settings is not None, "getUserMedia gave no audio track"
    for key in ("echoCancellation", "noiseSuppression", "autoGainControl"):
        assert settings.get(key) is False, f"{key} is still on: {settings}"

    # Let the whole WAV play into the recorder: wait until the page has handed over all of the
    # speech and most of the trailing silence (24 kHz pcm16 chunks), however slowly that goes.
    needed_bytes = int((mic_wav.duration_s - 0.6) * 24_000 * 2)
    page.wait_for_function(
        "n => window.__voicebotMic.bytes >= n", arg=needed_bytes, timeout=mic_wav.duration_s * 1000 + 60_000
    )
    mic.click()  # stop: Chainlit ends the recording and sends audio_end

    stt = expand_step(page, "Speech-to-text")
    expect(stt).to_contain_text("borrow", ignore_case=True)
    expect(stt).to_contain_text("25,000")

    reply = assistant_message(page, "Just to confirm")
    expect(reply).to_be_visible(timeout=TURN_TIMEOUT_MS)
    expect(reply).to_contain_text("$25,000")
    audio = reply.locator("audio")
    expect(audio).to_have_count(1, timeout=UI_TIMEOUT_MS)
    # auto_play=True: the reply really plays in the page.
    page.wait_for_function(
        "a => a.currentTime > 0 && !a.paused && a.readyState >= 2",
        arg=audio.element_handle(),
        timeout=UI_TIMEOUT_MS,
    )


def test_c_blank_input_is_not_sent_a_corrupt_upload_gets_a_friendly_error_and_the_app_keeps_serving(
    tab: Tab,
) -> None:
    page = tab.page
    tab.open_chat()

    # Whitespace only: Chainlit's composer refuses to send it (button disabled, Enter does nothing).
    page.locator(CHAT_INPUT).fill("   ")
    expect(page.locator(CHAT_SUBMIT)).to_be_disabled()
    page.locator(CHAT_INPUT).press("Enter")
    expect(page.locator(USER_MESSAGE)).to_have_count(0)

    # A text file named bad.wav through the paperclip.
    page.locator(CHAT_INPUT).fill("")
    bad_wav: FilePayload = {"name": "bad.wav", "mimeType": "audio/wav", "buffer": b"plain text, not audio\n" * 4}
    page.locator(UPLOAD_INPUT).set_input_files(files=[bad_wav])
    submit = page.locator(CHAT_SUBMIT)
    expect(submit).to_be_enabled(timeout=UI_TIMEOUT_MS)  # the upload reached the server
    submit.click()

    error = assistant_message(page, "not audio")
    expect(error).to_be_visible(timeout=TURN_TIMEOUT_MS)
    expect(error).to_contain_text("⚠️")
    expect(error).to_contain_text("WAV")  # says what would work
    expect(error).not_to_contain_text("Traceback")

    # Same chat, next turn: still answered.
    ask_and_confirm(tab)


def test_d_nothing_on_the_page_loads_from_outside_the_machine(tab: Tab) -> None:
    page = tab.page
    tab.open_chat()
    reply = ask_and_confirm(tab)
    expect(assistant_message(page, "Payment schedule").locator('img[alt="balance_chart"]')).to_have_count(
        1, timeout=UI_TIMEOUT_MS
    )
    page.wait_for_function("a => a.readyState >= 1", arg=reply.locator("audio").element_handle())

    assert tab.offsite == [], f"the page tried to reach outside the machine: {tab.offsite}"
    fetched = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    assert fetched, "the page reported no resources at all"
    assert [u for u in fetched if not _is_local(u)] == []
    referenced = page.evaluate(
        """() => Array.from(document.querySelectorAll('[src], [href]'))
                 .filter(e => !(e.tagName === 'A'))  // plain links are not loads
                 .map(e => e.getAttribute('src') || e.getAttribute('href'))"""
    )
    # Relative references stay on the page's origin; absolute and protocol-relative ones must be local.
    external = [u for u in referenced if u and urlsplit(u).netloc and not _is_local(urljoin(tab.server.url, u))]
    assert external == [], f"the page references off-machine resources: {external}"


def test_e_a_scenario_plays_turn_by_turn_with_each_expectation_marked(tab: Tab) -> None:
    page = tab.page
    tab.open_chat()

    # The welcome message offers the starter scenarios as buttons.
    button = page.get_by_role("button", name="▶ loan happy path in one sentence")
    expect(button).to_be_visible(timeout=UI_TIMEOUT_MS)
    button.click()

    summary = assistant_message(page, "Scenario loan happy path in one sentence")
    expect(summary).to_be_visible(timeout=TURN_TIMEOUT_MS)
    expect(summary).to_contain_text("PASS, 2 turns")
    # Each turn: the caller's line, the pipeline's steps, then its checks, all marked.
    expect(assistant_message(page, "🧪 yes please")).to_be_visible()
    checks = step_button(page, "Checks")
    expect(checks).to_have_count(2)
    region = expand_step(page, "Checks")
    expect(region).to_contain_text("✅ figure payment")
    expect(region).not_to_contain_text("❌")

    # A failing expectation is shown as such: a scenario that does not exist is a friendly error.
    tab.send_text("/scenario no such thing")
    expect(assistant_message(page, "no scenario called")).to_be_visible(timeout=UI_TIMEOUT_MS)


def test_f_a_live_session_is_saved_as_a_scenario_and_replayed(tab: Tab) -> None:
    page = tab.page
    tab.open_chat()
    tab.send_text("I'd like to borrow $10,000 over 36 months at 5%")
    reply = assistant_message(page, "Just to confirm")
    expect(reply).to_be_visible(timeout=TURN_TIMEOUT_MS)

    reply.get_by_role("button", name="💾 Save as scenario").click()
    saved = assistant_message(page, "Saved as scenario")
    expect(saved).to_be_visible(timeout=UI_TIMEOUT_MS)
    files = list(tab.server.recorded.glob("*.yaml"))
    assert len(files) == 1, files
    from orchestrator.scenarios import load_scenario

    scenario = load_scenario(files[0]).scenario
    assert scenario.turns[0].user == "I'd like to borrow $10,000 over 36 months at 5%"
    assert scenario.turns[0].expect.state == "confirming"

    reply.get_by_role("button", name="⏪ Replay this session").click()
    expect(assistant_message(page, "Replay of session")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.locator(ASSISTANT_MESSAGE).filter(has_text="Just to confirm")).to_have_count(2, timeout=UI_TIMEOUT_MS)
    expect(step_button(page, "Dialog")).to_have_count(2)


def test_g_the_app_serves_prometheus_metrics_for_the_turns_it_ran(tab: Tab) -> None:
    page = tab.page
    tab.open_chat()
    tab.send_text("hello")
    expect(assistant_message(page, "How can I help?")).to_be_visible(timeout=TURN_TIMEOUT_MS)
    with urllib.request.urlopen(tab.server.url + "/metrics", timeout=30) as response:
        body = response.read().decode()
        assert response.headers["Content-Type"].startswith("text/plain")
    ok_turns = 'voicebot_turns_total{input_kind="text",outcome="ok"}'
    turns = [line for line in body.splitlines() if line.startswith(ok_turns)]
    assert turns and float(turns[0].split()[-1]) >= 1
    assert 'voicebot_stage_latency_seconds_bucket{le="0.005",stage="dialog"}' in body

    # The session's latency waterfall, as an image.
    page.get_by_role("button", name="📊 Latency waterfall").last.click()
    chart = assistant_message(page, "Latency waterfall of this session").locator('img[alt="latency_waterfall"]')
    expect(chart).to_have_count(1, timeout=UI_TIMEOUT_MS)
    page.wait_for_function("img => img.complete && img.naturalWidth > 100", arg=chart.element_handle())


def test_h_an_faq_asked_again_in_other_words_is_answered_from_the_semantic_cache(tab: Tab) -> None:
    page = tab.page
    tab.open_chat()
    tab.send_text("What are your opening hours?")
    expect(assistant_message(page, "Monday to Friday")).to_have_count(1, timeout=TURN_TIMEOUT_MS)
    expect(step_button(page, "Semantic cache - miss")).to_have_count(1, timeout=UI_TIMEOUT_MS)

    tab.send_text("When are you open?")

    expect(assistant_message(page, "Monday to Friday")).to_have_count(2, timeout=TURN_TIMEOUT_MS)
    hit = expand_step(page, "Semantic cache - hit")
    expect(hit).to_contain_text("without the dialog")


def test_i_a_tester_switches_the_chats_lora_adapter_in_the_chat_settings(tab: Tab) -> None:
    page = tab.page
    tab.open_chat()
    page.locator("#chat-settings-open-modal").click()
    page.locator("#adapter").click()
    page.get_by_role("option", name="banking-v1").click()
    page.get_by_role("button", name="Confirm").click()
    expect(assistant_message(page, "classifies intents with adapter banking-v1")).to_be_visible(
        timeout=UI_TIMEOUT_MS
    )

    tab.send_text("what's my balance")

    expect(assistant_message(page, "balance")).to_be_visible(timeout=TURN_TIMEOUT_MS)
    dialog = expand_step(page, "Dialog")
    expect(dialog).to_contain_text("adapter: banking-v1")
