"""One error shape for the whole API: RFC 9457 problem details, with the CLI's error categories.

``category`` is the same short string the CLI prints with ``--json``
(``orchestrator.errors``: ``corrupt_audio``, ``session_not_found``,
``store_unavailable``, ...) plus the service's own: ``unauthorized``,
``forbidden``, ``rate_limited``, ``request_too_large``, ``not_found``,
``method_not_allowed``, ``validation``, ``not_ready``, ``session_busy``,
``busy`` (the turn queue is full: 503 with ``Retry-After``) and ``internal``.
No problem ever carries a key, a header or a traceback.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from loguru import logger
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from orchestrator.errors import (
    AudioTooLongError,
    BackendTimeoutError,
    ConfigError,
    InputError,
    SessionNotFoundError,
    StoreUnavailableError,
    VoicebotError,
)

__all__ = [
    "PROBLEM_TYPE",
    "Problem",
    "ServiceProblemError",
    "install_problem_handlers",
    "problem_response",
    "responses",
    "status_for",
]

PROBLEM_TYPE = "application/problem+json"
_TITLES = {
    400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
    409: "Conflict", 413: "Content too large", 422: "Unprocessable content", 429: "Too many requests",
    500: "Internal error", 502: "Backend failed", 503: "Service unavailable", 504: "Backend timed out",
}
_HTTP_CATEGORIES = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}


class Problem(BaseModel):
    """RFC 9457 problem details, plus the error's category and whether a retry may succeed."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    category: str
    retryable: bool = False
    errors: list[dict[str, Any]] | None = None


class ServiceProblemError(Exception):
    """A refusal by the service itself (auth, limits, readiness), raised from routes and dependencies."""

    def __init__(self, status: int, category: str, detail: str, *, retry_after: int | None = None,
                 retryable: bool = False) -> None:
        super().__init__(detail)
        self.status = status
        self.category = category
        self.detail = detail
        self.retry_after = retry_after
        self.retryable = retryable or retry_after is not None


def status_for(exc: VoicebotError) -> int:
    """The HTTP status of a workbench error (the CLI's exit 2 errors are 4xx)."""
    if isinstance(exc, AudioTooLongError):
        return 413
    if isinstance(exc, InputError):
        return 400
    if isinstance(exc, SessionNotFoundError):
        return 404
    if isinstance(exc, StoreUnavailableError):
        return 503
    if isinstance(exc, BackendTimeoutError):
        return 504
    if isinstance(exc, ConfigError):
        return 500
    return 502


def problem_response(status: int, category: str, detail: str, instance: str | None = None, *,
                     retryable: bool = False, retry_after: int | None = None,
                     errors: list[dict[str, Any]] | None = None,
                     headers: dict[str, str] | None = None) -> JSONResponse:
    """A problem+json response (``headers`` such as ``Allow`` go along)."""
    body = Problem(type=f"urn:voicebot:problem:{category}", title=_TITLES.get(status, "Error"), status=status,
                   detail=detail, instance=instance, category=category, retryable=retryable, errors=errors)
    sent = dict(headers or {})
    if retry_after is not None:
        sent["Retry-After"] = str(retry_after)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM_TYPE,
                        headers=sent or None)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only where and what: the input itself may hold anything, so it is not echoed back.
    return [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in exc.errors()]


def install_problem_handlers(app: FastAPI) -> None:
    """Every error, expected or not, leaves as problem+json."""

    @app.exception_handler(ServiceProblemError)
    async def _service(request: Request, exc: ServiceProblemError) -> JSONResponse:
        return problem_response(exc.status, exc.category, exc.detail, request.url.path, retryable=exc.retryable,
                                retry_after=exc.retry_after)

    @app.exception_handler(VoicebotError)
    async def _voicebot(request: Request, exc: VoicebotError) -> JSONResponse:
        status = status_for(exc)
        retry_after = 1 if status == 503 else None
        return problem_response(status, exc.category, exc.message, request.url.path, retryable=exc.retryable,
                                retry_after=retry_after)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(422, "validation", "the request does not match the API", request.url.path,
                                errors=_validation_errors(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        category = _HTTP_CATEGORIES.get(exc.status_code, "http")
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "error")
        return problem_response(exc.status_code, category, detail, request.url.path, headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.opt(exception=exc).error("unexpected error serving {} {}", request.method, request.url.path)
        return problem_response(500, "internal", "the service failed unexpectedly; see its log", request.url.path)


def responses(*statuses: int, ok: dict[str, Any] | None = None) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for these error statuses (each a problem+json), plus ``ok`` as the 200."""
    found: dict[int | str, dict[str, Any]] = {
        status: {"description": _TITLES.get(status, "Error"), "model": Problem,
                 "content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        for status in statuses
    }
    if ok is not None:
        found[200] = ok
    return found
