"""App tier (page logic): every page through Streamlit's AppTest, on a real DuckDB file."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cx_metrics.config import Settings
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import base, overview
from tests.conftest import app_db

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["views/overview.py", "views/complaints.py", "views/resolution.py", "views/upload.py",
         "views/data_status.py", "views/definitions.py", "views/admin.py"]


def _app(monkeypatch: pytest.MonkeyPatch, path: Path) -> AppTest:
    monkeypatch.setenv("CX_DB_PATH", str(path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    return at.run()


def _expected(path: Path, filters: Filters | None = None, period: Period | None = None) -> dict[str, float]:
    with app_db(path) as conn:  # the app in this process holds the file
        period = period or base.default_period(conn)
        frame = overview.kpis(conn, period=period, filters=filters)
    return {str(r["metric"]): float(r["value"]) for r in frame.to_dict("records")}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_error(monkeypatch: pytest.MonkeyPatch, app_db_path: Path, page: str) -> None:
    at = _app(monkeypatch, app_db_path)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value


def test_overview_tiles_show_the_library_numbers(monkeypatch: pytest.MonkeyPatch, app_db_path: Path) -> None:
    at = _app(monkeypatch, app_db_path)
    labels = [m.label for m in at.metric]
    assert labels == ["Complaints", "NPS", "SLA breach rate (resolution)", "Median first response", "CSAT",
                      "Median resolution", "Churn rate", "Follow-up coverage"]  # the last: no delta, see followups
    expected = _expected(app_db_path)
    tiles = {m.label: m for m in at.metric}
    assert tiles["Complaints"].value == f"{expected['complaints']:,.0f}"
    assert tiles["CSAT"].value.startswith(f"{expected['csat']:.1f}%")
    assert tiles["NPS"].value.startswith(f"{expected['nps']:+.0f}")
    assert all(("real change" in m.delta) or ("within noise" in m.delta) for m in at.metric[:-1])
    captions = " ".join(c.value for c in at.caption)
    assert "95% CI" in captions and "n = " in captions
    assert any("Poisson" in (m.help or "") for m in at.metric)  # the definition sits next to the number


# AppTest drops the sidebar of a st.navigation app from its element tree on reruns (the real browser
# keeps it: see test_browser.py), so these tests set the widgets' session-state keys, which is exactly
# what the widgets write.


def test_sidebar_filters_drive_the_numbers(monkeypatch: pytest.MonkeyPatch, app_db_path: Path) -> None:
    at = _app(monkeypatch, app_db_path)
    assert [w.key for w in at.multiselect] == ["flt_plans", "flt_regions", "flt_segments", "flt_channels"]
    assert at.multiselect(key="flt_plans").options == ["Basic", "Free", "Pro", "Enterprise"]
    at.session_state["flt_plans"] = ["Pro"]
    at.session_state["flt_channels"] = ["chat"]
    at.run()
    expected = _expected(app_db_path, Filters.of(plans=["Pro"], channels=["chat"]))
    tiles = {m.label: m for m in at.metric}
    assert tiles["Complaints"].value.split(" ")[0] == f"{expected['complaints']:,.0f}"
    assert "plans: Pro; channels: chat" in at.caption[0].value
    # that the selection survives a page switch is checked in the real browser (test_browser.py)


def test_date_range_drives_the_period(monkeypatch: pytest.MonkeyPatch, app_db_path: Path) -> None:
    at = _app(monkeypatch, app_db_path)
    start, end = dt.date(2026, 9, 14), dt.date(2026, 9, 27)
    at.session_state["flt_period"] = (start, end)
    at.run()
    assert not at.exception
    assert "14 Sep 2026 – 27 Sep 2026" in at.caption[0].value
    expected = _expected(app_db_path, period=Period(start, end))
    assert {m.label: m for m in at.metric}["Complaints"].value.split(" ")[0] == f"{expected['complaints']:,.0f}"
    # a half-chosen range (first click in the picker) keeps the page working
    at.session_state["flt_period"] = (start,)
    at.run()
    assert not at.exception and at.metric


def test_empty_database_says_what_to_do(monkeypatch: pytest.MonkeyPatch, empty_db_path: Path) -> None:
    at = _app(monkeypatch, empty_db_path)
    assert not at.exception
    assert "cx demo" in at.info[0].value
    assert not at.metric


def test_unopenable_database_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bad = tmp_path / "bad.duckdb"
    bad.write_text("not a database\n" * 50)
    at = _app(monkeypatch, bad)
    assert not at.exception
    assert "could not be opened" in at.error[0].value


def test_overview_offers_guarded_csv_exports(monkeypatch: pytest.MonkeyPatch, app_db_path: Path) -> None:
    at = _app(monkeypatch, app_db_path)
    buttons = at.get("download_button")
    assert len(buttons) == 3  # the KPIs and the weekly counts (CSV), and the digest (PDF)
    assert sum("Download PDF" in str(b.proto) for b in buttons) == 1


UPLOAD = (
    "Ticket ID,Created at,Ticket type,Category,Channel\n"
    + "".join(f"U{i},2026-11-1{i % 5} 10:00,Incident,Billing,Email\n" for i in range(7))
    + "U99,not a date,Incident,Billing,Email\n"
).encode()


def test_upload_preview_load_then_overview_and_undo(
    monkeypatch: pytest.MonkeyPatch, demo_db_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "upload.duckdb"
    shutil.copyfile(demo_db_path, path)
    before = _expected(path)["complaints"]
    file_days = Period(dt.date(2026, 11, 10), dt.date(2026, 11, 14))  # the days the upload's tickets were created
    before_in_file_days = _expected(path, period=file_days)["complaints"]
    at = _app(monkeypatch, path)
    at.switch_page("views/upload.py").run()
    at.file_uploader(key="upload_file").set_value(("helpdesk.csv", UPLOAD, "text/csv")).run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == "Detected: tickets · generic"
    shown = {m.label: m.value for m in at.metric}
    assert (shown["Rows read"], shown["Will load"], shown["Rejected"]) == ("8", "7", "1")
    rejects = next(d.value for d in at.dataframe if "Reason" in d.value.columns)
    assert rejects.loc[0, "Line"] == 9 and "not a date" in rejects.loc[0, "Reason"]  # the line, and why
    at.radio(key="upload_demo").set_value("Keep the demo data beside mine").run()  # (removing it: test_owndata.py)
    at.button(key="upload_load").click().run()
    assert not at.exception, at.exception
    assert "7 rows loaded (7 new, 0 updated, 0 unchanged), 1 rejected" in at.success[0].value
    assert "Every page now shows **10 Nov 2026 – 14 Nov 2026**" in at.success[0].value  # the file's own days
    at.switch_page("views/overview.py").run()
    tiles = {m.label: m for m in at.metric}
    # the overview sees the new data at once, over the file's own days (the period the load just applied)
    assert tiles["Complaints"].value == f"{before_in_file_days + 7:,.0f}"
    at.switch_page("views/upload.py").run()
    history = at.dataframe[-1].value
    assert history.loc[0, "File"] == "helpdesk.csv" and history.loc[0, "Rows rejected"] == 1
    assert at.selectbox(key="history_import").value == int(history.loc[0, "Import"])  # the one just loaded
    at.button(key="history_undo").click().run()
    at.button(key="history_undo_yes").click().run()  # after a question naming the file and its rows
    assert not at.exception
    assert "undone: removed 7 tickets" in at.success[0].value
    at.switch_page("views/overview.py").run()
    assert {m.label: m for m in at.metric}["Complaints"].value == f"{before:,.0f}"


def test_uploading_the_same_tickets_again_as_json_says_nothing_changed(
    monkeypatch: pytest.MonkeyPatch, empty_db_path: Path
) -> None:
    rows = [dict(zip(["Ticket ID", "Created at", "Ticket type", "Category", "Channel"], line.split(","), strict=True))
            for line in UPLOAD.decode().splitlines()[1:-1]]
    at = _app(monkeypatch, empty_db_path)
    at.switch_page("views/upload.py").run()
    for name, data in (("helpdesk.csv", UPLOAD), ("helpdesk.json", json.dumps(rows).encode())):
        at.file_uploader(key="upload_file").set_value((name, data, "text/csv")).run()
        at.button(key="upload_load").click().run()
        assert not at.exception, at.exception
    assert "7 rows loaded (0 new, 0 updated, 7 unchanged), 0 rejected" in at.success[0].value
    history = at.dataframe[-1].value  # the import history, under the columns' labels
    assert history.loc[0, ["New rows", "Updated rows", "Unchanged rows"]].tolist() == [0, 0, 7]
    assert history.loc[1, ["New rows", "Updated rows", "Unchanged rows"]].tolist() == [7, 0, 0]


def test_upload_refusal_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, empty_db_path: Path) -> None:
    at = _app(monkeypatch, empty_db_path)
    at.switch_page("views/upload.py").run()
    at.file_uploader(key="upload_file").set_value(("notes.csv", b"colour,size\nred,3\n", "text/csv")).run()
    assert not at.exception
    assert "does not look like tickets" in at.error[0].value


def test_complaint_trends_page(monkeypatch: pytest.MonkeyPatch, app_db_path: Path) -> None:
    at = _app(monkeypatch, app_db_path)
    at.switch_page("views/complaints.py").run()
    assert not at.exception
    at.session_state["flt_period"] = (dt.date(2026, 9, 14), dt.date(2026, 9, 27))
    at.run()
    movers = next(d.value for d in at.dataframe if "Verdict" in d.value.columns)
    assert movers.iloc[0]["Category"] == "Billing" and movers.iloc[0]["Verdict"] == "real change"
    at.selectbox(key="cmp_by").set_value("channel").run()
    assert not at.exception
    movers = next(d.value for d in at.dataframe if "Verdict" in d.value.columns)
    assert "Channel" in movers.columns
    rows = next(d.value for d in at.dataframe if "Ticket" in d.value.columns)
    assert len(rows) > 0 and pd.to_datetime(rows["Created"]).min() >= pd.Timestamp("2026-09-14")
    assert at.get("download_button")


def test_resolution_page_clock_breaches_backlog_and_rows(monkeypatch: pytest.MonkeyPatch, app_db_path: Path) -> None:
    at = _app(monkeypatch, app_db_path)
    at.switch_page("views/resolution.py").run()
    assert not at.exception
    summary = next(d.value for d in at.dataframe if "Median (h)" in d.value.columns)
    at.radio(key="res_clock").set_value("business").run()
    assert not at.exception
    business = next(d.value for d in at.dataframe if "Median (business h)" in d.value.columns)
    # a 40-hour week leaves far fewer business hours than wall-clock hours between creation and solve
    assert (business["Median (business h)"].astype(float) < summary["Median (h)"].astype(float)).all()
    assert any("Business hours: Mon 09:00-17:00" in c.value for c in at.caption)
    rows = next(d.value for d in at.dataframe if "State" in d.value.columns)
    waited = pd.to_numeric(rows["Waited (business h)"], errors="coerce")
    assert len(rows) > 0 and waited.dropna().is_monotonic_decreasing
    picked = at.selectbox(key="res_rows_group").value
    assert set(rows["Channel"]) == {picked}
    assert len(at.get("plotly_chart")) >= 4  # KM curves, breaches over time, backlog over time, CSAT by handling
    assert any(b.label.startswith("Download these") for b in at.get("download_button"))


def test_one_cache_key_rule_follows_data_and_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every area's cached wrappers are made by state.cached and keyed by state.key() at each call: a settings
    change (a cx.toml edit) and a data change reach every area at once, and an unchanged key is served from the
    cache. No cx_ui module holds a bare st.cache_data function outside the rule."""
    import importlib
    import pkgutil

    import cx_ui
    from cx_ui import state

    modules = [importlib.import_module(f"cx_ui.{m.name}") for m in pkgutil.iter_modules(cx_ui.__path__)]
    bare = [f"{m.__name__}.{name}" for m in modules for name, obj in vars(m).items()
            if type(obj).__name__ == "CachedFunc"]
    assert not bare, f"cached outside state.cached: {bare}"
    areas = {w.__module__ for w in state.CACHED}
    assert {"cx_ui.state", "cx_ui.overview_state", "cx_ui.complaint_state", "cx_ui.resolution_state",
            "cx_ui.churn_state", "cx_ui.survey_state", "cx_ui.theme_state", "cx_ui.data_state",
            "cx_ui.digest_state"} <= areas

    current = {"settings": Settings(), "data": 7}
    monkeypatch.setattr(state, "settings", lambda: current["settings"])
    monkeypatch.setattr(state, "data_version", lambda: current["data"])
    monkeypatch.setattr(state, "reading", contextlib.nullcontext)
    # one probe per area module, made exactly as that area's wrappers are, counts its computations
    computed: dict[str, int] = {}
    probes = {}
    for area in sorted(areas):
        def compute(x: int, _area: str = area) -> int:
            computed[_area] = computed.get(_area, 0) + 1
            return x
        compute.__module__, compute.__qualname__ = area, "probe"
        probes[area] = state.cached()(compute)
    seen = []
    for change in (None, "settings", "data"):
        if change == "settings":
            current["settings"] = Settings(min_cell_n=5)
        elif change == "data":
            current["data"] = 8
        for probe in probes.values():
            assert probe(1) == 1 and probe(1) == 1  # the second call of an unchanged key is served from the cache
        seen.append(state.key())
        assert set(computed.values()) == {len(seen)}, (change, computed)  # every area recomputed, once each
    assert len(set(seen)) == 3
    for probe in probes.values():
        probe.clear()  # type: ignore[attr-defined]
