"""The real offline models on real audio: Whisper base/tiny, Piper, Kokoro, espeak-ng."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from orchestrator.audio import decode_audio, encode_wav, resample, trim_silence
from orchestrator.config import Settings
from orchestrator.nlu.numbers import extract_loan_terms
from orchestrator.nlu.spoken import speakable
from orchestrator.runtime import load_tts
from orchestrator.stt.whisper import WHISPER_BASE_BYTES
from orchestrator.textmetrics import wer
from tests.conftest import REALDATA

pytestmark = pytest.mark.models

MANIFEST = json.loads((REALDATA / "audio" / "audio_manifest.json").read_text())
CLIPS = {clip["file"]: clip for clip in MANIFEST["clips"]}


def _reference(name: str) -> str:
    return CLIPS[f"audio/{name}"]["reference_transcript"]


def _hear(stt: object, path_or_bytes: object) -> str:
    samples = trim_silence(decode_audio(path_or_bytes).samples)  # type: ignore[arg-type]
    return stt.transcribe(samples).text  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["whisper_cpp__jfk.wav", "openai_whisper__jfk.flac"])
def test_whisper_base_transcribes_the_jfk_recordings_within_ten_percent_wer(real_backends, name):
    stt, _tts, _dialog = real_backends
    hypothesis = _hear(stt, REALDATA / "audio" / name)
    assert wer(_reference(name), hypothesis) <= 0.10, hypothesis


def test_the_flac_clip_really_is_44k_stereo_and_decodes_to_16k_mono():
    decoded = decode_audio(REALDATA / "audio" / "openai_whisper__jfk.flac")
    assert (decoded.source_rate, decoded.channels) == (44_100, 2)
    assert decoded.duration_s == pytest.approx(11.0, abs=0.05)
    assert decoded.samples.ndim == 1


def test_whisper_base_is_assembled_once_at_the_documented_size(real_settings, real_backends):
    # Models load once per process: the home that loaded it first holds the joined file.
    model_bin = real_backends[0].model_dir / "model.bin"
    assert model_bin.stat().st_size == WHISPER_BASE_BYTES
    assert not [p for p in model_bin.parent.iterdir() if p.name.startswith(".")]


def test_whisper_base_reads_numbers_and_percentages_from_a_real_recording(real_backends):
    stt, _tts, _dialog = real_backends
    name = "picovoice_cheetah__test_en_norm.wav"
    hypothesis = _hear(stt, REALDATA / "audio" / name)
    assert "12%" in hypothesis or "12 percent" in hypothesis.lower()
    assert wer(_reference(name), hypothesis) <= 0.25, hypothesis


def test_fitted_and_full_whisper_windows_agree_on_a_short_real_clip(real_backends):
    stt, _tts, _dialog = real_backends
    name = "picovoice_cheetah__test_en.wav"
    samples = trim_silence(decode_audio(REALDATA / "audio" / name).samples)
    fitted = stt._transcribe_fitted(samples)  # type: ignore[attr-defined]
    full = stt._transcribe_full(samples)  # type: ignore[attr-defined]
    assert fitted is not None
    assert wer(_reference(name), fitted.text) <= 0.15, fitted.text
    assert wer(_reference(name), full.text) <= 0.15, full.text


def test_whisper_tiny_transcribes_the_jfk_wav_within_ten_percent_wer(real_settings):
    from orchestrator.stt import STT_BACKENDS

    tiny = STT_BACKENDS.create("whisper-tiny", real_settings)
    hypothesis = _hear(tiny, REALDATA / "audio" / "whisper_cpp__jfk.wav")
    assert wer(_reference("whisper_cpp__jfk.wav"), hypothesis) <= 0.10, hypothesis


@pytest.mark.parametrize(
    ("sentence", "figures"),
    [
        ("I'd like to borrow $25,000 over 5 years at 6.5%.", ["25,000", "6.5"]),
        ("Your monthly payment is $489.15 and the APR is 6.50%.", ["489.15", "6.5"]),
        ("Please transfer two hundred dollars to my savings account.", []),
    ],
)
def test_piper_speaks_a_banking_sentence_that_whisper_hears_back(real_backends, sentence, figures):
    stt, tts, _dialog = real_backends

    def heard_right(heard: str) -> bool:
        # Whisper may drop a small word ("is"); the figures must come back exactly.
        return wer(sentence, heard) <= 0.2 and all(f in heard for f in figures)

    # Piper's generator noise is random, so each take differs slightly: most takes
    # of a sentence must be heard right, as a caller would need.
    takes = []
    for _ in range(3):
        samples = tts.synthesize(speakable(sentence))
        assert tts.sample_rate == 22_050
        assert len(samples) / tts.sample_rate > 1.0
        takes.append(_hear(stt, encode_wav(samples, tts.sample_rate)))
    assert sum(heard_right(t) for t in takes) >= 2, takes


def test_a_spoken_loan_question_keeps_its_figures_through_piper_and_whisper(real_backends):
    stt, tts, _dialog = real_backends
    question = "I'd like to borrow 25,000 dollars over 5 years at 6.5 percent."
    heard = _hear(stt, encode_wav(tts.synthesize(speakable(question)), tts.sample_rate))
    assert extract_loan_terms(heard) == extract_loan_terms(question)


def test_whisper_hears_the_same_words_at_48k_stereo(real_backends):
    stt, tts, _dialog = real_backends
    sentence = "Please transfer two hundred dollars to my savings account."
    mono = resample(tts.synthesize(sentence), tts.sample_rate, 48_000)
    stereo = np.stack([mono, mono * 0.8], axis=1)
    import io
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(48_000)
        w.writeframes((np.clip(stereo, -1, 1) * 32767).astype("<i2").tobytes())
    assert wer(sentence, _hear(stt, buf.getvalue())) <= 0.15


def test_kokoro_speaks_english_text_with_the_packaged_model(real_settings):
    kokoro = load_tts(real_settings, "kokoro")
    samples = kokoro.synthesize("Your payment is ready.")
    assert kokoro.sample_rate == 24_000
    assert len(samples) / kokoro.sample_rate > 0.5
    assert float(np.abs(samples).max()) > 0.05


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is installed by scripts/setup.sh")
def test_espeak_speaks_audible_audio(tmp_path):
    espeak = load_tts(Settings(home=tmp_path), "espeak")
    samples = espeak.synthesize("Hello from the bank.")
    assert len(samples) / espeak.sample_rate > 0.5
    assert float(np.abs(samples).max()) > 0.05


async def test_a_spoken_loan_question_gets_a_spoken_quote_through_the_real_pipeline(real_settings, real_backends):
    from orchestrator.pipeline import Pipeline
    from orchestrator.runtime import default_tracer
    from orchestrator.sessions.sqlite import SqliteSessionStore

    stt, tts, dialog = real_backends
    pipeline = Pipeline(
        real_settings, stt=stt, tts=tts, dialog=dialog,
        store=SqliteSessionStore(real_settings.sessions_dir / "pipeline-test.db"),
        tracer=default_tracer(real_settings, live=False),
    )
    question = "I'd like to borrow 25,000 dollars over 5 years at 6.5 percent."
    wav = encode_wav(tts.synthesize(speakable(question)), tts.sample_rate)
    result = await pipeline.run_turn("real-pipeline", audio=wav)
    assert "$25,000 over 60 months at 6.5%" in result.reply and result.state == "confirming"
    assert result.intent == "loan_quote"
    quote = await pipeline.run_turn("real-pipeline", audio=encode_wav(tts.synthesize("Yes, please."), tts.sample_rate))
    assert "$489.15" in quote.reply and "6.50%" in quote.reply
    assert [e.type for e in result.events][:4] == ["turn_started", "audio_received", "transcript", "dialog_reply"]
    assert result.voice_to_voice_ms is not None and result.voice_to_voice_ms > 0
    assert len(result.audio) / result.sample_rate > 5.0
    pipeline.store.close()
