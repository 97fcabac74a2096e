"""Render a digest: static charts and a PDF with Debian's Chromium (Playwright), and the HTML e-mail.

The renderer was chosen by measurement (bench/bench_digest.py, bench/RESULTS-digest.md): one Chromium session
exports every chart with plotly.js's own ``Plotly.toImage`` (SVG for the PDF, so charts stay vector and their text
selectable; PNG for the e-mail, which mail clients show where they do not show SVG) and prints the page to PDF.
The charts are the dashboard's own figures (``cx_metrics.charts``), sized for paper.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import jinja2
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from cx_metrics import charts
from cx_metrics.browser import CHROMIUM, CHROMIUM_ARGS
from cx_metrics.digest.figures import Figures
from cx_metrics.digest.model import DigestModel, build_model

#: chart size in CSS pixels (the A4 text width at 96 dpi) and the PNG scale for e-mail (sharp on high-dpi screens)
CHART_WIDTH = 700
CHART_HEIGHTS = {"complaint_trend": 330, "resolution_trend": 260, "sla_trend": 260}
PNG_SCALE = 2
PLOTLY_JS = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


class RenderError(RuntimeError):
    """The PDF or the charts could not be rendered; the message says what to install or change."""


def chart_figures(fig: Figures) -> dict[str, go.Figure]:
    """The Overview's charts for the digest's window, with the anomalous weeks marked on the complaint trend."""
    out = {
        "complaint_trend": charts.complaint_trend(fig.trend, grain="week", colors=charts.color_map(fig.categories)),
        "resolution_trend": charts.resolution_trend(fig.resolution_trend),
        "sla_trend": charts.breach_trend(fig.sla_trend),
    }
    flagged = fig.anomalies[fig.anomalies["is_anomaly"]]
    if not flagged.empty and not fig.trend.empty:
        totals = fig.trend.groupby("period_start")["complaints"].sum()
        for rec in flagged.to_dict("records"):
            start = pd.Timestamp(rec["period_start"])
            out["complaint_trend"].add_annotation(
                x=start, y=float(totals.get(start, rec["complaints"])), text=f"▲ {rec['dimension']}",
                showarrow=False, yshift=10, font={"color": "#b91c1c", "size": 11})
    titles = {"complaint_trend": "Complaints per week by category", "resolution_trend": "Median resolution by week",
              "sla_trend": "SLA breach rate by week"}
    for name, figure in out.items():
        figure.update_layout(template="plotly_white", width=CHART_WIDTH, height=CHART_HEIGHTS[name],
                             font={"family": "DejaVu Sans, Arial, sans-serif", "size": 10},
                             title={"text": titles[name], "font": {"size": 12}, "x": 0, "xref": "paper",
                                    "y": 0.98, "yanchor": "top"},
                             margin={"l": 60, "r": 15, "t": 45, "b": 10}, showlegend=True)
        # the interval bands' edges are lines without markers (plotly adds markers to short series by default)
        figure.update_traces(mode="lines", selector={"hoverinfo": "skip"})
    return out


_ENV = jinja2.Environment(loader=jinja2.PackageLoader("cx_metrics.digest", "templates"),
                          autoescape=jinja2.select_autoescape(["html", "j2"]), undefined=jinja2.StrictUndefined)


def html(model: DigestModel) -> str:
    return _ENV.get_template("digest.html.j2").render(d=model)


def data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


class Renderer(Protocol):
    """Charts to images and HTML to PDF (the Chromium renderer; the benchmark's alternatives follow the same shape)."""

    def images(self, figures: dict[str, go.Figure], fmt: str) -> dict[str, bytes]: ...

    def pdf(self, page: str) -> bytes: ...


class ChromiumRenderer:
    """One headless Chromium (Debian's, through Playwright) for a batch of charts and PDFs; use as a context
    manager, or through :func:`chromium`."""

    def __init__(self, executable: str = CHROMIUM) -> None:
        self.executable = executable
        self._pw: Any = None
        self._browser: Any = None
        self._page: Any = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> ChromiumRenderer:
        try:
            from playwright.sync_api import Error as PlaywrightError
            from playwright.sync_api import sync_playwright
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise RenderError("The digest needs the playwright package: `make setup` installs it.") from exc
        if not Path(self.executable).exists():
            raise RenderError(f"The digest's PDF and charts are drawn with Chromium, which is not installed at "
                              f"{self.executable}. Install Debian's package (`make browser`, or `apt-get install "
                              "chromium`), or set CX_CHROMIUM to its path.")
        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(executable_path=self.executable, args=CHROMIUM_ARGS,
                                                     headless=True)
            self._page = self._browser.new_page()
            # plotly.js as the plotly package ships it (offline, the version the dashboard draws with), loaded by the
            # browser from its file: Chromium parses it itself, 2-3x faster than a script injected over the protocol
            self._dir = tempfile.TemporaryDirectory(prefix="cx-digest-")
            shell = Path(self._dir.name) / "charts.html"
            shell.write_text(f'<!DOCTYPE html><meta charset="utf-8"><script src="{PLOTLY_JS.as_uri()}"></script>',
                             encoding="utf-8")
            self._page.goto(shell.as_uri(), wait_until="load")
            if self._page.evaluate("typeof Plotly") != "object":
                raise RenderError(f"plotly.js did not load in Chromium from {PLOTLY_JS}")
        except PlaywrightError as exc:
            self.__exit__(None, None, None)
            raise RenderError(f"Chromium at {self.executable} could not be started: {exc}") from exc
        return self

    def __exit__(self, *exc: object) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._pw is not None:
            self._pw.stop()
        if self._dir is not None:
            self._dir.cleanup()
        self._browser = self._pw = self._page = self._dir = None

    def images(self, figures: dict[str, go.Figure], fmt: str) -> dict[str, bytes]:
        """Each figure as ``fmt`` ('svg' or 'png') bytes, exported by plotly.js in the browser."""
        specs = {name: json.loads(pio.to_json(f, validate=False)) for name, f in figures.items()}
        urls: dict[str, str] = self._page.evaluate(
            """async ([specs, fmt, scale]) => {
                const out = {};
                for (const [name, fig] of Object.entries(specs)) {
                    const size = {width: fig.layout.width, height: fig.layout.height};
                    out[name] = await Plotly.toImage(fig, {format: fmt, ...size, scale: fmt === 'png' ? scale : 1});
                }
                return out;
            }""", [specs, fmt, PNG_SCALE])
        return {name: _decode(url) for name, url in urls.items()}

    def pdf(self, page: str) -> bytes:
        pdf_page = self._browser.new_page()
        try:
            pdf_page.set_content(page, wait_until="load")
            # page size, margins and the "page N of M" footer come from the template's @page rule
            data: bytes = pdf_page.pdf(print_background=True, prefer_css_page_size=True)
            return data
        finally:
            pdf_page.close()


def _decode(url: str) -> bytes:
    head, _, body = url.partition(",")
    if head.endswith(";base64"):
        return base64.b64decode(body)
    return urllib.parse.unquote(body).encode("utf-8")


@contextmanager
def chromium() -> Iterator[ChromiumRenderer]:
    with ChromiumRenderer() as renderer:
        yield renderer


@dataclass
class Rendered:
    """A rendered digest: the PDF, the e-mail's HTML (charts as ``cid:`` images) and text, and timings."""

    model: DigestModel
    pdf: bytes
    email_html: str
    email_text: str
    images: dict[str, bytes]  # content id -> PNG, for the e-mail
    web_html: str = ""  # the PDF's page (vector charts inline): the digest to open in a browser
    seconds: dict[str, float] = field(default_factory=dict)  # charts / pdf / html

    @property
    def subject(self) -> str:
        return self.model.title


def render(fig: Figures, renderer: Renderer, *, link: str = "", generated: dt.datetime | None = None,
           email: bool = True) -> Rendered:
    """Render ``fig`` with ``renderer``: the PDF (vector charts) and, with ``email``, the HTML e-mail (PNG charts)."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    figures = chart_figures(fig)
    model = build_model(fig, generated=generated, link=link)
    seconds["model"] = time.perf_counter() - started
    started = time.perf_counter()
    svgs = renderer.images(figures, "svg")
    pngs = renderer.images(figures, "png") if email else {}
    seconds["charts"] = time.perf_counter() - started
    started = time.perf_counter()
    model.charts = {name: data_uri("image/svg+xml", svg) for name, svg in svgs.items()}
    page = html(model)
    document = renderer.pdf(page)
    seconds["pdf"] = time.perf_counter() - started
    images = {f"{name}@cx-digest": png for name, png in pngs.items()}
    model.charts = {name: f"cid:{name}@cx-digest" for name in pngs}
    email_html = html(model) if email else ""
    model.charts = {}
    return Rendered(model=model, pdf=document, email_html=email_html, email_text=model.text(), images=images,
                    web_html=page, seconds=seconds)
