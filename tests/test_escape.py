"""Text from data shown as text (issue 16 item 5): Markdown and chart markup are neutralised, the characters kept."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from cx_metrics.text.escape import chart_text, md, safe_figure
from tests.conftest import as_shown

HOSTILE = ["[Session expired - sign in again](https://evil.example/login)", "![x](https://evil.example/p.png)",
           ":red[alert] :material/lock: $x^2$", "**bold** _it_ `code` ~~s~~", "# Heading\n- item\n> quote",
           "<https://evil.example>", "https://evil.example/a www.evil.example ana@evil.example",
           "<img src=x onerror=alert(1)>"]


@given(st.text(max_size=40))
def test_md_keeps_every_character(value: str) -> None:
    assert as_shown(md(value)) == re.sub(r"[\r\n\u2028\u2029]+", " ", value)


def test_markdown_in_data_renders_as_its_characters() -> None:
    script = "import streamlit as st\nfrom cx_metrics.text.escape import md\n" + "".join(
        f"st.markdown(md({value!r}))\n" for value in HOSTILE)
    at = AppTest.from_string(script).run()
    assert not at.exception
    for element, value in zip(at.markdown, HOSTILE, strict=True):
        assert as_shown(element.value) == value.replace("\n", " ")
        assert not re.search(r"(?<!\\)\]\(|(?<!\\)!\[|(?<!\\)\*\*|(?<!\\):red\[", element.value)


def test_chart_labels_keep_our_tags_and_show_theirs() -> None:
    assert chart_text('<a href="https://e">x</a> n=3<br>< 30 <b>ok</b>') == (
        '&lt;a href="https://e"&gt;x&lt;/a&gt; n=3<br>&lt; 30 <b>ok</b>')
    fig = go.Figure([go.Bar(x=np.array(['<a href="h">A</a>', "B"], dtype=object), y=[1, 2],
                            name='<a href="h">legend</a>', customdata=["<i>c</i>", "<span style='x'>d</span>"],
                            hovertemplate="%{x}<br>" + '<a href="h">cat</a>' + "<extra></extra>")])
    fig.add_annotation(text="<a href='h'>note</a><br>second line")
    safe_figure(fig)
    trace = fig.data[0]
    assert list(trace.x) == ['&lt;a href="h"&gt;A&lt;/a&gt;', "B"]
    assert trace.name == '&lt;a href="h"&gt;legend&lt;/a&gt;'
    assert list(trace.customdata) == ["<i>c</i>", "&lt;span style='x'&gt;d&lt;/span&gt;"]
    assert trace.hovertemplate == '%{x}<br>&lt;a href="h"&gt;cat&lt;/a&gt;<extra></extra>'
    assert fig.layout.annotations[0].text == "&lt;a href='h'&gt;note&lt;/a&gt;<br>second line"


def test_every_chart_goes_through_safe_chart() -> None:
    """A chart drawn with st.plotly_chart directly would render a category's <a href> as a live link."""
    root = Path(__file__).resolve().parent.parent
    offenders = [f"{path.relative_to(root)}:{number}" for path in [root / "dashboard.py", *sorted(
        (root / "pages").glob("*.py")), *sorted((root / "cx_ui").glob("*.py"))] if path.name != "safe.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1) if "plotly_chart(" in line]
    assert not offenders, f"use cx_ui.safe.chart: {offenders}"
