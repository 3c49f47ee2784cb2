"""An axon's docs, from markdown to HTML that cannot run anything.

Markdown is parsed with raw HTML off (a ``<script>`` in the source stays text), then the HTML is
passed through nh3's allow-list: only the tags and attributes below survive, links keep only
http, https and mailto targets (``javascript:`` and ``data:`` links lose their href), and every
``on*`` attribute is dropped. Headings move down two levels, under the page's own.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS = {
    "a", "p", "br", "hr", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "del",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_docs(source: str) -> Markup:
    tokens = _md.parse(source or "")
    for token in tokens:  # the page owns h1 and h2: the docs' headings start at h3
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 2, 6)}"
    html = _md.renderer.render(tokens, _md.options, {})
    clean = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704  (sanitised by nh3's allow-list just above)
