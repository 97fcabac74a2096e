"""The Overview in headless Chromium, two checkouts side by side on one database (the render part of `make bench`
for the Overview alone, when a change adds to it).

    python bench/bench_overview.py --db bench-1m.duckdb --base /path/to/other/checkout [--repeats 5]

Each repeat starts a fresh dashboard server per checkout (that checkout's ``app.py`` and ``cx_metrics`` first on the
path; the two alternate, so the load of a shared machine falls on both alike) and opens the Overview in a fresh
browser page twice: the first view after the server starts computes every tile and chart; the second is drawn from
the dashboard's cache. "KPI tiles" waits for the seven KPI tiles, "fully drawn" also for the three charts and the
checkout's every tile (the follow-up tile, where there is one, is drawn last). The
baseline is `bench/render_floor.py`'s page with one plotly chart, served and opened the same way in the same run.
Prints a markdown table of medians and the ratio (this checkout / base).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from cx_ui.serve import CHROMIUM, CHROMIUM_ARGS, running_server  # noqa: E402

CHARTS = ".js-plotly-plot >> nth=2"
KPI_TILES = '[data-testid="stMetric"] >> nth=6'
FLOOR = (HERE / "render_floor.py", "/?chart=1", ".js-plotly-plot .scatterlayer .trace")


def _tiles(root: Path) -> int:
    """The Overview's tiles in that checkout: seven KPIs, and the follow-up tile where the checkout has follow-ups."""
    return 8 if (root / "cx_metrics" / "followups.py").exists() else 7


def measure(db_path: Path, sides: dict[str, Path], repeats: int) -> dict[str, dict[str, list[float]]]:
    from playwright.sync_api import sync_playwright

    times: dict[str, dict[str, list[float]]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)

        def load(url: str, *selectors: str) -> list[float]:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            start, marks = time.perf_counter(), []
            page.goto(url)
            for selector in selectors:
                page.locator(selector).first.wait_for(timeout=300_000)
                marks.append(time.perf_counter() - start)
            page.close()
            return marks

        for _ in range(repeats):
            for side, root in sides.items():
                got = times.setdefault(side, {})
                last = f'[data-testid="stMetric"] >> nth={_tiles(root) - 1}'
                with running_server(db_path, script=root / "app.py", env={"PYTHONPATH": str(root)},
                                    timeout=300) as server:
                    for view in ("first view after server start", "from the dashboard's cache"):
                        kpi_s, _, drawn_s = load(server.url, KPI_TILES, CHARTS, last)
                        got.setdefault(f"{view}: KPI tiles", []).append(kpi_s)
                        got.setdefault(f"{view}: fully drawn", []).append(drawn_s)
                got.setdefault("load", []).append(os.getloadavg()[0])
            script, query, ready = FLOOR
            with running_server(db_path, script=script, timeout=120) as floor:
                load(floor.url + query, ready)  # the server's first page view
                times.setdefault("floor", {}).setdefault("chart baseline", []).append(
                    load(floor.url + query, ready)[0])
        browser.close()
    return times


def markdown(times: dict[str, dict[str, list[float]]], repeats: int) -> list[str]:
    floor = statistics.median(times["floor"]["chart baseline"])
    lines = ["| Overview | base s | this s | ratio this / base | base / chart baseline | this / chart baseline |",
             "|---|---:|---:|---:|---:|---:|"]
    for name in (k for k in times["this"] if k != "load"):
        b, t = statistics.median(times["base"][name]), statistics.median(times["this"][name])
        lines.append(f"| {name} | {b:.2f} | {t:.2f} | {t / b:.2f} | {b / floor:.1f}x | {t / floor:.1f}x |")
    lines += ["", f"Chart baseline (a Streamlit page with one 3-point plotly chart), same run: {floor:.2f} s. Medians "
              f"of {repeats} repeats, the checkouts alternating; 1-minute load average after each: "
              + ", ".join(f"{x:.1f}" for x in times["this"]["load"]) + f" on {os.cpu_count()} cores."]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--base", type=Path, required=True, help="the other checkout (e.g. main's)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    times = measure(args.db.resolve(), {"base": args.base.resolve(), "this": ROOT}, args.repeats)
    print("\n".join(markdown(times, args.repeats)))


if __name__ == "__main__":
    main()
