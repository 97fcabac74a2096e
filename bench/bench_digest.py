"""Digest benchmark: which renderer (measured), and how long a weekly digest takes on the demo and at 1M tickets.

    python bench/bench_digest.py [--tickets 1000000] [--repeats 3]

Renderers compared on the same digest (the demo's spike week), each in a fresh process so a browser start is
counted where a real run pays it:
  * chromium    - the shipped one: Debian's Chromium through Playwright exports the charts with plotly.js's
                  Plotly.toImage (SVG into the PDF, PNG for the e-mail) and prints the page to PDF;
  * kaleido+weasyprint - plotly's static export (kaleido, pointed at the same Chromium) for SVG/PNG charts,
                  WeasyPrint for the PDF;
  * kaleido-png+weasyprint - the same with PNG charts in the PDF.
Fidelity: the chart pages are rasterised (pdftoppm, 96 dpi) and each chart region compared with the reference (the
chart as plotly.js draws it in Chromium, screenshot at the same size): share of pixels that differ by more than
a quarter of the range; and whether the charts' text is selectable (vector) in the PDF.
Writes bench/RESULTS-digest.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from cx_metrics import __version__, db, demo  # noqa: E402
from cx_metrics.config import Settings  # noqa: E402

SPIKE_END = dt.date(2026, 9, 20)
#: the section bench/bench_pdf_download.py writes at the end of RESULTS-digest.md (kept when this rewrites the rest)
DOWNLOAD_SECTION = "## Overview: Download PDF, first and repeated clicks"

ONE_RUN = r"""
import datetime as dt, io, json, sys, time
started = time.perf_counter()
sys.path.insert(0, {root!r})
from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.digest import figures as figs
from cx_metrics.digest.render import chromium, render, ChromiumRenderer
settings = Settings().with_db({path!r})
conn = db.connect(settings, read_only=True)
period = figs.latest_period(conn, "week", dt.date.fromisoformat({end!r}))
t = time.perf_counter()
fig = figs.figures(conn, settings, period)
seconds = {{"figures": time.perf_counter() - t}}
which = {renderer!r}
t = time.perf_counter()
if which == "chromium":
    ctx = chromium()
else:
    sys.path.insert(0, {bench!r})
    from bench_digest import KaleidoWeasy
    ctx = KaleidoWeasy(which)
with ctx as r:
    seconds["start"] = time.perf_counter() - t
    out = render(fig, r)
seconds.update(out.seconds)
seconds["total"] = time.perf_counter() - started
open({pdf!r}, "wb").write(out.pdf)
print(json.dumps(seconds))
"""


class KaleidoWeasy:
    """The alternative: kaleido (plotly's static export, on Debian's Chromium) for charts, WeasyPrint for the PDF."""

    def __init__(self, which: str) -> None:
        self.png_in_pdf = which == "kaleido-png+weasyprint"

    def __enter__(self) -> KaleidoWeasy:
        import os

        import kaleido

        from cx_metrics.browser import CHROMIUM

        os.environ.setdefault("BROWSER_PATH", CHROMIUM)
        kaleido.start_sync_server(silence_warnings=True)
        return self

    def __exit__(self, *exc: object) -> None:
        import kaleido

        kaleido.stop_sync_server(silence_warnings=True)

    def images(self, figures: dict[str, Any], fmt: str) -> dict[str, bytes]:
        import plotly.io as pio

        from cx_metrics.digest.render import PNG_SCALE

        if fmt == "svg" and self.png_in_pdf:
            fmt = "png"
        return {name: pio.to_image(f, format=fmt, scale=PNG_SCALE if fmt == "png" else 1)
                for name, f in figures.items()}

    def pdf(self, page: str) -> bytes:
        import weasyprint

        if self.png_in_pdf:
            page = page.replace("data:image/svg+xml", "data:image/png")
        return bytes(weasyprint.HTML(string=page).write_pdf())


RENDERERS = ("chromium", "kaleido+weasyprint", "kaleido-png+weasyprint")


def run_once(path: Path, renderer: str, pdf: Path, end: dt.date) -> dict[str, float]:
    code = ONE_RUN.format(root=str(HERE.parent), bench=str(HERE), path=str(path), end=end.isoformat(),
                          renderer=renderer, pdf=str(pdf))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def fidelity(pdf: Path, tmp: Path) -> dict[str, Any]:
    """Whether the charts' text is selectable (vector), the page count and the size of a rendered PDF."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    vector = "complaints per week" in text and "breach rate of tickets created that week" in text
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = next(int(line.split()[-1]) for line in pages.splitlines() if line.startswith("Pages:"))
    return {"vector_text": vector, "pages": count, "bytes": pdf.stat().st_size}


CHART_PAGE = ("<!DOCTYPE html><html><head><style>@page {{ size: 700px 330px; margin: 0 }} body {{ margin: 0 }} "
              "img {{ display: block; width: 700px; height: 330px }}</style></head><body><img src=\"{src}\">"
              "</body></html>")


def chart_agreement(which: str, figure: Any, reference: Path, tmp: Path) -> float:
    """Share of the complaint-trend chart's pixels that differ (by more than 64 of 255 in a channel) from the
    reference: the chart alone on a page of its size, exported and printed by the renderer, rasterised at 96 dpi
    (one CSS pixel per pixel), against plotly.js's own PNG of it in Chromium."""
    import numpy as np
    from PIL import Image

    from cx_metrics.digest.render import chromium, data_uri

    ctx: Any = chromium() if which == "chromium" else KaleidoWeasy(which)
    with ctx as r:
        image = r.images({"c": figure}, "svg")["c"]
        mime = "image/png" if image.startswith(b"\x89PNG") else "image/svg+xml"
        pdf = r.pdf(CHART_PAGE.format(src=data_uri(mime, image)))
    (tmp / "chart.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "96", "-png", "-singlefile", str(tmp / "chart.pdf"), str(tmp / "chart")],
                   check=True)
    got = np.asarray(Image.open(tmp / "chart.png").convert("RGB")).astype(int)
    ref = np.asarray(Image.open(reference).convert("RGB")).astype(int)
    h, w = min(got.shape[0], ref.shape[0]), min(got.shape[1], ref.shape[1])
    return float((np.abs(got[:h, :w] - ref[:h, :w]).max(axis=2) > 64).mean())


def reference_chart(path: Path, out: Path) -> Any:
    from cx_metrics.digest import figures as figs
    from cx_metrics.digest.render import chart_figures, chromium

    settings = Settings().with_db(path)
    conn = db.connect(settings, read_only=True)
    fig = figs.figures(conn, settings, figs.latest_period(conn, "week", SPIKE_END))
    conn.close()
    figure = chart_figures(fig)["complaint_trend"]
    with chromium() as r:
        r_png = r._page.evaluate(
            "async (fig) => await Plotly.toImage(fig, {format: 'png', width: 700, height: 330, scale: 1})",
            json.loads(figure.to_json()))
    from cx_metrics.digest.render import _decode

    out.write_bytes(_decode(r_png))
    return figure


def cli_seconds(path: Path, out: Path) -> float:
    """The whole `cx digest` command, as a person runs it (process start, figures and Chromium start overlapped,
    charts, PDF, e-mail, files)."""
    started = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "cx"), "digest", "--db", str(path), "--end",
                    SPIKE_END.isoformat(), "--out", str(out)], check=True, capture_output=True)
    return time.perf_counter() - started


def build_1m(path: Path, tickets: int) -> float:
    started = time.perf_counter()
    conn = db.connect(Settings().with_db(path))
    demo.load(conn, demo.generate(seed=7, size=demo.DemoSize(customers=tickets // 5, tickets=tickets)), seed=7)
    conn.execute("CHECKPOINT")
    conn.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        demo_db = tmp / "demo.duckdb"
        conn = db.connect(Settings().with_db(demo_db))
        demo.build(conn, seed=7)
        conn.close()
        reference = tmp / "reference.png"
        figure = reference_chart(demo_db, reference)
        renderers: dict[str, dict[str, Any]] = {}
        for name in RENDERERS:
            runs = [run_once(demo_db, name, tmp / f"{name}.pdf", SPIKE_END) for _ in range(args.repeats)]
            renderers[name] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            renderers[name].update(fidelity(tmp / f"{name}.pdf", tmp))
            renderers[name]["differ"] = chart_agreement(name, figure, reference, tmp)
        big = tmp / "big.duckdb"
        build_s = build_1m(big, args.tickets)
        sizes = {}
        for label, path in (("demo (~100k tickets)", demo_db), (f"{args.tickets:,} tickets", big)):
            runs = [run_once(path, "chromium", tmp / "x.pdf", SPIKE_END) for _ in range(args.repeats)]
            sizes[label] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            sizes[label]["cli"] = statistics.median(cli_seconds(path, tmp / "cli") for _ in range(args.repeats))
    lines = [
        "# Benchmark: digests", "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {platform.machine()}, 2 cores shared; Python "
        f"{platform.python_version()}, cx {__version__}; medians of {args.repeats} runs, each a fresh process",
        f"- data: the seeded demo, and {args.tickets:,} tickets from the same generator (built in {build_s:.0f} s)",
        "- digest: the weekly executive digest of the spike week (14-20 Sep 2026), no filters: 7 KPI tiles, 3 charts,"
        " movers and their themes, CES, churn; the PDF and the HTML e-mail", "",
        "## Renderer (demo)", "",
        "| renderer | browser start s | charts s (SVG + PNG) | PDF s | whole run s | PDF kB | chart text selectable |"
        " chart pixels differing from plotly.js's own PNG |",
        "|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    for name, r in renderers.items():
        lines.append(f"| {name} | {r['start']:.2f} | {r['charts']:.2f} | {r['pdf']:.2f} | {r['total']:.2f} | "
                     f"{r['bytes'] / 1024:.0f} | {'yes' if r['vector_text'] else 'no'} | {r['differ']:.1%} |")
    lines += ["", "Chosen: **chromium** (see bench/NOTES.md, Digests).", "",
              "## Weekly digest by size (chromium)", "",
              "| data | figures s | browser start s | charts s | PDF s | in sequence s | share in chart rendering |"
              " `cx digest` command s |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for label, r in sizes.items():
        lines.append(f"| {label} | {r['figures']:.2f} | {r['start']:.2f} | {r['charts']:.2f} | {r['pdf']:.2f} | "
                     f"{r['total']:.2f} | {r['charts'] / r['total']:.0%} | **{r['cli']:.2f}** |")
    lines += ["", "Target: a weekly digest of 1M tickets in under 10 s. 'In sequence': one process timing each step "
              "after the other (imports included); the `cx digest` command reads the figures while Chromium starts "
              f"and writes the PDF, the e-mail and the HTML. Load average at the end: {os.getloadavg()[0]:.1f} "
              "(2 cores).", ""]
    results = HERE / "RESULTS-digest.md"
    kept = results.read_text(encoding="utf-8").partition(DOWNLOAD_SECTION)[1:] if results.exists() else ("", "")
    results.write_text("\n".join(lines) + "".join(kept), encoding="utf-8")  # bench_pdf_download.py's section stays
    print("\n".join(lines))


if __name__ == "__main__":
    main()
