"""The real-time engine on real models: Silero VAD and Whisper base on Piper speech with pauses in it,
and on the reference clips in ../shared/realdata (checks, never tuning).

The stream is fed faster than real time: every decision is taken on stream time, so
the turns come out as they would live. Nothing here asserts how fast anything is.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest

from orchestrator.audio import decode_audio, pcm16_bytes, resample
from orchestrator.config import Settings
from orchestrator.realtime import EngineConfig, RealtimeEngine, ReplyPlayer, SileroVAD
from orchestrator.textmetrics import normalize_words, wer
from tests.conftest import REALDATA
from tests.unit.realtime_fakes import FakeClock, RecordingOut, ScriptedConversation

pytestmark = [pytest.mark.asyncio, pytest.mark.models]

RATE = 16_000
RENDERINGS = 4  # Piper renderings of each backchannel (its sampling noise makes each one different)


@pytest.fixture(scope="module")
def vad() -> SileroVAD:
    return SileroVAD()


@pytest.fixture(scope="module")
def say() -> Callable[[str], np.ndarray]:
    from orchestrator.tts.piper import PiperTTS

    tts = PiperTTS()

    def speak(text: str) -> np.ndarray:
        # Piper leaves ~40 ms of silence before and ~150 ms after; cut it, so a pause is the pause inserted.
        audio = resample(tts.synthesize(text), tts.sample_rate)
        loud = np.flatnonzero(np.abs(audio) > 0.01)
        return audio[loud[0]: loud[-1] + 1]

    return speak


def _quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(RATE * seconds), dtype=np.float32)


async def _listen(
    vad: SileroVAD, stt: object, audio: np.ndarray, *, reply_s: float = 0.0, then: np.ndarray | None = None,
    settings: Settings | None = None,
) -> ScriptedConversation:
    """Feed ``audio`` (and, once the first turn is speaking, ``then``) through the engine, 20 ms at a time."""
    talk, _out = await _listen_and_play(vad, stt, audio, reply_s=reply_s, then=then, settings=settings)
    return talk


async def _listen_and_play(
    vad: SileroVAD, stt: object, audio: np.ndarray, *, reply_s: float = 0.0, then: np.ndarray | None = None,
    settings: Settings | None = None,
) -> tuple[ScriptedConversation, RecordingOut]:
    """``_listen``, and what went out to the caller's ear."""
    clock = FakeClock()
    out = RecordingOut(clock)
    player = ReplyPlayer(out, clock=clock)
    talk = ScriptedConversation(player, reply_s=reply_s)
    config = EngineConfig.from_settings(settings or Settings())
    engine = RealtimeEngine(vad, stt, talk, player, config=config, input_rate=RATE, clock=clock)  # type: ignore[arg-type]
    for part in (audio, then):
        if part is None:
            continue
        pcm = pcm16_bytes(np.concatenate([part, _quiet(2.0)]))
        for i in range(0, len(pcm), 640):
            clock.now += 0.02
            engine.feed(pcm[i: i + 640])
            await engine.drain()
    await engine.close()
    clock.now += 60.0  # what is still queued at the far end plays out
    return talk, out


async def test_a_loan_question_with_a_600_ms_pause_after_over_is_answered_once_whole(
    vad: SileroVAD, real_backends: tuple[object, object, object], say: Callable[[str], np.ndarray]
) -> None:
    stt = real_backends[0]
    audio = np.concatenate([
        _quiet(0.3), say("I'd like to borrow twenty-five thousand dollars over"), _quiet(0.6),
        say("five years at six point five percent."),
    ])
    talk = await _listen(vad, stt, audio)

    (utterance,) = talk.utterances
    heard = utterance.transcript.text
    assert "25,000" in heard and "5 years" in heard and "6.5" in heard, heard
    assert talk.fields("speech_ended")[0]["pauses"] >= 1


async def test_an_um_and_a_600_ms_pause_in_the_middle_keep_one_turn(
    vad: SileroVAD, real_backends: tuple[object, object, object], say: Callable[[str], np.ndarray]
) -> None:
    audio = np.concatenate([_quiet(0.3), say("I'd like to borrow, um,"), _quiet(0.6), say("ten thousand dollars.")])
    talk = await _listen(vad, real_backends[0], audio)

    (utterance,) = talk.utterances
    assert "10,000" in utterance.transcript.text


async def test_pauses_shorter_than_the_stop_delay_never_split_a_sentence_wherever_they_fall(
    vad: SileroVAD, real_backends: tuple[object, object, object], say: Callable[[str], np.ndarray]
) -> None:
    pause = _quiet(0.35)  # under the default 450 ms stop delay
    audio = np.concatenate([
        _quiet(0.3), say("Can I get a car loan"), pause, say("of thirty-two thousand dollars."), pause,
        say("Over six years."), pause, say("At four point five percent."),
    ])
    talk = await _listen(vad, real_backends[0], audio)

    (utterance,) = talk.utterances
    assert "32,000" in utterance.transcript.text and "4.5" in utterance.transcript.text


async def test_a_finished_question_ends_at_the_stop_delay_on_the_speculative_transcript(
    vad: SileroVAD, real_backends: tuple[object, object, object], say: Callable[[str], np.ndarray]
) -> None:
    talk = await _listen(vad, real_backends[0], np.concatenate([_quiet(0.3), say("What are your opening hours?")]))

    (utterance,) = talk.utterances
    assert utterance.verdict == "complete"
    assert utterance.speculative
    assert 450 <= utterance.delay_ms <= 450 + 64
    assert wer("What are your opening hours?", utterance.transcript.text) <= 0.2


@pytest.mark.parametrize("backchannel", ["Okay.", "Uh-huh."])
async def test_a_spoken_backchannel_over_the_reply_lets_it_carry_on_however_it_is_rendered(
    vad: SileroVAD, real_backends: tuple[object, object, object], say: Callable[[str], np.ndarray], backchannel: str
) -> None:
    # Piper samples each rendering afresh: its "Uh-huh." is a 0.2-0.3 s "uh" that Silero hears as 96 to
    # 256 ms of voice and Whisper writes "Oh.", "Ah.", or a word it guesses ("Bye.", "I'll.").
    question = np.concatenate([_quiet(0.3), say("What are your opening hours?")])
    for _rendering in range(RENDERINGS):
        talk, out = await _listen_and_play(vad, real_backends[0], question, reply_s=8.0,
                                           then=np.concatenate([_quiet(0.5), say(backchannel)]))

        assert len(talk.utterances) == 1, [u.transcript.text for u in talk.utterances]
        assert talk.fields("interrupted") == []
        heard = talk.player.heard()
        assert heard.ms == pytest.approx(heard.reply_ms, abs=1), "the reply did not play to its end"
        if out.stops:  # playback paused for it, then carried on
            assert len(talk.fields("backchannel")) == 1
        else:  # too little voice to pause the reply: it never touched it
            assert talk.fields("backchannel") == []
            assert [f["reason"] for f in talk.fields("segment_noise")] in ([], ["too_short"])


async def test_a_real_sentence_over_the_reply_stops_it_and_becomes_the_next_turn(
    vad: SileroVAD, real_backends: tuple[object, object, object], say: Callable[[str], np.ndarray]
) -> None:
    question = np.concatenate([_quiet(0.3), say("What are your opening hours?")])
    talk = await _listen(vad, real_backends[0], question, reply_s=8.0,
                         then=np.concatenate([_quiet(2.0), say("Actually, what is my balance?")]))

    _first, second = talk.utterances
    (interrupted,) = talk.fields("interrupted")
    assert interrupted["heard_ms"] > 1000
    assert second.barge_in and "balance" in second.transcript.text.lower()


def _clip(name: str) -> tuple[np.ndarray, str]:
    manifest = json.loads((REALDATA / "audio" / "audio_manifest.json").read_text())
    entry = next(c for c in manifest["clips"] if c["file"] == f"audio/{name}")
    return decode_audio(REALDATA / "audio" / name).samples, entry["reference_transcript"]


async def test_a_real_recording_with_numbers_is_one_turn_with_every_word(
    vad: SileroVAD, real_backends: tuple[object, object, object]
) -> None:
    samples, reference = _clip("picovoice_cheetah__test_en.wav")
    talk = await _listen(vad, real_backends[0], samples)

    (utterance,) = talk.utterances
    assert wer(reference, utterance.transcript.text) <= 0.3, utterance.transcript.text


async def test_a_speech_with_second_long_pauses_ends_turns_at_them_but_loses_no_word(
    vad: SileroVAD, real_backends: tuple[object, object, object]
) -> None:
    # JFK pauses for about a second between clauses: longer than the hold delay, so each
    # clause is a turn of its own (what any endpointer does); no word may be dropped.
    samples, reference = _clip("whisper_cpp__jfk.wav")
    talk = await _listen(vad, real_backends[0], samples)

    assert talk.fields("segment_noise") == []
    heard = " ".join(u.transcript.text for u in talk.utterances)
    assert len(normalize_words(heard)) >= len(normalize_words(reference)) - 2
    assert wer(reference, heard) <= 0.3, heard
