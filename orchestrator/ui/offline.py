"""Keep the Chainlit page offline: drop the stylesheet links its index.html points off-machine.

Chainlit 2.12's packaged index.html preconnects to Google Fonts and loads
KaTeX CSS from a CDN. ``public/theme.json`` (``custom_fonts: []``) removes
the fonts; ``install`` wraps Chainlit's template function to strip every
remaining external ``<link>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

__all__ = ["install", "strip_external_links"]

_EXTERNAL_LINK_RE = re.compile(
    r"""<link\b[^>]*\bhref\s*=\s*(["']?)(?:https?:)?//[^"'\s>]*\1[^>]*>""", re.IGNORECASE | re.DOTALL
)


def strip_external_links(html: str) -> str:
    """Remove ``<link>`` tags whose href is absolute (http, https or protocol-relative)."""
    return _EXTERNAL_LINK_RE.sub("", html)


def install() -> None:
    """Wrap ``chainlit.server.get_html_template`` once so the page never reaches outside."""
    import chainlit.server as server

    original: Callable[..., str] = server.get_html_template
    if getattr(original, "_voicebot_offline", False):
        return

    def offline_template(*args: Any, **kwargs: Any) -> str:
        return strip_external_links(original(*args, **kwargs))

    offline_template._voicebot_offline = True  # type: ignore[attr-defined]
    server.get_html_template = offline_template
