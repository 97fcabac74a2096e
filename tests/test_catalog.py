"""The metric catalog is the one place a metric's label, unit, direction and definition live, and everything it
names exists: its SQL, its function, its pages, its commands."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import duckdb
import pytest

from cx_metrics import catalog, cli, columns, db
from cx_metrics.config import Settings
from cx_metrics.filters import Filters
from cx_metrics.metrics import base, overview, resolution, surveys

ROOT = Path(__file__).resolve().parents[1]


def _strict(text: str) -> object:
    def refuse(constant: str) -> object:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("metric_id", list(catalog.METRICS))
def test_every_entry_names_things_that_exist(metric_id: str) -> None:
    m = catalog.get(metric_id)
    assert m.unit in catalog.UNITS and m.direction in catalog.DIRECTIONS and m.area in catalog.AREAS
    assert m.label and m.grain and len(m.definition) > 60
    for name in m.sql:
        assert name in db.sql_names(), f"{metric_id}: no cx_metrics/sql/{name}.sql"
    module, _, attr = m.function.rpartition(".")
    assert callable(getattr(importlib.import_module(module), attr)), m.function
    for page in m.pages:
        assert (ROOT / "views" / f"{page}.py").is_file(), page
    assert set(m.commands) <= set(cli.RUNNERS)


def test_the_cli_commands_are_the_catalogs() -> None:
    assert set(catalog.commands()) == set(cli.RUNNERS)
    choices = next(a for a in cli.build_parser()._subparsers._group_actions[0].choices["metric"]._actions  # type: ignore[union-attr]
                   if a.dest == "name").choices
    assert sorted(choices) == sorted(catalog.commands())


def test_one_id_and_one_text_per_concept() -> None:
    texts = [m.definition for m in catalog.METRICS.values()]
    assert len(set(texts)) == len(texts)
    labels = [m.label for m in catalog.METRICS.values()]
    assert len(set(labels)) == len(labels)
    # the merged duplicates of issue 17 are gone
    assert not {"survey_nps", "survey_csat", "survey_ces", "churn_rate", "cohort_churn"} & set(catalog.METRICS)
    with pytest.raises(KeyError, match="known: complaints"):
        catalog.get("survey_nps")


def test_no_second_copy_of_a_definition_or_label_table() -> None:
    """No module or page repeats a definition text (its first 50 characters) or keeps its own metric label dict."""
    sources = [p for p in [*ROOT.joinpath("cx_metrics").rglob("*.py"), *ROOT.joinpath("pages").glob("*.py"),
                           *ROOT.joinpath("cx_ui").glob("*.py")] if p.name != "catalog.py"]
    texts = {p: p.read_text(encoding="utf-8") for p in sources}
    for m in catalog.METRICS.values():
        head = m.definition[:50]
        assert not [p for p, t in texts.items() if head in t], (m.id, head)
    assert not (ROOT / "cx_metrics" / "definitions.py").exists()
    for p, text in texts.items():
        assert not re.search(r'^(LABELS|UNITS) = \{"nps"', text, re.MULTILINE), p
    # a table column named after a metric is labelled as the metric is
    for metric_id in set(catalog.METRICS) & set(columns.COLUMNS):
        assert columns.COLUMNS[metric_id].label == catalog.label(metric_id)


def test_tiles_and_survey_scores_read_the_catalog(demo_conn: db.Connection) -> None:
    period = base.default_period(demo_conn)
    for frame in (overview.kpis(demo_conn, period=period), surveys.survey_summary(demo_conn, period=period)):
        for rec in frame.to_dict("records"):
            m = catalog.get(str(rec["metric"]))
            assert (rec["label"], rec["unit"], rec["definition"]) == (m.label, m.unit, m.definition)
            if "higher_is_better" in rec:
                assert rec["higher_is_better"] == m.higher_is_better


def test_metric_list_json_is_the_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["metric", "--list", "--format", "json"]) == 0
    listed = _strict(capsys.readouterr().out)
    assert listed == catalog.as_json()
    assert isinstance(listed, list) and [e["id"] for e in listed] == list(catalog.METRICS)
    nps = next(e for e in listed if e["id"] == "nps")
    assert nps["sql_files"] == ["cx_metrics/sql/survey_scores.sql"] and "views/surveys.py" in nps["page_files"]
    assert nps["function"] == "cx_metrics.metrics.surveys.survey_summary" and nps["higher_is_better"] is True


def test_metric_list_text_says_where_each_metric_lives(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["metric", "--list"]) == 0
    out = capsys.readouterr().out
    assert "resolution: Median resolution (hours; lower is better)" in out
    assert "computed by cx_metrics.metrics.resolution.summarise, reading time_to_event.sql" in out
    assert cli.main(["definitions"]) == 0
    out = capsys.readouterr().out
    assert all(f"{m.id} ({m.label})" in out for m in catalog.METRICS.values())


def test_sql_show_runs_in_duckdb(demo_db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`cx sql show NAME` is a script the DuckDB shell runs once its placeholders are filled: same rows as the app's
    query."""
    assert cli.main(["sql", "show", "churn_rates"]) == 0
    script = capsys.readouterr().out
    assert "-- @include" not in script and "customer_life AS (" in script
    assert "-- parameters: $all_plans, $all_regions, $all_segments, $by, $ends, $mode, $obs_end" in script
    assert "$read_activity" in script
    values = {"by": "'plan'", "ends": "['2026-02-01'::TIMESTAMP]", "mode": "'contractual'",
              "obs_end": "'2030-01-01'::TIMESTAMP", "starts": "['2026-01-01'::TIMESTAMP]", "read_activity": "true"}
    filled = re.sub(r"(\w+) := <value>", lambda m: f"{m.group(1)} := {values[m.group(1)]}", script)
    conn = duckdb.connect(str(demo_db_path), read_only=True)
    try:
        prepare, execute = filled.rsplit("EXECUTE", 1)
        conn.execute(prepare)
        shell = conn.execute("EXECUTE" + execute).df()
    finally:
        conn.close()
    app = db.connect(Settings().with_db(demo_db_path), read_only=True)
    try:
        ours = db.query(app, "churn_rates", {**Filters().params(), "by": "plan", "mode": "contractual",
                                             "obs_end": "2030-01-01", "read_activity": True, "starts": ["2026-01-01"],
                                             "ends": ["2026-02-01"]})
    finally:
        app.close()
    assert len(shell) > 1 and shell[["cohort", "at_start", "lost"]].equals(ours[["cohort", "at_start", "lost"]])


def test_sql_show_refuses_an_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["sql", "show", "no_such_query"]) == 2
    assert "no query named 'no_such_query'; `cx sql list` lists them" in capsys.readouterr().err
    assert cli.main(["sql", "list"]) == 0
    assert "churn_rates\n" in capsys.readouterr().out


def test_every_sql_fragment_says_what_it_needs() -> None:
    """A fragment's leading comment names every $parameter its SQL binds, so `cx sql show` readers and query writers
    find what to pass in one place."""
    for path in sorted((ROOT / "cx_metrics" / "sql" / "fragments").glob("*.sql")):
        lines = path.read_text(encoding="utf-8").splitlines()
        head = []
        for line in lines:
            if not line.lstrip().startswith("--"):
                break
            head.append(line)
        body = "\n".join(line for line in lines if not line.lstrip().startswith("--"))
        used = set(re.findall(r"\$[a-z_][a-z0-9_]*", body))
        assert head, path.name
        assert not {p for p in used if p not in "\n".join(head)}, path.name


def test_definitions_page_is_the_catalog(monkeypatch: pytest.MonkeyPatch, app_db_path: Path) -> None:
    """The Metric definitions page shows every entry: its label, id, definition and where it lives."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("CX_DB_PATH", str(app_db_path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    at.switch_page("views/definitions.py").run()
    assert not at.exception, at.exception
    shown = "\n".join(m.value for m in at.markdown)
    captions = "\n".join(c.value for c in at.caption)
    for m in catalog.METRICS.values():
        assert f"**{m.label}** (`{m.id}`" in shown and m.definition in shown
        assert f"computed by `{m.function}`" in captions
    assert [h.value for h in at.subheader] == [a.capitalize() for a in catalog.AREAS]


def test_one_name_for_the_time_to_event() -> None:
    """The time from a ticket's creation to an end point has one name in SQL and Python (time_to_event), not four."""
    sql = {p.stem for p in (Path(db.__file__).parent / "sql").rglob("*.sql")}
    assert {"time_to_event", "time_to_event_notes"} <= sql
    assert not {name for name in sql if name.startswith("duration")}
    assert not [name for name in vars(resolution) if name.startswith("duration")]
    readers = {m.id for m in catalog.METRICS.values() if "time_to_event" in m.sql}
    assert {"first_response", "resolution", "time_to_event"} <= readers
