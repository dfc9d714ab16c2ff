"""orchestrator.ui.offline: the page is served without links to other sites."""

from __future__ import annotations

import sys
import types

from orchestrator.ui.offline import install, strip_external_links

PAGE = """<html><head>
<link rel="preconnect" href="https://fonts.googleapis.com">
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/katex@0.16/dist/katex.min.css" crossorigin="anonymous" />
<link rel="stylesheet" href="http://example.com/plain.css">
<link
   rel="stylesheet"
   href="//cdn.example.com/protocol-relative.css">
<LINK REL="icon" HREF="HTTPS://cdn.example.com/favicon.ico">
<link rel="icon" href="/favicon">
<link rel="stylesheet" href="./assets/index.css">
<link rel="stylesheet" href="/public/theme.css" />
<script src="/assets/index.js"></script>
</head><body><a href="https://example.com">docs</a></body></html>"""


def test_external_links_are_removed_and_local_ones_kept():
    html = strip_external_links(PAGE)

    for gone in ("fonts.googleapis.com", "katex", "plain.css", "protocol-relative.css", "favicon.ico"):
        assert gone not in html
    for kept in ('href="/favicon"', 'href="./assets/index.css"', 'href="/public/theme.css"', "/assets/index.js"):
        assert kept in html
    # Only <link> tags are touched: an anchor to an external page stays.
    assert '<a href="https://example.com">docs</a>' in html


def test_a_page_without_external_links_is_unchanged():
    page = '<head><link rel="stylesheet" href="/a.css"></head>'

    assert strip_external_links(page) == page


def test_an_external_link_with_a_single_quoted_href_is_removed():
    assert "cdn.example.com" not in strip_external_links("<link rel='stylesheet' href='https://cdn.example.com/x.css'>")


def test_install_wraps_chainlits_template_once(monkeypatch):
    calls: list[int] = []

    def get_html_template(*args, **kwargs):
        calls.append(1)
        return '<link href="https://fonts.example.com/f.css"><link href="/local.css">'

    server = types.ModuleType("chainlit.server")
    server.get_html_template = get_html_template  # type: ignore[attr-defined]
    package = types.ModuleType("chainlit")
    package.server = server  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "chainlit", package)
    monkeypatch.setitem(sys.modules, "chainlit.server", server)

    install()
    wrapped = server.get_html_template
    install()  # idempotent: no second wrapper

    assert server.get_html_template is wrapped
    assert server.get_html_template() == '<link href="/local.css">'
    assert calls == [1]
