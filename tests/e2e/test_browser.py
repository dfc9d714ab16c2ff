"""The real app in a real browser: ``chainlit run app.py`` driven by Debian Chromium.

One ``chainlit`` server per module, on the real default stack (Whisper base,
Piper "joe", the rules dialog) with a throw-away VOICEBOT_HOME. Every test gets
a fresh browser context (so a fresh Chainlit session) in which every request
that would leave the machine is aborted and recorded (``tests/e2e/harness.py``).

The microphone is Chromium's fake capture device playing a WAV that Piper
speaks at fixture time: "I'd like to borrow 25,000 dollars over 5 years at
6.5 percent."

Waits poll with generous limits; nothing here asserts how fast the app is.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import numpy as np
import pytest
from playwright.sync_api import Browser, FilePayload, Locator, Playwright, expect

from tests.e2e.harness import (
    ASSISTANT_MESSAGE,
    BROWSER_MARKS,
    CHAT_INPUT,
    CHAT_SUBMIT,
    MIC_BUTTON,
    TURN_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    UPLOAD_INPUT,
    USER_MESSAGE,
    Server,
    Tab,
    _is_local,
    assistant_message,
    expand_step,
    launch_chromium,
    open_tab,
    start_app,
    step_button,
)

pytestmark = BROWSER_MARKS

LOAN_QUESTION = "I'd like to borrow 25,000 dollars over 5 years at 6.5 percent."
LEAD_SILENCE_S = 0.3
TAIL_SILENCE_S = 1.5
WAV_RATE = 48_000  # Chromium's native capture rate; its fake device resamples anything else


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``chainlit run app.py --headless`` on a free loopback port, on the real default backends."""
    with start_app(tmp_path_factory.mktemp("e2e-app")) as server:
        yield server


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
