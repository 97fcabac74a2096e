"""`make bench`: speed and memory at N tickets, each figure beside a baseline measured in the same run.

    python bench/run.py [--tickets 1000000 [10000000]] [--repeats 3]

With two sizes (``make bench-10m``) every measurement is taken at both and the table gains the scaling ratio
(large / small; a linear system is about the size ratio). Writes bench/RESULTS.md. Figures are medians of
--repeats runs (timings on a shared 2-core machine are noisy; compare ratios, not absolute seconds, across
machines).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_cohorts  # noqa: E402
import bench_connection  # noqa: E402
import bench_import  # noqa: E402
from bench_load import under_load  # noqa: E402
from bench_themes import time_fit as time_theme_fit  # noqa: E402
from generate import zendesk_tickets  # noqa: E402
from queries import QUERIES  # noqa: E402

from cx_metrics import __version__, db, demo  # noqa: E402
from cx_metrics.config import Settings  # noqa: E402
from cx_ui.serve import CHROMIUM, CHROMIUM_ARGS, running_server  # noqa: E402

CHUNK = 1_000_000
COLD = """
import json, sys, time
sys.path.insert(0, {bench!r})
from queries import QUERIES
from cx_metrics import db
from cx_metrics.config import Settings
conn = db.connect(Settings().with_db({path!r}), read_only=True)
start = time.perf_counter()
QUERIES[{name!r}](conn)
print(json.dumps(time.perf_counter() - start))
"""


def _relabel(data: demo.DemoData, prefix: str) -> demo.DemoData:
    """Give a chunk's customers, tickets and responses ids of their own."""
    c, t, r, a = data.customers, data.tickets, data.survey_responses, data.customer_activity
    c = c.assign(customer_id=prefix + c["customer_id"])
    a = a.assign(customer_id=prefix + a["customer_id"])
    t = t.assign(customer_id=prefix + t["customer_id"], ticket_id=prefix + t["ticket_id"])
    r = r.assign(customer_id=prefix + r["customer_id"], response_id=prefix + r["response_id"],
                 ticket_id=r["ticket_id"].map(lambda x: None if x is None else prefix + str(x)))
    return demo.DemoData(c, t, r, a)


def build(path: Path, csv: Path, tickets: int) -> dict[str, float]:
    """The database and a Zendesk-shaped CSV of the same tickets, generated in chunks of 1M tickets so 10M fit in
    memory (chunk i: seed 7 + i, its own 200k customers; the first chunk is the 1M benchmark's data)."""
    start = time.perf_counter()
    conn = db.connect(Settings().with_db(path))
    total = 0
    for i in range(max(1, -(-tickets // CHUNK))):
        n = min(CHUNK, tickets - i * CHUNK)
        data = demo.generate(seed=7 + i, size=demo.DemoSize(customers=max(n // 5, 1_000), tickets=n))
        if i == 0:
            demo.load(conn, data, seed=7)
        else:
            data = _relabel(data, f"k{i}-")
            cur = conn.cursor()
            import_id = cur.execute("SELECT max(import_id) FROM imports").fetchall()[0][0]
            for table, frame in (("customers", data.customers), ("customer_activity", data.customer_activity),
                                 ("tickets", data.tickets), ("survey_responses", data.survey_responses)):
                cur.register("incoming", frame.assign(import_id=import_id))
                cols = ", ".join([*list(frame.columns), "import_id"])
                cur.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM incoming")
                cur.unregister("incoming")
            cur.close()
        export = zendesk_tickets(data)
        if i:  # Zendesk ids are numbers: chunk i's "k{i}-123" becomes 123 + i x 100,000,000 in the export
            export["Id"] = (export["Id"].str.removeprefix(f"k{i}-").astype("int64") + i * 100_000_000).astype(str)
        export.to_csv(csv, index=False, header=(i == 0), mode="w" if i == 0 else "a")
        total += len(data.tickets)
        del data
    conn.execute("CHECKPOINT")
    conn.close()
    return {"tickets": total, "build_s": time.perf_counter() - start}


def query_times(path: Path, repeats: int) -> dict[str, dict[str, float]]:
    out = {}
    conn = db.connect(Settings().with_db(path), read_only=True)
    for name, fn in QUERIES.items():
        cold = [json.loads(subprocess.run([sys.executable, "-c", COLD.format(bench=str(HERE), path=str(path),
                                                                             name=name)],
                                          capture_output=True, text=True, check=True).stdout)
                for _ in range(repeats)]
        fn(conn)
        warm = []
        for _ in range(max(repeats, 5)):
            start = time.perf_counter()
            fn(conn)
            warm.append(time.perf_counter() - start)
        out[name] = {"cold": statistics.median(cold), "warm": statistics.median(warm)}
    conn.close()
    return out


RENDERS = (("overview", "", ('[data-testid="stMetric"] >> nth=7', ".js-plotly-plot >> nth=2")),
           ("complaint trends", "complaints", ".js-plotly-plot .scatterlayer .trace"),
           ("resolution", "resolution", ".js-plotly-plot .scatterlayer .trace"),
           ("data status", "data_status", '[data-testid="stDataFrame"]'),
           ("definitions", "definitions", "text=NPS = 100"),
           ("upload", "upload", '[data-testid="stFileUploader"]'))


FLOORS = (("baseline: a Streamlit page with a title and a line of text", "", "text=Streamlit's own cost"),
          ("baseline: the same page with one 3-point `st.plotly_chart`", "/?chart=1",
           ".js-plotly-plot .scatterlayer .trace"))
OVERVIEW_TILES = "overview, until its eight tiles are drawn"
OVERVIEW_AGAIN = "overview, a returning reader (same browser profile: HTTP and script caches kept)"


def render_times(path: Path, repeats: int) -> dict[str, float]:
    """Seconds until each page is fully drawn in headless Chromium (the overview: its tiles and all three charts),
    and the dashboard process's peak memory."""
    from playwright.sync_api import sync_playwright

    out: dict[str, float] = {}
    with running_server(path, timeout=300) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)

        returning = browser.new_context(viewport={"width": 1400, "height": 1000})  # keeps its HTTP and code cache

        def load(url: str, ready: str | tuple[str, ...], *, again: bool = False) -> float:
            page = returning.new_page() if again else browser.new_page(viewport={"width": 1400, "height": 1000})
            start = time.perf_counter()
            page.goto(url)
            for selector in (ready,) if isinstance(ready, str) else ready:
                page.locator(selector).first.wait_for(timeout=300_000)
            elapsed = time.perf_counter() - start
            page.close()
            return elapsed

        out["overview, first load after server start"] = load(server.url, RENDERS[0][2])
        for name, slug, ready in RENDERS:
            url = f"{server.url}/{slug}" if slug else server.url
            out[name] = statistics.median(load(url, ready) for _ in range(repeats))
        out[OVERVIEW_TILES] = statistics.median(load(server.url, RENDERS[0][2][0]) for _ in range(repeats))
        load(server.url, RENDERS[0][2], again=True)  # the reader's first visit fills the profile's caches
        out[OVERVIEW_AGAIN] = statistics.median(load(server.url, RENDERS[0][2], again=True) for _ in range(repeats))
        for name, query, ready in FLOORS:
            with running_server(path, script=HERE / "render_floor.py", timeout=120) as floor:
                load(floor.url + query, ready)  # the server's first page view
                out[name] = statistics.median(load(floor.url + query, ready) for _ in range(repeats))
        returning.close()
        browser.close()
        out["peak_rss_mb"] = server.peak_rss_mb()
    return out


def measure(size: int, repeats: int, tmp: Path, *, import_bench: bool) -> dict[str, Any]:
    db_path, csv = tmp / f"bench-{size}.duckdb", tmp / f"tickets-{size}.csv"
    result: dict[str, Any] = {"build": build(db_path, csv, size)}
    result["csv_rows"] = result["build"]["tickets"]
    if import_bench:
        result["import"] = bench_import.measure(csv, repeats)
    result["queries"] = query_times(db_path, repeats)
    result["render"] = render_times(db_path, repeats)
    result["db_path"] = db_path
    result["csv"] = csv
    return result


def _ratio(big: float, small: float) -> str:
    return f"{big / small:.1f}" if small > 0 else "-"


def report(sizes: list[int], runs: dict[int, dict[str, Any]], repeats: int,
           load: dict[str, float] | None, layouts: dict[tuple[str, int], dict[str, Any]]) -> list[str]:
    small, big = sizes[0], sizes[-1]
    scaled = len(sizes) > 1
    label = {n: f"{n / 1e6:g}M" for n in sizes}
    head = " / ".join(f"{label[n]}" for n in sizes)
    lines = [
        "# Benchmark results",
        "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {platform.machine()}, 2 cores; Python "
        f"{platform.python_version()}, DuckDB {duckdb.__version__}, cx {__version__}",
        "- data: seeded demo generator, " + ", ".join(
            f"{runs[n]['build']['tickets']:,} tickets (built in {runs[n]['build']['build_s']:.0f} s)" for n in sizes)
        + f"; medians of {repeats} runs",
        "- reproduce: `make bench` (1M) or `make bench-10m` (1M and 10M, with scaling ratios); findings in "
        "`bench/NOTES.md`",
        "",
    ]
    imported = {("zendesk", runs[n]["csv_rows"]): runs[n]["import"] for n in sizes if "import" in runs[n]}
    lines += bench_import.section({**imported, **layouts}, repeats)
    lines += ["## Page queries", "",
              f"| query | cold s {head} | warm ms {head} |" + (" scaling cold / warm |" if scaled else ""),
              "|---|" + "---:|" * 2 + ("---:|" if scaled else "")]
    for name in QUERIES:
        cold = " / ".join(f"{runs[n]['queries'][name]['cold']:.3f}" for n in sizes)
        warm = " / ".join(f"{1000 * runs[n]['queries'][name]['warm']:.1f}" for n in sizes)
        row = f"| {name} | {cold} | {warm} |"
        if scaled:
            q0, q1 = runs[small]["queries"][name], runs[big]["queries"][name]
            row += f" {_ratio(q1['cold'], q0['cold'])} / {_ratio(q1['warm'], q0['warm'])} |"
        lines.append(row)
    for n in sizes:
        slowest = max(runs[n]["queries"].items(), key=lambda kv: kv[1]["cold"])
        lines.append(f"\nSlowest cold at {label[n]}: **{slowest[0]}** ({slowest[1]['cold']:.2f} s).")
    lines += ["", "Targets: under 1 s cold at 1M tickets and under 3 s at 10M; under 100 ms warm. Warm here is "
              "DuckDB with its caches hot but *without* the app's cache; the dashboard caches each result per "
              "filter and data version, so a repeat view costs nothing.", "",
              "## Pages in headless Chromium (real server)", "",
              f"| page | seconds to fully drawn {head} |" + (" scaling |" if scaled else ""),
              "|---|---:|" + ("---:|" if scaled else "")]
    for name in ["overview, first load after server start", *[r[0] for r in RENDERS], OVERVIEW_TILES,
                 OVERVIEW_AGAIN, *[f[0] for f in FLOORS]]:
        row = f"| {name} | " + " / ".join(f"{runs[n]['render'][name]:.2f}" for n in sizes) + " |"
        if scaled:
            row += f" {_ratio(runs[big]['render'][name], runs[small]['render'][name])} |"
        lines.append(row)
    floor = {n: runs[n]["render"][FLOORS[1][0]] for n in sizes}
    lines += ["", "Each row opens the page in a fresh browser profile (nothing cached: Streamlit's and plotly's "
              "scripts are fetched and compiled again), except the returning reader's. The baselines are "
              "`bench/render_floor.py`, served and opened the same way in the same run: what any Streamlit page, "
              "and any page with a plotly chart, costs to draw on this machine before it shows any data. The "
              "overview takes " + ", ".join(
                  f"{runs[n]['render']['overview'] / floor[n]:.1f}x the chart baseline at {label[n]}" for n in sizes)
              + " (target: overview under 2.5 s at 1M tickets).",
              "", "Peak RSS of the dashboard process while serving these pages: " + ", ".join(
        f"**{runs[n]['render']['peak_rss_mb']:,.0f} MB** at {label[n]}" for n in sizes)
        + " (target under 1.5 GB at 10M tickets).", ""]
    if load:
        lines += ["## Under load", "",
                  f"{load['sessions']} sessions computing the overview, complaint-trends and resolution pages "
                  "through the dashboard's shared connection (read sections, a cursor per query) while an import of "
                  f"{load['rows_imported']:,} tickets runs in a write section ({load['import_s']:.1f} s), on the "
                  f"{label[small]} database:", "",
                  "| measurement | seconds |", "|---|---:|",
                  f"| one page computation, nobody else working (p50) | {load['alone_p50']:.2f} |",
                  f"| under load, p50 | {load['p50']:.2f} |",
                  f"| under load, **p95** | **{load['p95']:.2f}** |", "",
                  f"{load['computations']:,} computations, {load['errors']} errors; 20 sessions share 2 cores, so a "
                  "page takes about as long as the queue in front of it.", ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--import-up-to", type=int, default=None,
                        help="measure the import only at sizes up to this many tickets (default: every size; files "
                             "over 512 MB are imported in parts)")
    parser.add_argument("--import-layouts", nargs="*", default=[n for n in bench_import.LAYOUT_NAMES if n != "zendesk"],
                        help="real export layouts imported at the first size beside the generator's file")
    parser.add_argument("--churn-customers", type=int, nargs="*", default=[100_000, 1_000_000],
                        help="churn-risk model training/scoring at these customer counts (none: skip)")
    args = parser.parse_args()
    sizes = sorted(args.tickets)
    runs: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for n in sizes:
            runs[n] = measure(n, args.repeats, tmp, import_bench=args.import_up_to is None or n <= args.import_up_to)
            print(f"measured {n:,} tickets", flush=True)
        small = runs[sizes[0]]
        load_csv = tmp / "load.csv"
        with load_csv.open("w") as out:
            out.write("Ticket ID,Created at,Status,Channel\n")
            out.writelines(f"L{i},2026-10-{1 + i % 28:02d} 10:00,open,email\n" for i in range(100_000))
        load = under_load(small["db_path"], load_csv)
        # real export layouts scaled to the first size (bench/layouts.py), against DuckDB in the same run
        layouts = {(name, sizes[0]): bench_import.measure(bench_import.make_file(name, sizes[0], tmp), args.repeats)
                   for name in args.import_layouts}
        lines = report(sizes, runs, args.repeats, load, layouts)
        lines += bench_connection.markdown(bench_connection.measure(small["db_path"], max(args.repeats, 5)))
        cohort_db = tmp / "cohorts.duckdb"
        bench_cohorts.build(cohort_db, sizes[0])  # as many survey responses as tickets
        theme_fit = time_theme_fit(small["db_path"])  # after the page measurements: it writes theme tables
        lines += [
            "## Theme model fit",
            "",
            f"`cx themes fit` on the {sizes[0]:,}-ticket database ({int(theme_fit['documents']):,} texts, "
            f"{int(theme_fit['distinct']):,} distinct, fitted on {int(theme_fit['sample']):,}): "
            f"**{theme_fit['seconds']:.1f} s**, {int(theme_fit['themes'])} themes. Free text (every text distinct): "
            "`python bench/bench_themes.py` (bench/RESULTS-themes.md).",
            "",
        ]
        lines += [f"Cohort and survey queries below: {sizes[0]:,} synthetic survey responses "
                  "(`bench/bench_cohorts.py`).", "", *bench_cohorts.markdown(bench_cohorts.measure(cohort_db,
                                                                                                  args.repeats))]
    if args.churn_customers:
        from bench_churn import section as churn_section

        lines += churn_section(args.churn_customers)
    spark_results = HERE / "RESULTS-spark.md"
    if spark_results.is_file():  # measured apart (`python bench/bench_spark.py`): a local Spark takes minutes per page
        lines += [*spark_results.read_text(encoding="utf-8").splitlines()[2:], ""]
    lines += ["## What was found", "", "Targets missed and why, what was fixed and what is next: `bench/NOTES.md` "
              "(hand-written, kept beside these figures).", ""]
    (HERE / "RESULTS.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
