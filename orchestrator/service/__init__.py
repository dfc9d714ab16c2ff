"""``voicebot serve``: the pipeline as an HTTP API and a media WebSocket (FastAPI on uvicorn).

Modules: ``app`` (the factory), ``state`` (one process's store, keys, limits,
metrics and pipeline), ``keys`` and ``auth`` (API keys with roles),
``limits`` (per-key rate limits), ``problems`` (RFC 9457 errors),
``routes`` (REST), ``sse`` (live events), ``replies`` (reply audio),
``media`` (the WebSocket's protocol, μ-law codec and turn drivers).
"""

from orchestrator.service.app import create_app

__all__ = ["create_app"]
