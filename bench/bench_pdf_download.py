"""The Overview's Download PDF as a person clicks it: seconds from the click to the file in the browser's hands, for
the first click and for repeats of the same view, on a real server (app.py) with the demo database.

    python bench/bench_pdf_download.py [--clicks 4] [--db PATH] [--tree DIR ...]

``--tree``: project folders to serve (default: this one), each on a fresh server with the same database file, in the
order given; pass a checkout of the base commit first to measure before/after in one run. Prints a Markdown table
and writes it as the last section of bench/RESULTS-digest.md (bench_digest.py keeps it when it rewrites the rest).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

sys.path.insert(0, str(HERE))

from bench_digest import DOWNLOAD_SECTION  # noqa: E402

from cx_ui.serve import CHROMIUM, CHROMIUM_ARGS, running_server  # noqa: E402


def _git(tree: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(tree), *args], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def clicks(tree: Path, db_path: Path, n: int) -> list[float]:
    """Seconds per Download PDF click on the Overview of a fresh server serving ``tree``."""
    from playwright.sync_api import sync_playwright

    copy = Path(tempfile.mkdtemp(prefix=f"bench-pdf-{tree.name}-")) / db_path.name  # no WAL of an earlier run
    shutil.copyfile(db_path, copy)
    seconds = []
    env = {"CX_DELIVERY_IN_DASHBOARD": "false"}
    with running_server(copy, script=tree / "app.py", env=env, timeout=180) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.goto(server.url)
        button = page.get_by_role("button", name="Download PDF")
        try:
            button.wait_for(timeout=300_000)
        except Exception:
            page.screenshot(path=str(copy.with_suffix(".timeout.png")), full_page=True)
            raise
        page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=300_000)
        for _ in range(n):
            started = time.perf_counter()
            with page.expect_download(timeout=300_000) as info:
                button.click()
            path = info.value.path()
            seconds.append(time.perf_counter() - started)
            assert path is not None and Path(path).read_bytes()[:4] == b"%PDF"
            page.wait_for_timeout(500)
        browser.close()
    shutil.rmtree(copy.parent, ignore_errors=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clicks", type=int, default=4)
    parser.add_argument("--db", type=Path, help="a demo database (default: `cx demo` into a temporary folder)")
    parser.add_argument("--tree", type=Path, nargs="+", default=[HERE.parent])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = args.db
        if db_path is None:
            db_path = Path(tmp) / "demo.duckdb"
            subprocess.run([sys.executable, "-m", "cx_metrics.cli", "demo", "--db", str(db_path)], check=True,
                           capture_output=True)
        rows = []
        for tree in args.tree:
            took = clicks(tree.resolve(), db_path, args.clicks)
            rows.append((tree, _git(tree, "rev-parse", "--short", "HEAD"), took))
    lines = [DOWNLOAD_SECTION, "",
             f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average "
             f"{os.getloadavg()[0]:.1f} (2 cores, shared); `python bench/bench_pdf_download.py`",
             f"- a real server (app.py) per tree on a copy of the demo database; the Overview's default view (last 13 "
             f"weeks, no filters, local mode); {args.clicks} clicks of Download PDF; seconds from the click to the "
             "file downloaded in Chromium", "",
             "| tree | commit | first click s | repeat clicks s (each) | repeat median s |", "|---|---|---:|---|---:|"]
    for tree, commit, took in rows:
        repeats = took[1:]
        lines.append(f"| {tree.name} | {commit} | {took[0]:.2f} | {', '.join(f'{s:.2f}' for s in repeats)} | "
                     f"{statistics.median(repeats):.2f} |")
    lines += ["", "A first click draws the PDF (a Chromium started for it, charts exported, page printed); a repeat of "
              "the same period, filters, role, data version, settings and follow-up revision is served from the "
              "server's cache (cx_ui/overview_state.py digest_pdf: at most 16 PDFs, 10 minutes), for any session.", ""]
    results = HERE / "RESULTS-digest.md"
    before = results.read_text(encoding="utf-8").partition(DOWNLOAD_SECTION)[0] if results.exists() else ""
    results.write_text(before.rstrip("\n") + "\n\n" + "\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
