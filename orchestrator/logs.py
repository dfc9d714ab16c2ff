"""Process logging: loguru to stderr for humans, never the event stream itself."""

from __future__ import annotations

import contextlib
import sys

from loguru import logger

__all__ = ["configure_logging"]

_configured = False


def configure_logging(level: str = "WARNING") -> None:
    """Replace loguru's default handler with a stderr one that skips event records.

    Events reach their own sinks (JSONL files, the UI); stderr only carries
    warnings about the process itself. Idempotent.
    """
    global _configured
    if _configured:
        return
    with contextlib.suppress(ValueError):  # already removed by someone else
        logger.remove(0)
    logger.add(
        sys.stderr,
        level=level.upper(),
        filter=lambda record: "voicebot_sink" not in record["extra"],
        format="<level>{level: <8}</level> {message}",
    )
    _configured = True
