"""VoiceBot Workbench: an offline voice pipeline for a bank's voicebot.

The public face is small: build a pipeline from settings, run turns, read
the events they produce.

    from orchestrator import Settings, build_pipeline
    pipeline = build_pipeline(Settings())
    result = await pipeline.run_turn("s-demo", text="hello")
"""

from orchestrator.config import Settings, get_settings
from orchestrator.errors import VoicebotError
from orchestrator.events import Event, parse_event
from orchestrator.pipeline import AudioInput, AudioStream, Pipeline, TurnResult
from orchestrator.runtime import build_pipeline
from orchestrator.turnview import TurnView

__all__ = [
    "AudioInput",
    "AudioStream",
    "Event",
    "Pipeline",
    "Settings",
    "TurnResult",
    "TurnView",
    "VoicebotError",
    "build_pipeline",
    "get_settings",
    "parse_event",
]
__version__ = "0.1.0"
