"""Real-time voice in real Chromium: hands-free turns, streamed replies, barge-in, a pause inside a question.

The app runs on the real default stack (Silero VAD, Whisper base, Piper, the rules
dialog). Each test gets its own Chromium whose fake microphone plays a WAV that Piper
speaks at fixture time, with the pauses the test needs; the mic is clicked once and
never again. ``audio_probe.js`` sees what the page really played and when.

Waits poll with generous limits; nothing here asserts how fast the app is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from orchestrator.trace import read_jsonl
from tests.e2e.harness import (
    BROWSER_MARKS,
    MIC_BUTTON,
    TURN_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    Server,
    Tab,
    assistant_message,
    open_tab,
    start_app,
)
from tests.e2e.voice_harness import MicWav, Probe, launch_with_mic, listen, spoken_wav

pytestmark = BROWSER_MARKS

CALLER = 'div[data-step-type="user_message"], div[data-step-type="assistant_message"]'


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with start_app(tmp_path_factory.mktemp("e2e-voice")) as server:
        yield server


@pytest.fixture
def voice_tab(
    app_server: Server, playwright: Playwright, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[list[str | float]], tuple[Tab, MicWav]]]:
    """Opens a chat in a Chromium whose microphone says ``parts`` (strings spoken, numbers seconds of silence)."""
    browsers: list[Browser] = []
    tabs: list[object] = []

    def make(parts: list[str | float]) -> tuple[Tab, MicWav]:
        mic = spoken_wav(tmp_path / f"mic-{len(browsers)}.wav", parts)
        browser = launch_with_mic(playwright, mic)
        browsers.append(browser)
        manager = open_tab(app_server, browser, request)
        tabs.append(manager)
        tab = manager.__enter__()
        listen(tab)
        tab.open_chat()
        return tab, mic

    yield make
    for manager in reversed(tabs):
        manager.__exit__(None, None, None)  # type: ignore[attr-defined]
    for browser in browsers:
        browser.close()


def callers(page: Page) -> list[str]:
    """The hands-free caller lines the chat shows, in order."""
    return [m.inner_text() for m in assistant_message(page, "🎙️").all()]


def _click_mic_once(page: Page) -> None:
    page.locator(MIC_BUTTON).click()
    page.wait_for_function("() => window.__voicebotMic.calls >= 1", timeout=UI_TIMEOUT_MS)


def _events(server: Server, kind: str) -> list[object]:
    return [e for log in (server.home / "logs").glob("*.jsonl") for e in read_jsonl(log) if e.type == kind]


def test_a_hands_free_question_is_answered_with_no_second_click(voice_tab) -> None:  # type: ignore[no-untyped-def]
    tab, _mic = voice_tab([0.3, "What are your opening hours?", 4.0])
    page = tab.page
    _click_mic_once(page)

    reply = assistant_message(page, "Monday to Friday")
    expect(reply).to_be_visible(timeout=TURN_TIMEOUT_MS)
    (heard,) = callers(page)
    assert "opening hours" in heard.lower()
    assert "turn ended" in heard  # the server's endpointer ended it
    page.wait_for_function("() => window.__voicebotAudio.playing.length > 0", timeout=UI_TIMEOUT_MS)
    # The mic is still open: the recorder is still handing audio over, and the button still says "stop".
    captured = page.evaluate("() => window.__voicebotMic.bytes")
    page.wait_for_function("n => window.__voicebotMic.bytes > n", arg=captured, timeout=UI_TIMEOUT_MS)


def test_the_replys_pcm_reaches_the_pages_worklet_before_the_turn_has_finished_synthesising(
    voice_tab, app_server: Server  # type: ignore[no-untyped-def]
) -> None:
    tab, _mic = voice_tab([0.3])
    page = tab.page
    tab.send_text("What are your opening hours?")  # a typed turn: the disclosure and the FAQ, seven pieces

    expect(assistant_message(page, "Monday to Friday")).to_be_visible(timeout=TURN_TIMEOUT_MS)
    page.wait_for_function("() => window.__voicebotAudio.playing.length > 0", timeout=UI_TIMEOUT_MS)
    probe = Probe.read(page)
    first_write = (probe.data["timeOrigin"] + probe.writes_after(probe.data["clicks"][-1])[0]) / 1000.0
    # The server's record of the turn: when its speech finished (the last piece synthesised).
    (done,) = [e for e in _events(app_server, "tts_audio") if e.session_id in _sessions_of(app_server, page)]
    finished = done.wall_time.timestamp()  # type: ignore[attr-defined]
    assert first_write < finished, (datetime.fromtimestamp(first_write), done)
    assert len(probe.writes_after(probe.data["clicks"][-1])) >= 3  # piece by piece, not one WAV


def _sessions_of(server: Server, page: Page) -> set[str]:
    """Sessions whose log holds a turn that began after this page opened (this test's own)."""
    opened = page.evaluate("() => performance.timeOrigin") / 1000.0
    ids = set()
    for event in _events(server, "turn_started"):
        if event.wall_time.timestamp() >= opened:  # type: ignore[attr-defined]
            ids.add(event.session_id)  # type: ignore[attr-defined]
    return ids


def test_speaking_over_the_reply_stops_playback_and_the_next_turn_answers_what_was_said(voice_tab) -> None:  # type: ignore[no-untyped-def]
    # The reply (the disclosure, then the opening hours) lasts about 19 s; the second question comes
    # 12 s after the first, inside it however slowly the first answer starts on a loaded machine.
    tab, _mic = voice_tab([0.3, "What are your opening hours?", 12.0, "What is my balance?", 5.0])
    page = tab.page
    _click_mic_once(page)

    expect(assistant_message(page, "Monday to Friday")).to_be_visible(timeout=TURN_TIMEOUT_MS)
    expect(assistant_message(page, "You cut in after")).to_be_visible(timeout=TURN_TIMEOUT_MS)
    page.wait_for_function("() => window.__voicebotAudio.interrupts.length > 0", timeout=UI_TIMEOUT_MS)
    expect(assistant_message(page, "🎙️").nth(1)).to_be_visible(timeout=TURN_TIMEOUT_MS)
    heard = callers(page)
    assert len(heard) == 2 and "balance" in heard[1].lower(), heard
    # The second turn answers the balance question (the rules dialog offers the balance flow).
    expect(assistant_message(page, "balance").last).to_be_visible(timeout=TURN_TIMEOUT_MS)
    probe = Probe.read(page)
    stop = probe.data["interrupts"][0]
    assert any(q["t"] >= stop for q in probe.data["quiet"]), "the page kept playing after the stop"


def test_a_question_with_a_600_ms_pause_in_the_middle_is_answered_once_whole(voice_tab) -> None:  # type: ignore[no-untyped-def]
    tab, mic = voice_tab([
        0.3, "I'd like to borrow twenty-five thousand dollars over", 0.6, "five years at six point five percent.", 4.0,
    ])
    page = tab.page
    _click_mic_once(page)

    reply = assistant_message(page, "Just to confirm")
    expect(reply).to_be_visible(timeout=TURN_TIMEOUT_MS)
    expect(reply).to_contain_text("$25,000")
    expect(reply).to_contain_text("6.5")
    # Had the pause split the question, the second half would be a turn of its own by the time the
    # whole WAV has been captured and the longest endpoint wait has passed.
    page.wait_for_function("n => window.__voicebotMic.bytes >= n", arg=int((mic.seconds - 0.3) * 24_000 * 2),
                           timeout=TURN_TIMEOUT_MS)
    page.wait_for_timeout(1500)
    heard = callers(page)
    assert len(heard) == 1, heard
    assert "25,000" in heard[0] and "6.5" in heard[0]


# A reply, stopped: the next reply's first chunk is written before the stopped worklet has said it stopped
# (as the server does when a cached answer follows the stop at once: "Thank you for calling. Goodbye.").
_STOP_THEN_PLAY = """async () => {
  const tone = (n) => Int16Array.from({ length: n },
    (_, i) => Math.round(8000 * Math.sin(i / 24000 * 2 * Math.PI * 440)));
  const player = new window.WavStreamPlayer({ sampleRate: 24000 });
  await player.connect();
  player.add16BitPCM(tone(24000), 'reply-1');
  await new Promise((done) => setTimeout(done, 400));
  const stop = performance.now();
  player.interrupt();  // Chainlit's audio_interrupt handler does not wait for it either
  player.add16BitPCM(tone(12000), 'reply-2');
  await new Promise((done) => setTimeout(done, 1500));
  return stop;
}"""


def test_a_reply_sent_the_moment_the_last_one_was_stopped_still_plays(voice_tab) -> None:  # type: ignore[no-untyped-def]
    tab, _mic = voice_tab([0.3])
    page = tab.page

    stop = page.evaluate(_STOP_THEN_PLAY)

    probe = Probe.read(page)
    assert probe.data["interrupts"], "the player was not interrupted"
    assert probe.first_playing_after(stop) is not None, "the reply after the stop never played"
