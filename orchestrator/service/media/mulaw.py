"""G.711 μ-law, the telephone's 8-bit audio (ITU-T G.711, continuous μ=255 segments), in numpy.

``encode`` takes float32 samples in [-1, 1] (or int16) and returns one byte
per sample; ``decode`` returns float32. Rates are the caller's business:
telephony is 8 kHz, and ``to_phone`` / ``from_phone`` resample around it.
"""

from __future__ import annotations

import numpy as np

from orchestrator.audio import TARGET_RATE, resample

__all__ = ["PHONE_RATE", "decode", "encode", "from_phone", "to_phone"]

PHONE_RATE = 8_000
_BIAS = 0x84  # G.711's offset, so every segment boundary falls on a power of two
# The encoder works on 14-bit magnitudes (the 16-bit sample shifted right by 2), like the reference g711.c.
_CLIP14 = 8_159
_BIAS14 = _BIAS >> 2


def encode(samples: np.ndarray) -> bytes:
    """μ-law bytes of mono samples (float32 in [-1, 1], or int16)."""
    if samples.dtype == np.int16:
        linear = samples.astype(np.int32)
    else:
        linear = np.round(np.clip(samples, -1.0, 1.0) * 32767.0).astype(np.int32)
    shifted = linear >> 2  # an arithmetic shift: negative values round toward minus infinity
    sign = (shifted < 0).astype(np.int32) << 7
    magnitude = np.minimum(np.abs(shifted), _CLIP14) + _BIAS14
    exponent = np.floor(np.log2(magnitude)).astype(np.int32) - 5
    mantissa = (magnitude >> (exponent + 1)) & 0x0F
    loudest = exponent > 7  # past the last segment: the largest code of that sign
    exponent = np.where(loudest, 7, exponent)
    mantissa = np.where(loudest, 0x0F, mantissa)
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes()


def decode(data: bytes) -> np.ndarray:
    """Float32 samples in [-1, 1] from μ-law bytes."""
    code = ~np.frombuffer(data, dtype=np.uint8).astype(np.int32) & 0xFF
    exponent = (code >> 4) & 0x07
    magnitude = (((code & 0x0F) << 3) + _BIAS) << exponent
    linear = np.where(code & 0x80, _BIAS - magnitude, magnitude - _BIAS)
    return (linear / 32768.0).astype(np.float32)


def to_phone(samples: np.ndarray, rate: int) -> bytes:
    """μ-law at 8 kHz from float32 samples at ``rate``."""
    return encode(resample(samples, rate, PHONE_RATE))


def from_phone(data: bytes, target: int = TARGET_RATE) -> np.ndarray:
    """Float32 samples at ``target`` Hz (16 kHz, Whisper's rate) from 8 kHz μ-law."""
    return resample(decode(data), PHONE_RATE, target)
