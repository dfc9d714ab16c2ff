"""Per-key rate limits (``VOICEBOT_API_RATE_LIMIT``, e.g. ``120/minute``) on the ``limits`` library.

With a Redis session store the counters live in the same Redis, so the
limit holds across every worker; otherwise they are per process. A limiter
whose Redis is away lets requests through: the turn itself then answers
``store unavailable``, which says more than a refusal would.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from loguru import logger

from orchestrator.config import Settings
from orchestrator.errors import ConfigError
from orchestrator.eventsource import is_redis_url

__all__ = ["RateLimiter"]


class RateLimiter:
    """A moving-window limit per key id."""

    def __init__(self, settings: Settings) -> None:
        try:
            self.item: RateLimitItem = parse(settings.api_rate_limit)
        except ValueError:
            raise ConfigError(
                f"invalid VOICEBOT_API_RATE_LIMIT {settings.api_rate_limit!r}: use e.g. 120/minute or 10/second"
            ) from None
        uri = settings.store.strip() if is_redis_url(settings.store) else "memory://"
        try:
            storage = storage_from_string(uri)
        except ConfigurationError as exc:
            raise ConfigError(f"cannot keep rate limits in {uri.split('@')[-1]}: {exc}") from None
        self._limiter = MovingWindowRateLimiter(storage)

    def hit(self, key_id: str) -> int | None:
        """Count one request; None if allowed, else the seconds until the next one is."""
        try:
            if self._limiter.hit(self.item, "voicebot-api", key_id):
                return None
            reset_at, _remaining = self._limiter.get_window_stats(self.item, "voicebot-api", key_id)
        except Exception as exc:  # the storage's own errors (redis, ...) have no common base class
            logger.warning("rate limit storage failed, letting the request through: {}", type(exc).__name__)
            return None
        return max(1, math.ceil(reset_at - time.time()))
