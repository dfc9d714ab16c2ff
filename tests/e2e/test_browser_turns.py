"""The real app in a real browser: a typed loan question, the fake microphone, bad input."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import FilePayload, expect

from orchestrator.ui.voice import HANDS_FREE_ID
from tests.e2e.browser import MicWav, ask_and_confirm
from tests.e2e.harness import (
    BROWSER_MARKS,
    CHAT_INPUT,
    CHAT_SUBMIT,
    MIC_BUTTON,
    TURN_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    UPLOAD_INPUT,
    USER_MESSAGE,
    Tab,
    assistant_message,
    expand_step,
    step_button,
)

pytestmark = BROWSER_MARKS
AUDIO_PROBE = Path(__file__).with_name("audio_probe.js")


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


def test_b_push_to_talk_transcribes_the_fake_microphone_question_when_the_mic_closes_and_the_answer_plays(
    tab: Tab, mic_wav: MicWav
) -> None:
    page = tab.page
    tab.context.add_init_script(path=str(AUDIO_PROBE))  # sees the streamed answer play
    tab.open_chat()
    # Hands-free is the default: push-to-talk is the chat setting switched off.
    page.locator("#chat-settings-open-modal").click()
    page.locator(f"#{HANDS_FREE_ID}").click()
    page.get_by_role("button", name="Confirm").click()
    expect(assistant_message(page, "Push-to-talk")).to_be_visible(timeout=UI_TIMEOUT_MS)

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
    # Push-to-talk: nothing is answered while the microphone is open.
    expect(assistant_message(page, "Just to confirm")).to_have_count(0)
    stopped = page.evaluate("() => performance.now()")
    mic.click()  # stop: Chainlit ends the recording and sends audio_end

    stt = expand_step(page, "Speech-to-text")
    expect(stt).to_contain_text("borrow", ignore_case=True)
    expect(stt).to_contain_text("25,000")

    reply = assistant_message(page, "Just to confirm")
    expect(reply).to_be_visible(timeout=TURN_TIMEOUT_MS)
    expect(reply).to_contain_text("$25,000")
    expect(reply.locator("audio")).to_have_count(1, timeout=UI_TIMEOUT_MS)  # the whole answer, to play again
    # The answer really plays in the page: streamed into its player after the second click.
    page.wait_for_function(
        "t => window.__voicebotAudio.playing.some((p) => p.t > t)", arg=stopped, timeout=UI_TIMEOUT_MS
    )
    assert len(assistant_message(page, "Just to confirm").all()) == 1


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
