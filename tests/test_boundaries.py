"""Architecture rules: cx_metrics never imports streamlit; pages hold no SQL."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import cx_metrics

ROOT = Path(__file__).resolve().parent.parent


def test_importing_every_cx_metrics_module_never_loads_streamlit() -> None:
    modules = [m.name for m in pkgutil.walk_packages(cx_metrics.__path__, "cx_metrics.")]
    assert "cx_metrics.cli" in modules and "cx_metrics.metrics.overview" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'streamlit' or m.startswith('streamlit.'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_linter_contracts_hold() -> None:
    exe = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(exe)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" in result.stdout and "0 broken" in result.stdout


def test_pages_only_render() -> None:
    sql = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b\s", re.IGNORECASE)
    for path in [ROOT / "dashboard.py", *(ROOT / "views").glob("*.py")]:
        text = path.read_text()
        assert not sql.search(text), f"{path.name} contains SQL"
        for forbidden in ("import duckdb", ".groupby(", "cursor(", ".execute("):
            assert forbidden not in text, f"{path.name} does {forbidden}"


def test_every_page_file_is_in_the_navigation() -> None:
    router = (ROOT / "dashboard.py").read_text()
    for page in (ROOT / "views").glob("*.py"):
        assert f'"{page.name}"' in router, f"{page.name} is not listed in st.navigation"


def test_no_pages_directory_beside_the_entry_scripts() -> None:
    """A ``pages/`` directory next to the script Streamlit runs turns on its legacy multipage mode for the whole
    process until a session reaches ``st.navigation``: a page URL opened first then runs that file alone, without
    the router's menu, filters and link state (test_deeplink_browser.py shows it in a browser). Page files go in
    ``views/``."""
    for entry in ("dashboard.py", "app.py"):
        assert (ROOT / entry).is_file()
        assert not (ROOT / entry).parent.joinpath("pages").exists(), \
            f"a pages/ directory next to {entry} turns on Streamlit's legacy page discovery; put page files in views/"
    assert sorted(p.name for p in (ROOT / "views").glob("*.py"))


def test_every_browser_launch_is_debians_chromium() -> None:
    """Tests, benchmarks, scripts and the digest start Debian's /usr/bin/chromium (cx_metrics.browser.CHROMIUM), never
    a browser Playwright would download or find in its cache."""
    launch = re.compile(r"\.(?:chromium|firefox|webkit)\.launch(?:_persistent_context)?\((?P<args>[^)]*)\)")
    found = 0
    for folder in ("cx_metrics", "cx_ui", "tests", "bench", "scripts"):
        for path in (ROOT / folder).rglob("*.py"):
            for call in launch.finditer(path.read_text(encoding="utf-8")):
                found += 1
                assert "executable_path=" in call["args"], f"{path.relative_to(ROOT)} launches a browser of its own"
    assert found >= 4
