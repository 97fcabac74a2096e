"""Every table a person reads: labelled columns with their units, never a raw column name, never an empty "None".

Each page is opened through AppTest on the demo (themes fitted), in the states that draw its tables, and every
dataframe it shows is checked; the labels come from one registry (cx_metrics.columns), so a column a metric adds
without a label fails here, not on a user's screen."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cx_metrics import columns
from tests.test_app import UPLOAD

ROOT = Path(__file__).resolve().parent.parent
RAW = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)+")


@pytest.fixture(scope="module")
def served(themed_demo_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tables") / "tables.duckdb"
    shutil.copyfile(themed_demo_path, path)
    return path


def _problems(at: AppTest, where: str) -> list[str]:
    assert not at.exception, (where, at.exception)
    found = []
    for element in at.dataframe:
        frame = element.value
        for header in map(str, frame.columns):
            if RAW.fullmatch(header) or header in ("dim1", "dim2"):
                found.append(f"{where}: raw column name {header!r}")
        empty = frame.isna().any()
        found += [f"{where}: column {c!r} has an empty (None) cell" for c in empty[empty].index]
        as_text = frame.astype(str)
        for c in as_text.columns:
            if as_text[c].isin(["None", "nan", "NaT", "<NA>"]).any():
                found.append(f"{where}: column {c!r} shows None/nan as text")
    return found


def _visit(monkeypatch: pytest.MonkeyPatch, path: Path, page: str,
           steps: list[tuple[str, str, object]]) -> Iterator[tuple[AppTest, str]]:
    monkeypatch.setenv("CX_DB_PATH", str(path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=180).run()
    at.switch_page(page).run()
    yield at, page
    for kind, key, value in steps:
        getattr(at, kind)(key=key).set_value(value).run()
        yield at, f"{page} {key}={value}"


STATES: dict[str, list[tuple[str, str, object]]] = {
    "views/complaints.py": [("selectbox", "cmp_by", "channel"), ("selectbox", "cmp_by", "plan")],
    "views/resolution.py": [("selectbox", "res_metric", "first_response"), ("radio", "res_clock", "business"),
                            ("selectbox", "res_by", "priority")],
    "views/surveys.py": [("selectbox", "srv_metric", "ces"), ("selectbox", "srv_grain", "week")],
    "views/churn.py": [("selectbox", "churn_by", "plan")],
    "views/themes.py": [],
    "views/cohorts.py": [("selectbox", "coh_metric", "nps"), ("selectbox", "coh_by2", "channel"),
                         ("selectbox", "coh_metric", "resolution_hours"), ("selectbox", "coh_metric", "churn_rate")],
    "views/data_status.py": [],
    "views/admin.py": [],
    "views/upload.py": [],
}


@pytest.mark.parametrize("page", list(STATES))
def test_every_table_has_labels_and_no_empty_cells(monkeypatch: pytest.MonkeyPatch, served: Path, page: str) -> None:
    problems: list[str] = []
    seen = 0
    for at, where in _visit(monkeypatch, served, page, STATES[page]):
        problems += _problems(at, where)
        seen += len(at.dataframe)
        if page == "views/upload.py":
            at.file_uploader(key="upload_file").set_value(("helpdesk.csv", UPLOAD, "text/csv")).run()
            problems += _problems(at, "upload preview")
            seen += len(at.dataframe)
            text = " ".join(c.value for c in at.caption)
            assert "{" not in text and "ISO 8601" in text  # date formats in words, not a Python dict
    assert seen, f"{page} drew no table"
    assert not problems, "\n".join(sorted(set(problems)))


def test_the_registry_formats_each_kind() -> None:
    frame = pd.DataFrame({"group": ["a", None], "median_hours": [1.25, float("nan")], "breach_rate": [0.5, 0.25],
                          "p_value": [0.0123, 0.5], "small_n": [True, False], "significant": [True, False],
                          "effect_size": [0.2, float("nan")], "effect_name": ["Cohen's h", "Cohen's h"],
                          "theme_key": [1, 2]})
    shown, spec = columns.display_frame(frame, min_n=30, labels={"group": "Channel"})
    assert list(shown.columns) == ["Channel", "Median (h)", "Breach rate (%)", "p-value", "Sample", "Significant",
                                   "Effect size"]  # theme_key: an identifier, not shown
    assert shown["Channel"].tolist() == ["a", "–"] and shown["Median (h)"].tolist() == ["1.2", "–"]
    assert shown["Sample"].tolist() == ["n < 30", ""] and shown["Effect size"].tolist() == ["Cohen's h 0.20", "–"]
    assert spec["Breach rate (%)"].kind == "share" and not spec["Breach rate (%)"].as_text
    with pytest.raises(KeyError, match="no label for the column"):
        columns.display_frame(pd.DataFrame({"mystery_column": [1]}))
    assert columns.display_name("median_hours") == "Median (h)"
    assert columns.display_name("value", unit="points") == "Value (points)"


def test_no_header_says_its_unit_twice() -> None:
    """A label that names its unit, under a kind that adds it in brackets, reads "90th percentile, days (days)"."""
    twice = [columns.display_name(name) for name, spec in columns.COLUMNS.items()
             if (unit := columns.KINDS[spec.kind][0]) and f"({unit})" not in spec.label
             and re.search(rf"\b{re.escape(unit)}\b", spec.label, re.IGNORECASE)]
    assert not twice, twice
    assert columns.display_name("p90_days") == "90th percentile to follow-up (days)"
