"""The reply player: 24 kHz PCM16 out, a fresh track per reply, and a clock of what was heard."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.audio import pcm16_samples
from orchestrator.realtime import PLAYER_RATE, ReplyPlayer, player_pcm
from tests.unit.realtime_fakes import FakeClock, RecordingOut

pytestmark = pytest.mark.asyncio

PIPER_RATE = 22_050


def _tone(seconds: float, rate: int = PIPER_RATE, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


async def test_the_voices_22050_hz_becomes_24_khz_pcm16_at_the_same_pitch_and_length() -> None:
    pcm = player_pcm(_tone(1.0, freq=441.0), PIPER_RATE)

    samples = pcm16_samples(pcm)
    assert abs(len(samples) - PLAYER_RATE) <= 2  # one second of audio at the player's rate
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    peak_hz = np.argmax(spectrum) * PLAYER_RATE / len(samples)
    assert peak_hz == pytest.approx(441.0, abs=2.0)  # played at 24 kHz it sounds at the same pitch


async def test_each_reply_gets_a_new_track_and_each_piece_is_sent_the_moment_it_is_played() -> None:
    clock = FakeClock()
    out = RecordingOut(clock)
    player = ReplyPlayer(out, clock=clock)
    first = player.start_reply()
    await player.play(_tone(0.5), PIPER_RATE, "Hello there.")
    clock.now += 0.1
    await player.play(_tone(0.5), PIPER_RATE, "How can I help?")
    second = player.start_reply()
    await player.play(_tone(0.2), PIPER_RATE, "Sure.")

    assert first != second
    assert [t for t, _pcm, _at in out.sent] == [first, first, second]
    assert [at for _t, _pcm, at in out.sent] == [1000.0, 1000.1, 1000.1]
    # Pieces after the first carry the 120 ms gap the reply's WAV has between sentences.
    assert len(out.sent[1][1]) // 2 == int(PLAYER_RATE * 0.12) + len(out.sent[0][1]) // 2


async def test_what_was_heard_follows_playback_in_ms_and_words_and_freezes_at_a_stop() -> None:
    clock = FakeClock()
    out = RecordingOut(clock)
    player = ReplyPlayer(out, clock=clock)
    player.start_reply()
    await player.play(_tone(1.0), PIPER_RATE, "one two three four")
    await player.play(_tone(1.0), PIPER_RATE, "five six seven eight")
    assert player.audible()

    clock.now += 0.5
    assert player.heard().ms == pytest.approx(500, abs=1)
    assert player.heard().text == "one two"
    clock.now += 0.5 + 0.12 + 0.5  # past the first piece, the gap and half of the second
    heard = await player.stop()
    assert heard.ms == pytest.approx(1620, abs=1)
    assert heard.text == "one two three four five six"
    assert heard.reply_ms == pytest.approx(2120, abs=1)
    assert out.stops == [clock.now]
    clock.now += 5
    assert not player.audible()
    assert player.heard().ms == heard.ms  # the stop froze it


async def test_a_resumed_reply_carries_on_from_the_stop_on_a_fresh_track() -> None:
    clock = FakeClock()
    out = RecordingOut(clock)
    player = ReplyPlayer(out, clock=clock)
    player.start_reply()
    await player.play(_tone(2.0), PIPER_RATE, "one two three four")
    clock.now += 0.5
    await player.stop()
    clock.now += 0.4
    await player.resume()

    (first, resumed) = out.tracks()
    assert resumed != first
    rest = out.sent[-1][1]
    assert len(rest) // 2 == pytest.approx(1.5 * PLAYER_RATE, abs=2)
    assert player.audible()
    clock.now += 0.5
    assert player.heard().ms == pytest.approx(1000, abs=1)  # half a second before the stop, half after


async def test_audio_outlasting_its_send_time_is_queued_behind_the_piece_before() -> None:
    clock = FakeClock()
    player = ReplyPlayer(RecordingOut(clock), clock=clock)
    player.start_reply()
    await player.play(_tone(1.0), PIPER_RATE, "a")
    await player.play(_tone(1.0), PIPER_RATE, "b")  # sent at once, plays after the first
    clock.now += 2.0
    assert player.audible()
    clock.now += 0.2
    assert not player.audible()
    assert player.heard().ms == pytest.approx(2120, abs=1)
