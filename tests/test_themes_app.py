"""Themes page through Streamlit's AppTest: fitting from the page, editing themes, and the link from the
Complaint trends page's top movers."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cx_metrics import db
from cx_metrics.config import Settings
from tests.conftest import app_db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def fitted_path(themed_demo_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app's own copy of the fitted demo database (the app opens it with its own configuration)."""
    path = tmp_path_factory.mktemp("themes_app") / "fitted.duckdb"
    shutil.copyfile(themed_demo_path, path)
    return path


def _app(monkeypatch: pytest.MonkeyPatch, path: Path, page: str = "views/themes.py") -> AppTest:
    monkeypatch.setenv("CX_DB_PATH", str(path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _table(at: AppTest) -> object:
    """The themes table, its labelled columns read back under the catalogue's names."""
    shown = next(d.value for d in at.dataframe if "Top terms" in d.value.columns)
    frame = shown.rename(columns={"Number": "theme_key", "Theme": "theme", "Pinned": "pinned", "Merged in": "merged",
                                  "Texts": "documents"})
    return frame.assign(theme_key=frame["theme_key"].astype(int), pinned=frame["pinned"] == "yes")


def test_fit_from_the_page(monkeypatch: pytest.MonkeyPatch, demo_db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "unfitted.duckdb"
    shutil.copyfile(demo_db_path, path)
    at = _app(monkeypatch, path)
    assert "No theme model yet" in at.info[0].value
    at.button(key="themes_fit").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("Fitted ")
    table = _table(at)
    assert len(table) >= 4 and table["documents"].min() > 0  # type: ignore[attr-defined]
    assert "number chosen by stability" in " ".join(c.value for c in at.caption)


def test_page_sections_render_with_numbers(monkeypatch: pytest.MonkeyPatch, fitted_path: Path) -> None:
    conn = db.connect(Settings().with_db(fitted_path), read_only=True)
    corpus = dict(conn.cursor().execute("SELECT theme_key, corpus FROM themes").fetchall())
    conn.close()
    at = _app(monkeypatch, fitted_path)
    assert not at.error, [e.value for e in at.error]
    assert [s.value for s in at.subheader] == [
        "Themes", "Volume and share over time", "Emerging themes vs the previous period", "What moves the score",
        "Theme mix by channel and cohort", "Product requests", "The texts behind a theme"]
    assert "Drags NPS down most" in " ".join(m.value for m in at.markdown)
    requests = next(d.value for d in at.dataframe if "Request" in d.value.columns)
    assert "dark mode" in set(requests["Request"])
    verbatims = next(d.value for d in at.dataframe if "Text id" in d.value.columns)
    assert len(verbatims) > 0 and not verbatims["Text"].str.contains("@", regex=False).any()
    assert len(at.get("download_button")) == 2
    at.radio(key="themes_metric").set_value("csat").run()
    assert "Drags CSAT down most" in " ".join(m.value for m in at.markdown)
    tickets_table = _table(at)
    at.radio(key="themes_kinds").set_value("survey comments").run()
    assert not at.exception
    # the comments have their own model: their themes, not the tickets'
    comments_table = _table(at)
    assert {corpus[k] for k in comments_table["theme_key"]} == {"comments"}  # type: ignore[index]
    assert {corpus[k] for k in tickets_table["theme_key"]} == {"tickets"}  # type: ignore[index]
    assert "survey comments (" in " ".join(c.value for c in at.caption)
    at.selectbox(key="themes_mix_by").set_value("generation").run()
    assert not at.exception


def test_rename_pin_and_merge_from_the_page(monkeypatch: pytest.MonkeyPatch, fitted_path: Path,
                                            tmp_path: Path) -> None:
    path = tmp_path / "edit.duckdb"
    shutil.copyfile(fitted_path, path)
    at = _app(monkeypatch, path)
    table = _table(at)
    first, second = (int(k) for k in table["theme_key"].head(2))  # type: ignore[index]
    at.selectbox(key="themes_edit_key").set_value(first).run()
    at.text_input(key="themes_edit_name").input("Where is my stuff").run()
    at.button(key="themes_rename").click().run()
    assert not at.exception, at.exception
    table = _table(at)
    assert table.loc[table["theme_key"] == first, "theme"].iloc[0] == "Where is my stuff"  # type: ignore[attr-defined]
    at.button(key="themes_pin").click().run()
    assert bool(_table(at).set_index("theme_key").loc[first, "pinned"])  # type: ignore[attr-defined]
    at.selectbox(key="themes_edit_key").set_value(second).run()
    at.selectbox(key="themes_merge_into").set_value(first).run()
    at.button(key="themes_merge").click().run()
    assert not at.exception, at.exception
    table = _table(at).set_index("theme_key")  # type: ignore[attr-defined]
    assert second not in table.index and table.loc[first, "merged"]
    with app_db(path) as conn:
        edits = [r[0] for r in conn.cursor().execute("SELECT actor FROM theme_edits").fetchall()]
    assert edits == ["dashboard"] * 3


def test_complaint_movers_link_to_their_themes(monkeypatch: pytest.MonkeyPatch, fitted_path: Path,
                                               tmp_path: Path) -> None:
    path = tmp_path / "link.duckdb"
    shutil.copyfile(fitted_path, path)
    at = _app(monkeypatch, path, "views/complaints.py")
    at.session_state["flt_period"] = (dt.date(2026, 9, 14), dt.date(2026, 9, 27))
    at.run()
    assert at.selectbox(key="cmp_theme_mover").value == "Billing"
    behind = next(d.value for d in at.dataframe if "Share of the change (%)" in d.value.columns)
    assert behind.iloc[0]["Difference"] > 0
    top_theme = behind.iloc[0]["Theme"]
    assert "charged twice" in top_theme.lower()  # the double-charge incident, under its own words
    at.session_state["themes_kinds"] = "survey comments"  # last looked at the comments: the link shows tickets
    at.button(key="cmp_open_theme").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Themes"
    picked = at.selectbox(key="themes_verbatim_key")
    assert picked.format_func(picked.value) == top_theme  # type: ignore[misc]
    assert at.radio(key="themes_kinds").value == "tickets"
