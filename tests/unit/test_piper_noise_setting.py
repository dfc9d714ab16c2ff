"""VOICEBOT_PIPER_NOISE_SCALE / _W reach Piper, and a different setting loads a different voice."""

from __future__ import annotations

import pytest

from orchestrator.config import Settings
from orchestrator.runtime import load_tts

pytest.importorskip("piper")


@pytest.mark.models
def test_the_noise_settings_reach_piper_and_each_setting_is_its_own_voice(home):
    quiet = load_tts(Settings(home=home), "piper")
    noisy = load_tts(Settings(home=home, piper_noise_scale=1.0, piper_noise_w=1.2), "piper")
    assert quiet is not noisy
    assert (quiet.noise_scale, quiet.noise_w_scale) == (0.333, 0.4)  # type: ignore[attr-defined]
    assert (noisy.noise_scale, noisy.noise_w_scale) == (1.0, 1.2)  # type: ignore[attr-defined]
    assert load_tts(Settings(home=home), "piper") is quiet


def test_noise_settings_out_of_range_are_refused(home):
    with pytest.raises(ValueError, match="piper_noise_scale"):
        Settings(home=home, piper_noise_scale=5)
