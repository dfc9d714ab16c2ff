"""A chat-completions server on loopback that plays scripted replies and records every request.

It speaks the wire format both the ``mistralai`` and the ``openai`` SDKs use
(``POST .../v1/chat/completions``, server-sent events ending in ``[DONE]``),
so tests run the real SDKs against it and then read what they sent.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeLLMServer", "Recorded", "Reply", "error", "text_reply", "tool_reply"]


@dataclass
class Reply:
    """One scripted answer: an HTTP status, and for 200 the SSE chunks to stream."""

    status: int = 200
    chunks: list[dict[str, Any]] = field(default_factory=list)
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # before the status line: a slow server
    chunk_delay_s: float = 0.0
    # Before the last chunk, wait (up to 10 s) until this is set: lets a test prove streaming.
    hold_last: threading.Event | None = None


@dataclass(frozen=True)
class Recorded:
    """A request as the server received it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def _chunk(delta: dict[str, Any], finish: str | None = None, usage: dict[str, int] | None = None) -> dict[str, Any]:
    chunk: dict[str, Any] = {
        "id": "cmpl-test",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "fake-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage is not None:
        chunk["usage"] = {**usage, "total_tokens": sum(usage.values())}
    return chunk


def text_reply(*pieces: str, **kwargs: Any) -> Reply:
    """A streamed text answer, one SSE chunk per piece."""
    chunks = [_chunk({"role": "assistant", "content": piece}) for piece in pieces]
    chunks.append(_chunk({"content": ""}, "stop", {"prompt_tokens": 120, "completion_tokens": 30}))
    return Reply(chunks=chunks, **kwargs)


def tool_reply(*calls: tuple[str, dict[str, Any]], fragmented: bool = False, **kwargs: Any) -> Reply:
    """A streamed tool-call answer; ``fragmented`` splits arguments over chunks as OpenAI servers do."""
    chunks = []
    for index, (name, args) in enumerate(calls):
        arguments = json.dumps(args)
        call_id = f"call{index:05d}"
        if not fragmented:
            function = {"name": name, "arguments": arguments}
            tool_call = {"index": index, "id": call_id, "type": "function", "function": function}
            chunks.append(_chunk({"role": "assistant", "content": None, "tool_calls": [tool_call]}))
            continue
        half = len(arguments) // 2
        function = {"name": name, "arguments": arguments[:half]}
        first = {"index": index, "id": call_id, "type": "function", "function": function}
        chunks.append(_chunk({"role": "assistant", "tool_calls": [first]}))
        chunks.append(_chunk({"tool_calls": [{"index": index, "function": {"arguments": arguments[half:]}}]}))
    chunks.append(_chunk({"content": ""}, "tool_calls", {"prompt_tokens": 100, "completion_tokens": 20}))
    return Reply(chunks=chunks, **kwargs)


def error(status: int, message: str = "scripted failure", **kwargs: Any) -> Reply:
    """An HTTP error with a JSON body."""
    return Reply(status=status, body={"object": "error", "message": message, "type": "test_error"}, **kwargs)


class FakeLLMServer:
    """Serves the queued replies in order; answers 500 when the queue is empty."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (Mistral's ``server_url``; add ``/v1`` for OpenAI's ``base_url``)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def queue(self, *replies: Reply) -> None:
        """Add replies to play, in order."""
        with self._lock:
            self._replies.extend(replies)

    def start(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self) -> Reply:
        with self._lock:
            return self._replies.popleft() if self._replies else error(500, "no scripted reply left")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length)
                body = json.loads(raw or b"{}")
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server._lock:
                    server.requests.append(Recorded(self.path, headers, body))
                reply = server._next()
                time.sleep(reply.delay_s)
                # The client may have given up already (a timeout test).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._answer(reply)

            def _answer(self, reply: Reply) -> None:
                if reply.status != 200:
                    payload = json.dumps(reply.body or {}).encode()
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("cache-control", "no-cache")
                self.end_headers()
                for index, chunk in enumerate(reply.chunks):
                    if index == len(reply.chunks) - 1 and reply.hold_last is not None:
                        reply.hold_last.wait(10.0)
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(reply.chunk_delay_s)
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler
