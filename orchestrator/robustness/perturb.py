"""Apply a perturbation chain to a caller's audio, reproducibly.

The transforms are audiomentations' (noise at an SNR, coloured noise,
background noise for babble, band-pass filters, time-stretch, impulse
responses, clipping, gain). Three things it does not do are written here:
the telephone's 8-bit mu-law companding, packet loss (dropped 20 ms frames)
and the room impulse response itself (exponentially decaying noise with the
asked RT60, the statistical model of a diffuse reverberant tail).

audiomentations draws from Python's ``random`` and numpy's global generator,
so each step runs under one lock with both seeded from (seed, step) and
restored afterwards: the same seed gives the same audio, and nothing else in
the process sees its random state move.
"""

from __future__ import annotations

import contextlib
import random
import threading
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from orchestrator.audio import TARGET_RATE, encode_wav, resample
from orchestrator.fsutil import atomic_write_bytes
from orchestrator.robustness.spec import Perturbation, Step

__all__ = ["PHONE_RATE", "Assets", "apply_perturbation", "mu_law", "packet_loss", "room_impulse_response"]

PHONE_RATE = 8_000
_RNG_LOCK = threading.Lock()
VoiceSource = Callable[[], list[tuple[np.ndarray, int]]]


class Assets:
    """Generated files the transforms read (babble tracks, impulse responses), kept in one folder.

    ``voices`` returns clips of other synthetic voices (samples, rate) for
    babble; it is called once, the first time a babble step needs it.
    """

    def __init__(self, folder: Path, voices: VoiceSource | None = None) -> None:
        self.folder = folder
        self._voices = voices
        self._clips: list[np.ndarray] | None = None
        self._lock = threading.Lock()

    def _speech(self) -> list[np.ndarray]:
        if self._clips is None:
            if self._voices is None:
                raise ValueError("babble needs other voices: no voice source was given")
            self._clips = [resample(s, r) for s, r in self._voices() if s.size]
            if len(self._clips) < 2:
                raise ValueError("babble needs at least two clips of other voices")
        return self._clips

    def babble(self, voices: int, seed: int) -> Path:
        """A 12 s track of ``voices`` talkers at once (16 kHz), made once per (voices, seed)."""
        path = self.folder / f"babble-v{voices}-s{seed}.wav"
        with self._lock:
            if not path.exists():
                rng = np.random.default_rng([seed, voices, 1])
                clips = self._speech()
                length = 12 * TARGET_RATE
                track = np.zeros(length, dtype=np.float64)
                for talker in range(voices):
                    clip = clips[(talker + int(rng.integers(len(clips)))) % len(clips)]
                    # Each talker repeats their clip from a random point, at a random level.
                    stream = np.tile(clip, length // len(clip) + 2)
                    start = int(rng.integers(len(clip)))
                    gain = float(rng.uniform(0.6, 1.0))
                    track += gain * stream[start : start + length] / max(1e-9, float(np.abs(clip).max()))
                track /= max(1e-9, float(np.abs(track).max()))
                atomic_write_bytes(path, encode_wav(track.astype(np.float32) * 0.9, TARGET_RATE))
        return path

    def impulse_response(self, rt60: float, seed: int) -> Path:
        """A room impulse response with this RT60 (16 kHz WAV), made once per (rt60, seed)."""
        path = self.folder / f"rir-{rt60:g}-s{seed}.wav"
        with self._lock:
            if not path.exists():
                ir = room_impulse_response(rt60, TARGET_RATE, seed)
                atomic_write_bytes(path, encode_wav(ir, TARGET_RATE))
        return path


def room_impulse_response(rt60: float, rate: int, seed: int) -> np.ndarray:
    """Direct sound, then Gaussian noise decaying 60 dB over ``rt60`` seconds (peak 1)."""
    rng = np.random.default_rng([seed, int(rt60 * 1000), 2])
    n = int(rate * min(3.0, 1.5 * rt60)) + 1
    t = np.arange(n) / rate
    tail = rng.standard_normal(n) * np.exp(-6.9078 * t / rt60)  # ln(1000): 60 dB in amplitude
    tail[: int(0.003 * rate)] = 0.0  # the first reflections arrive a few ms after the direct path
    tail *= 0.3 / max(1e-9, float(np.abs(tail).max()))
    tail[0] = 1.0
    return tail.astype(np.float32)


def mu_law(samples: np.ndarray, bits: int = 8, mu: float = 255.0) -> np.ndarray:
    """Compand to ``bits`` (G.711 mu-law, continuous form), quantise, expand back."""
    x = np.clip(samples.astype(np.float64), -1.0, 1.0)
    compressed = np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)
    levels = 2 ** (bits - 1) - 1
    quantised = np.round(compressed * levels) / levels
    expanded = np.sign(quantised) * np.expm1(np.abs(quantised) * np.log1p(mu)) / mu
    return expanded.astype(np.float32)


def packet_loss(samples: np.ndarray, rate: int, loss_pct: float, frame_ms: float, seed: int) -> np.ndarray:
    """Zero whole frames, each lost with probability ``loss_pct`` %: no concealment, as a bad jitter buffer."""
    out = samples.astype(np.float32, copy=True)
    n = max(1, int(rate * frame_ms / 1000.0))
    frames = (len(out) + n - 1) // n
    lost = np.random.default_rng([seed, 3]).random(frames) < loss_pct / 100.0
    for index in np.flatnonzero(lost):
        out[index * n : (index + 1) * n] = 0.0
    return out


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    with _RNG_LOCK:
        py_state, np_state = random.getstate(), np.random.get_state()
        random.seed(seed)
        np.random.seed(seed % 2**32)
        try:
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)


def _step_seed(seed: int, index: int, step: Step) -> int:
    return int(np.random.SeedSequence([seed, index, zlib.crc32(step.name.encode())]).generate_state(1)[0])


def _apply_step(step: Step, samples: np.ndarray, rate: int, seed: int, assets: Assets | None) -> tuple[np.ndarray, int]:
    import audiomentations as am

    kind = step.kind
    if kind == "loss":
        return packet_loss(samples, rate, step.number("rate"), step.number("frame_ms"), seed), rate
    if kind == "phone":
        narrow = resample(samples, rate, PHONE_RATE)
        band = am.Compose([
            am.HighPassFilter(min_cutoff_freq=300.0, max_cutoff_freq=300.0, min_rolloff=24, max_rolloff=24, p=1.0),
            am.LowPassFilter(min_cutoff_freq=3400.0, max_cutoff_freq=3400.0, min_rolloff=24, max_rolloff=24, p=1.0),
        ])
        with _seeded(seed):
            filtered = band(samples=narrow, sample_rate=PHONE_RATE)
        return mu_law(filtered), PHONE_RATE
    transform: Callable[..., np.ndarray]
    if kind == "noise":
        snr, color = step.number("snr"), str(step.get("color"))
        if color == "white":
            transform = am.AddGaussianSNR(min_snr_db=snr, max_snr_db=snr, p=1.0)
        else:
            decay = float(am.NOISE_COLOR_DECAYS[color])
            transform = am.AddColorNoise(min_snr_db=snr, max_snr_db=snr, min_f_decay=decay, max_f_decay=decay, p=1.0)
    elif kind == "babble":
        if assets is None:
            raise ValueError("babble needs generated assets (other voices)")
        # One track per talker count; the seed picks where in it this clip's babble starts.
        track = assets.babble(int(step.number("voices")), 0)
        snr = step.number("snr")
        transform = am.AddBackgroundNoise(sounds_path=track, min_snr_db=snr, max_snr_db=snr, p=1.0)
        samples, rate = resample(samples, rate), TARGET_RATE  # the track is at 16 kHz
    elif kind == "speed":
        rate_x = step.number("rate")
        transform = am.TimeStretch(min_rate=rate_x, max_rate=rate_x, leave_length_unchanged=False, p=1.0)
    elif kind == "reverb":
        if assets is None:
            raise ValueError("reverb needs a folder for its generated impulse response")
        ir = assets.impulse_response(step.number("rt60"), 0)
        transform = am.ApplyImpulseResponse(ir_path=ir, p=1.0, leave_length_unchanged=False)
        samples, rate = resample(samples, rate), TARGET_RATE  # the impulse response is at 16 kHz
    elif kind == "clip":
        pct = round(step.number("pct"))
        transform = am.ClippingDistortion(min_percentile_threshold=pct, max_percentile_threshold=pct, p=1.0)
    elif kind == "gain":
        db = step.number("db")
        transform = am.Gain(min_gain_db=db, max_gain_db=db, p=1.0)
    else:  # pragma: no cover - spec.KINDS and this list are kept together
        raise ValueError(f"no transform for {kind!r}")
    with _seeded(seed):
        out = transform(samples=np.ascontiguousarray(samples, dtype=np.float32), sample_rate=rate)
    return np.asarray(out, dtype=np.float32), rate


def apply_perturbation(
    perturbation: Perturbation, samples: np.ndarray, rate: int, seed: int, assets: Assets | None = None
) -> tuple[np.ndarray, int]:
    """The perturbed audio (float32 mono in [-1, 1]) and its sample rate (the phone channel gives 8 kHz)."""
    audio = np.asarray(samples, dtype=np.float32)
    for index, step in enumerate(perturbation.steps):
        audio, rate = _apply_step(step, audio, rate, _step_seed(seed, index, step), assets)
    return np.clip(audio, -1.0, 1.0).astype(np.float32, copy=False), rate
