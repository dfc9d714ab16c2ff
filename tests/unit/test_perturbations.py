"""Perturbations: names and their errors, seeding, and what each one does to the audio (measured here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from orchestrator.robustness.perturb import PHONE_RATE, Assets, apply_perturbation, mu_law, room_impulse_response
from orchestrator.robustness.spec import PerturbationError, parse_list, parse_perturbation

RATE = 16_000


def _speechlike(seconds: float = 2.0, seed: int = 1) -> np.ndarray:
    """A voiced, syllable-paced test signal: harmonics of 140 Hz, amplitude-modulated at 4 Hz."""
    t = np.arange(int(RATE * seconds)) / RATE
    voice = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 25))
    envelope = 0.5 * (1 + np.sin(2 * np.pi * 4 * t))
    rng = np.random.default_rng(seed)
    return (0.3 * voice / np.abs(voice).max() * envelope + 0.001 * rng.standard_normal(t.size)).astype(np.float32)


def _snr_db(clean: np.ndarray, noisy: np.ndarray) -> float:
    noise = noisy.astype(np.float64) - clean
    return float(10 * np.log10(np.mean(clean.astype(np.float64) ** 2) / np.mean(noise**2)))


def _band_energy(samples: np.ndarray, rate: int, low: float, high: float) -> float:
    spectrum = np.abs(np.fft.rfft(samples)) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    return float(spectrum[(freqs >= low) & (freqs < high)].sum() / spectrum.sum())


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("clean", "clean"),
        ("noise:snr=10", "noise:snr=10"),
        ("noise:10", "noise:snr=10"),
        ("NOISE:snr=5,color=pink", "noise:snr=5,color=pink"),
        ("phone", "phone"),
        ("speed:1.15", "speed:1.15"),
        ("speed:rate=0.85", "speed:0.85"),
        ("reverb", "reverb:rt60=0.6"),
        ("reverb:rt60=0.6", "reverb:rt60=0.6"),
        ("loss:5%", "loss:5%"),
        ("loss:5", "loss:5%"),
        ("clip:20%", "clip:20%"),
        ("gain:-30", "gain:-30"),
        ("babble:snr=10,voices=3", "babble:snr=10,voices=3"),
        ("phone+noise:snr=10", "phone+noise:snr=10"),
    ],
)
def test_a_perturbation_name_reads_back_in_its_canonical_form(text: str, canonical: str):
    assert parse_perturbation(text).name == canonical


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("hiss", "unknown perturbation 'hiss'"),
        ("noise:snr=loud", "snr must be a number"),
        ("noise:snr=99", "snr must be between"),
        ("noise:color=green", "color must be one of"),
        ("noise:db=3", "has no parameter 'db'"),
        ("speed", "speed needs a value"),
        ("speed:3", "rate must be between"),
        ("loss:150%", "rate must be between"),
        ("phone:8000", "phone takes no bare value"),
        ("phone+", "empty step"),
        ("clean+phone", "'clean' cannot be chained"),
        ("noise:snr=5,snr=6", "snr given twice"),
        ("noise:", "nothing after ':'"),
        ("", "empty name"),
    ],
)
def test_a_bad_perturbation_is_a_usage_error_that_names_the_problem(text: str, says: str):
    with pytest.raises(PerturbationError, match=says) as caught:
        parse_perturbation(text)
    assert caught.value.category == "usage"


def test_the_cli_list_splits_on_commas_keeps_parameters_together_and_puts_clean_first():
    chains = parse_list(["noise:snr=10,color=pink,phone", "speed:1.15,phone+noise:snr=10", "phone"])
    assert [c.name for c in chains] == ["clean", "noise:snr=10,color=pink", "phone", "speed:1.15",
                                        "phone+noise:snr=10"]


def test_the_same_seed_gives_the_same_audio_and_another_seed_other_noise(tmp_path: Path):
    clean = _speechlike()
    for name in ("noise:snr=10", "noise:snr=10,color=brown", "loss:10%", "phone+noise:snr=5"):
        chain = parse_perturbation(name)
        first, _ = apply_perturbation(chain, clean, RATE, seed=7)
        again, _ = apply_perturbation(chain, clean, RATE, seed=7)
        other, _ = apply_perturbation(chain, clean, RATE, seed=8)
        assert np.array_equal(first, again), name
        assert not np.array_equal(first, other), name


def test_seeding_a_perturbation_leaves_the_process_random_state_alone():
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    apply_perturbation(parse_perturbation("noise:snr=10"), _speechlike(), RATE, seed=5)
    assert np.random.random() == expected


@pytest.mark.parametrize("snr", [20.0, 10.0, 5.0])
@pytest.mark.parametrize("color", ["white", "pink"])
def test_noise_is_added_at_the_asked_snr(snr: float, color: str):
    clean = _speechlike()
    noisy, rate = apply_perturbation(parse_perturbation(f"noise:snr={snr},color={color}"), clean, RATE, seed=3)
    assert rate == RATE
    assert _snr_db(clean, noisy) == pytest.approx(snr, abs=1.0)


def test_babble_mixes_other_voices_at_the_asked_snr(tmp_path: Path):
    talkers = [(_speechlike(3.0, seed=s) * (0.5 + 0.1 * s), 22_050) for s in range(3)]
    assets = Assets(tmp_path, voices=lambda: talkers)
    clean = _speechlike()
    noisy, rate = apply_perturbation(parse_perturbation("babble:snr=10,voices=3"), clean, RATE, 4, assets)
    assert rate == RATE and len(noisy) == len(clean)
    assert _snr_db(clean, noisy) == pytest.approx(10.0, abs=1.5)
    assert list(tmp_path.glob("babble-v3-*.wav")), "the babble track is kept as a generated file"


def test_the_phone_channel_is_8_khz_band_limited_and_mu_law_quantised():
    clean = _speechlike()
    phone, rate = apply_perturbation(parse_perturbation("phone"), clean, RATE, seed=1)
    assert rate == PHONE_RATE
    assert len(phone) == pytest.approx(len(clean) / 2, abs=4)
    assert _band_energy(phone, rate, 0, 200) < 0.02  # the 140 Hz fundamental is gone
    assert _band_energy(clean, RATE, 0, 200) > 0.3
    assert len(np.unique(np.round(mu_law(phone) * 32767))) <= 255  # 8-bit codes


def test_mu_law_keeps_quiet_sounds_finer_than_loud_ones():
    quiet = np.linspace(-0.01, 0.01, 2001, dtype=np.float32)
    loud = np.linspace(0.5, 0.52, 2001, dtype=np.float32)
    assert len(np.unique(mu_law(quiet))) > len(np.unique(mu_law(loud)))
    assert np.max(np.abs(mu_law(quiet) - quiet)) < 0.001


@pytest.mark.parametrize("rate_x", [0.85, 1.15])
def test_speed_stretches_time(rate_x: float):
    clean = _speechlike()
    fast, rate = apply_perturbation(parse_perturbation(f"speed:{rate_x}"), clean, RATE, seed=1)
    assert rate == RATE
    assert len(fast) == pytest.approx(len(clean) / rate_x, rel=0.03)


def test_reverb_adds_a_decaying_tail_with_the_asked_rt60(tmp_path: Path):
    ir = room_impulse_response(0.6, RATE, seed=0)
    energy = np.cumsum(ir[::-1].astype(np.float64) ** 2)[::-1]  # Schroeder backward integration
    decay_db = 10 * np.log10(energy / energy[0])
    t_20 = np.argmax(decay_db < -5) / RATE, np.argmax(decay_db < -25) / RATE
    assert 3 * (t_20[1] - t_20[0]) == pytest.approx(0.6, rel=0.2)  # T20 extrapolated to 60 dB
    clean = _speechlike(1.0)
    wet, rate = apply_perturbation(parse_perturbation("reverb:rt60=0.6"), clean, RATE, 0, Assets(tmp_path))
    assert rate == RATE and len(wet) > len(clean) + 0.5 * RATE


def test_clipping_flattens_the_loudest_samples_and_gain_lowers_the_level():
    clean = _speechlike()
    clipped, _ = apply_perturbation(parse_perturbation("clip:20%"), clean, RATE, seed=1)
    assert np.abs(clipped).max() < np.abs(clean).max() * 0.9
    quiet, _ = apply_perturbation(parse_perturbation("gain:-30"), clean, RATE, seed=1)
    assert 20 * np.log10(np.abs(quiet).max() / np.abs(clean).max()) == pytest.approx(-30, abs=0.1)


def test_packet_loss_zeroes_whole_20_ms_frames_at_about_the_asked_rate():
    clean = _speechlike(60.0) + 0.05  # no sample is zero before the loss; 3000 frames
    lossy, _ = apply_perturbation(parse_perturbation("loss:10%"), clean, RATE, seed=2)
    frames = lossy[: len(lossy) // 320 * 320].reshape(-1, 320)
    dropped = np.all(frames == 0, axis=1)
    assert dropped.mean() == pytest.approx(0.10, abs=0.02)
    partly = np.any(frames == 0, axis=1) & ~dropped
    assert not partly.any(), "a frame is lost whole or not at all"


def test_a_chain_applies_its_steps_in_order():
    clean = _speechlike()
    chained, rate = apply_perturbation(parse_perturbation("phone+noise:snr=10"), clean, RATE, seed=9)
    phone_only, _ = apply_perturbation(parse_perturbation("phone"), clean, RATE, seed=9)
    assert rate == PHONE_RATE and len(chained) == len(phone_only)
    assert _snr_db(phone_only, chained) == pytest.approx(10.0, abs=1.0)  # the noise went on the phone audio
