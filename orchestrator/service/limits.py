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
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orchestrator.config import Settings
from orchestrator.errors import ConfigError
from orchestrator.eventsource import is_redis_url

__all__ = ["BodySizeLimit", "RateLimiter"]


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


class BodySizeLimit:
    """ASGI middleware: a body over ``max_bytes`` is a 413 problem.

    A declared length is refused before anything is read; a body without one
    (chunked) is cut off as it streams in, once it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = dict(scope.get("headers") or []).get(b"content-length", b"")
            if declared.isdigit() and int(declared) > self.max_bytes:
                from orchestrator.service.problems import problem_response

                response = problem_response(
                    413, "request_too_large", f"the request body is over {self.max_bytes} bytes",
                    scope.get("path"),
                )
                await response(scope, receive, send)
                return
            seen = 0

            async def counted() -> Message:
                nonlocal seen
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > self.max_bytes:
                        raise HTTPException(413, f"the request body is over {self.max_bytes} bytes")
                return message

            await self.app(scope, counted, send)
            return
        await self.app(scope, receive, send)
