"""ONNX Runtime sessions for the TTS voices (Piper, Kokoro), made the same way.

ONNX Runtime's CPU memory arena keeps the largest buffers a run ever needed
and grows by doubling: a voice whose outputs vary in length (Piper's durations
are sampled) makes it step up by hundreds of MB at a rare long sentence and
never give that back. The soak (``voicebot bench --soak``) measured a 240 MB
step after warm-up with the arena and a flat RSS without it, so the voices'
sessions allocate from the process heap instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["cpu_session"]


def cpu_session(model: str | Path) -> Any:
    """A CPU ``onnxruntime.InferenceSession`` for ``model`` without the CPU memory arena."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.enable_cpu_mem_arena = False
    # Idle threads sleep instead of spinning: with the browser (or Whisper) busy on the other core, a
    # short piece took 208 ms at p50 with spinning and 165 ms without; on a quiet machine, 103 and 100.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
