"""Text from data, shown as text: never as Markdown (Streamlit) or as markup (plotly).

Ticket categories, theme names, column names, survey questions, identity-provider names and URL parameters can
be written by anyone who gets a row into an import. Rendered as Markdown, ``![x](https://host/p.png)`` loads a
tracking pixel in the reader's browser and ``[Session expired - sign in again](https://host)`` puts a link inside
the app's own warning box; plotly renders ``<a href=...>`` in legends, ticks and hover labels. These helpers
neutralise such text while showing exactly the same characters.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

#: every ASCII punctuation character can be backslash-escaped in CommonMark; Streamlit's own syntax (``:red[x]``,
#: ``:material/icon:``, ``$math$``) is made of them too
_MD_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


#: GitHub-flavoured Markdown turns bare URLs and e-mail addresses into links after escapes are read; an invisible
#: word joiner (U+2060) inside the pattern keeps them text that looks the same
_WORD_JOINER = "\u2060"
_BARE_LINKS = (
    (re.compile(r"\b(https?|ftp|mailto|xmpp):", re.IGNORECASE), r"\1:" + _WORD_JOINER),
    (re.compile(r"\b(www)\.", re.IGNORECASE), r"\1" + _WORD_JOINER + "."),
    (re.compile(r"@(?=[\w-]+\.)"), _WORD_JOINER + "@"),
)


def md(value: object) -> str:
    """``value`` as literal text inside Streamlit Markdown (one line; links, bare URLs, images, emphasis, directives
    inert)."""
    text = _LINE_BREAKS.sub(" ", str(value))
    for pattern, replacement in _BARE_LINKS:
        text = pattern.sub(replacement, text)
    return _MD_SPECIAL.sub(r"\\\1", text)


def markup(value: object) -> str:
    """``value`` as literal text inside plotly's HTML-like labels (``<a>``, ``<b>``, ``<br>`` shown, not obeyed)."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: the bare tags our own chart labels use (line breaks, emphasis, plotly's <extra>); a tag with attributes (a link,
#: a styled span) is never one of them
_OURS = re.compile(r"(<(?:/?(?:b|i|sup|sub|extra)|br\s*/?)>)", re.IGNORECASE)


def chart_text(value: str) -> str:
    """A chart string with data in it: our bare tags kept, everything else shown literally."""
    return "".join(part if _OURS.fullmatch(part) else markup(part) for part in _OURS.split(value))


_MARKUP_CHARS = re.compile(r"[<>&]")


def _needs_escape(values: Any) -> bool:
    if isinstance(values, str):
        return _MARKUP_CHARS.search(values) is not None
    if isinstance(values, np.ndarray):
        return values.dtype.kind in "OUS" and any(_needs_escape(v) for v in values.ravel().tolist())
    if isinstance(values, (list, tuple)):
        return any(_needs_escape(v) for v in values if isinstance(v, (str, list, tuple, np.ndarray)))
    return False


def _safe_values(values: Any) -> Any:
    if isinstance(values, str):
        return chart_text(values)
    if isinstance(values, np.ndarray):
        return [_safe_values(v) for v in values.tolist()] if values.dtype.kind in "OUS" else values
    if isinstance(values, (list, tuple)):
        return [_safe_values(v) for v in values]
    return values


#: trace attributes plotly draws as text: names in legends, categories on axes and in hover labels, labels
_TRACE_TEXT = ("name", "text", "hovertext", "hovertemplate", "texttemplate", "x", "y", "z", "labels", "customdata")


def safe_figure(fig: Any) -> Any:
    """Escape, in place, every data-derived string a plotly figure draws as text; return the figure."""
    for trace in fig.data:
        for attr in _TRACE_TEXT:
            value = getattr(trace, attr, None)
            if value is not None and _needs_escape(value):  # most labels hold no < > &: left untouched
                setattr(trace, attr, _safe_values(value))
    layout = fig.layout
    for name in [k for k in layout.to_plotly_json() if k.startswith(("xaxis", "yaxis"))]:
        if layout[name].ticktext is not None and _needs_escape(layout[name].ticktext):
            layout[name].ticktext = _safe_values(layout[name].ticktext)
    for annotation in layout.annotations or ():
        if annotation.text is not None:
            annotation.text = chart_text(annotation.text)
    if layout.title.text is not None:
        layout.title.text = chart_text(layout.title.text)
    return fig
