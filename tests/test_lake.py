"""The Spark engine's parts that are not the golden tests: rendering traps, the [engine] setting, `cx lake export`,
and the Fivetran Zendesk mapping on a small hand-made connector fixture (on the run's one local Spark session)."""

from __future__ import annotations

import datetime as dt
import inspect
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
import sqlglot
from sqlglot import exp

from cx_metrics import cli, db, lake, spark
from cx_metrics.config import ConfigError, Settings, load_settings
from cx_metrics.metrics import resolution, surveys
from tests import test_followups
from tests.conftest import TINY_PERIOD, TINY_SQL, spark_settings

# -- rendering: the traps the issue names ------------------------------------------------------------------------------


def test_exact_percentiles_never_become_approximate() -> None:
    for sql in ("SELECT quantile_cont(x, 0.9) FROM t",
                "SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY x) FROM t",
                "SELECT median(x) FROM t"):
        out = spark.render(sql).lower()
        assert "percentile(x, " in out, out
        assert "approx" not in out and "percentile_cont" not in out, out


def test_approximate_output_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Were sqlglot to write percentile_approx for an exact aggregate, the query is refused, not run."""
    monkeypatch.setattr(spark, "_exact_percentiles", lambda node: node)
    spark._parsed.cache_clear()
    try:
        with pytest.raises(spark.EngineSqlError, match="approximate"):
            spark.render("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM t")
    finally:
        spark._parsed.cache_clear()


def test_a_union_by_name_is_refused() -> None:
    """sqlglot passes DuckDB's UNION ALL BY NAME through unchanged, and Spark SQL has no union that fills a side's
    missing columns; the query is refused with what to do (the colour list of every chart once did this)."""
    with pytest.raises(spark.EngineSqlError, match="write the columns out"):
        spark.render("SELECT a FROM t UNION ALL BY NAME SELECT b FROM u")


def test_group_by_all_is_written_out() -> None:
    out = spark.render("SELECT a, lower(b) AS lb, count(*) AS n, 1 AS one FROM t GROUP BY ALL")
    assert "GROUP BY ALL" not in out.upper()
    assert "GROUP BY a, LOWER(b)" in out


def test_parameters_are_bound_as_typed_literals() -> None:
    out = spark.render("SELECT * FROM t WHERE d >= $start AND at < $end AND list_contains(CAST($plans AS VARCHAR[]), "
                       "p) AND n = $n AND name = $name",
                       {"start": dt.date(2026, 1, 5), "end": dt.datetime(2026, 1, 12), "plans": ["Pro", "x'y"],
                        "n": 3, "name": "O'Brien"})
    assert "CAST('2026-01-05' AS DATE)" in out and "CAST('2026-01-12 00:00:00' AS TIMESTAMP)" in out
    assert "ARRAY('Pro', 'x\\'y')" in out or "ARRAY('Pro', 'x''y')" in out
    assert "'O\\'Brien'" in out or "'O''Brien'" in out
    with pytest.raises(spark.EngineSqlError, match=r"\$n"):
        spark.render("SELECT $n", {})


def test_duckdb_day_boundaries_and_decimal_division() -> None:
    out = spark.render("SELECT date_diff('day', a, b), x / 86400.0 FROM t")
    assert "TIMESTAMPDIFF(DAY, DATE_TRUNC('day', a), DATE_TRUNC('day', b))" in out
    assert "CAST(86400.0 AS DOUBLE)" in out


def test_every_query_renders_for_spark() -> None:
    """Every named query renders (the Spark tier runs the ones the pages' golden tests reach)."""
    for name in db.sql_names():
        rendered = spark.render(db.sql_text(name), {p: None for p in db.sql_params(name)})
        assert "approx" not in rendered.lower() or "approx" in db.sql_text(name).lower(), name


def test_every_query_parses_on_spark(spark_conn: Any) -> None:
    """Spark's own SQL parser reads every named query as rendered (nothing runs; the golden tests and the pages'
    comparisons run them). Rendering alone let DuckDB's ASOF JOIN through, which Spark cannot parse: the Overview's
    follow-up tile stopped there."""
    parser = spark_conn.session._jsparkSession.sessionState().sqlParser()
    failed = {}
    for name in db.sql_names():
        statement = sqlglot.parse_one(db.sql_text(name), read="duckdb")
        if spark._tables(db.sql_text(name)) & set(spark.STATE_TABLES) or not isinstance(statement, exp.Query):
            continue  # the dashboard's own state and the writes (imports, follow-up claims) never go to Spark
        rendered = spark.render(db.sql_text(name), {p: None for p in db.sql_params(name)})
        try:
            parser.parsePlan(rendered)
        except Exception as exc:
            failed[name] = str(exc).strip().splitlines()[0][:300]
    assert not failed, failed


#: DuckDB SQL over inline rows: an as-of join (the follow-up owner's "latest ticket before") and ordered string_agg
ASOF_AND_STRING_AGG = """
WITH failures AS (SELECT * FROM (VALUES ('A', TIMESTAMP '2026-01-10 00:00'), ('A', TIMESTAMP '2026-01-03 00:00'),
                                        ('A', TIMESTAMP '2026-01-10 00:00'), ('B', TIMESTAMP '2026-01-05 00:00'),
                                        ('C', TIMESTAMP '2026-01-01 00:00')) AS f(customer_id, triggered_at)),
tickets AS (SELECT * FROM (VALUES ('A', TIMESTAMP '2026-01-02 00:00', 'billing', 'ann'),
                                  ('A', TIMESTAMP '2026-01-09 00:00', 'tech', 'bob'),
                                  ('A', TIMESTAMP '2026-01-11 00:00', 'tech', 'cy'),
                                  ('B', TIMESTAMP '2026-01-05 00:00', 'billing', NULL),
                                  ('C', TIMESTAMP '2026-01-02 00:00', 'tech', 'dee')) AS t(customer_id, created_at,
                                                                                          group_name, assignee)),
owners AS (
    SELECT o.customer_id, o.triggered_at, t2.group_name, t2.assignee
    FROM (SELECT DISTINCT customer_id, triggered_at FROM failures) AS o
    ASOF JOIN (SELECT customer_id, created_at, group_name, assignee FROM tickets) AS t2
      ON t2.customer_id = o.customer_id AND o.triggered_at >= t2.created_at
)
SELECT customer_id, count(*) AS matched, string_agg(DISTINCT group_name, ', ' ORDER BY group_name) AS groups,
       string_agg(assignee, '; ' ORDER BY assignee DESC) AS assignees
FROM owners GROUP BY customer_id ORDER BY customer_id
"""


def test_asof_join_and_string_agg_give_duckdbs_rows(spark_conn: Any) -> None:
    """Spark has no as-of join and fails on LISTAGG ... WITHIN GROUP (the Surveys page's inventory stopped): both
    are rendered another way, and must give DuckDB's rows (C's failure precedes its tickets: no row, as in DuckDB;
    B's one assignee is NULL: skipped by string_agg, and an all-NULL group gives NULL)."""
    duck = duckdb.sql(ASOF_AND_STRING_AGG).fetchall()
    assert duck == [("A", 2, "billing, tech", "bob; ann"), ("B", 1, "billing", None)]  # hand-computed
    on_spark = [tuple(row) for row in spark_conn.session.sql(spark.render(ASOF_AND_STRING_AGG)).collect()]
    assert on_spark == duck


def test_an_asof_join_spark_cannot_match_exactly_is_refused() -> None:
    """A left side that is not DISTINCT (its rows would not be told apart by their columns) is refused, not guessed."""
    with pytest.raises(spark.EngineSqlError, match="as-of join"):
        spark.render("SELECT l.k, r.v FROM (SELECT k, t FROM a) AS l ASOF JOIN b AS r ON r.k = l.k AND l.t >= r.t")


# -- the [engine] setting ----------------------------------------------------------------------------------------------


def test_engine_setting(tmp_path: Path) -> None:
    toml = tmp_path / "cx.toml"
    toml.write_text('[engine]\nkind = "spark"\nlake = "lake"\nremote = "sc://spark.internal:15002"\n'
                    '[engine.tables]\ntickets = "main.zendesk.tickets"\n', encoding="utf-8")
    s = load_settings({"CX_CONFIG": str(toml)})
    assert s.engine.kind == "spark" and s.engine.lake == str(tmp_path / "lake")
    assert s.engine.location("tickets") == ("table", "main.zendesk.tickets")
    assert s.engine.location("customers") == ("path", str(tmp_path / "lake" / "customers"))
    assert load_settings({"CX_CONFIG": str(toml), "CX_ENGINE": "duckdb"}).engine.kind == "duckdb"
    toml.write_text('[engine]\nkind = "snowflake"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="engine kind must be one of duckdb, spark"):
        load_settings({"CX_CONFIG": str(toml)})
    toml.write_text('[engine]\nkind = "spark"\nremote = "http://x:15002"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="sc://host:15002"):
        load_settings({"CX_CONFIG": str(toml)})
    toml.write_text('[engine]\nkind = "spark"\nwarehouse = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown keys"):
        load_settings({"CX_CONFIG": str(toml)})


def test_cli_refuses_a_write_on_spark(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--engine", "spark", "init", "--db", str(tmp_path / "x.duckdb")]) == 2
    assert "cx only reads" in capsys.readouterr().err
    assert not (tmp_path / "x.duckdb").exists()


# -- cx lake export ----------------------------------------------------------------------------------------------------


@pytest.fixture
def tiny_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.duckdb"
    conn = db.connect(Settings().with_db(path))
    conn.execute(TINY_SQL)
    conn.close()
    return path


def test_lake_export_partitions_by_month(tiny_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    to = tmp_path / "lake"
    assert cli.main(["lake", "export", "--db", str(tiny_file), "--to", str(to)]) == 0
    assert "tickets: 7 rows" in capsys.readouterr().err
    months = sorted(p.name for p in (to / "tickets").iterdir())
    assert months == ["month=2025-12", "month=2026-01"]
    back = duckdb.sql(f"SELECT ticket_id, month FROM read_parquet('{to}/tickets/*/*.parquet', "
                      "hive_partitioning = true) ORDER BY ticket_id").fetchall()
    assert [r[0] for r in back] == ["t0", "t1", "t2", "t3", "t4", "t5", "t6"]
    assert dict(back)["t5"] == "2025-12" and dict(back)["t1"] == "2026-01"
    # every row of every lake table, column for column
    duck = duckdb.connect(str(tiny_file), read_only=True)
    for table in lake.LAKE_TABLES:
        files = list((to / table).rglob("*.parquet"))
        assert files, table
        n = duckdb.sql(f"SELECT count(*) FROM read_parquet({[str(f) for f in files]})").fetchall()[0][0]
        assert n == duck.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0], table
    duck.close()
    # a second export replaces the first; a folder of other files is refused and left as it was
    assert cli.main(["lake", "export", "--db", str(tiny_file), "--to", str(to)]) == 0
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep", encoding="utf-8")
    assert cli.main(["lake", "export", "--db", str(tiny_file), "--to", str(mine)]) == 2
    assert "is not a lake written by `cx lake export`" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


# -- the Fivetran Zendesk mapping --------------------------------------------------------------------------------------


def _fivetran_fixture(root: Path) -> Path:
    """A hand-made Fivetran Zendesk sync: four tickets (one deleted), their status history, agent comments, users,
    a group and two satisfaction ratings, as Parquet folders named like the connector's tables."""
    ts = pd.Timestamp
    tables: dict[str, pd.DataFrame] = {
        "ticket": pd.DataFrame({
            "id": [101, 102, 103, 104], "_fivetran_synced": [ts("2026-01-20")] * 4,
            "created_at": [ts("2026-01-05 10:00"), ts("2026-01-06 09:00"), ts("2026-01-07 12:00"),
                           ts("2026-01-08 08:00")],
            "updated_at": [ts("2026-01-09")] * 4, "type": ["incident", "question", "problem", "incident"],
            "subject": ["Charged twice", "How to export", "App crashes", "spam"], "description": ["a", "b", "c", "d"],
            "priority": ["urgent", "", "high", "low"], "status": ["solved", "solved", "open", "deleted"],
            "requester_id": [900, 901, 900, 902], "assignee_id": [50, 51, None, None], "group_id": [7, 7, 8, None],
            "via_channel": ["email", "web", "email", "email"]}),
        "ticket_field_history": pd.DataFrame({
            "field_name": ["status", "status", "status", "status", "status", "group_id", "group_id", "assignee_id",
                           "status"],
            "ticket_id": [101, 101, 101, 101, 102, 101, 101, 101, 103],
            "updated": [ts("2026-01-05 10:00"), ts("2026-01-05 12:00"), ts("2026-01-05 13:00"),
                        ts("2026-01-05 14:00"), ts("2026-01-07 09:00"), ts("2026-01-05 10:00"),
                        ts("2026-01-05 12:30"), ts("2026-01-05 10:00"), ts("2026-01-07 12:00")],
            "value": ["new", "solved", "open", "solved", "solved", "8", "7", "50", "open"],
            "user_id": [None] * 9}),
        "ticket_comment": pd.DataFrame({
            "id": [1, 2, 3, 4], "ticket_id": [101, 101, 102, 103], "user_id": [50, 900, 51, 900],
            "created": [ts("2026-01-05 11:00"), ts("2026-01-05 11:30"), ts("2026-01-06 09:30"),
                        ts("2026-01-07 12:05")],
            "public": [True, True, True, True], "body": ["hi", "thanks", "see docs", "still broken"]}),
        "user": pd.DataFrame({"id": [50, 51, 900, 901, 902], "role": ["agent", "admin", "end-user", "end-user",
                                                                      "end-user"],
                              "created_at": [ts("2025-01-01")] * 5}),
        "group": pd.DataFrame({"id": [7, 8], "name": ["Billing", "Tech"]}),
        "satisfaction_rating": pd.DataFrame({
            "id": [11, 12, 13], "ticket_id": [101, 102, 103], "requester_id": [900, 901, 900],
            "score": ["good", "bad", "offered"], "comment": ["quick", None, None],
            "created_at": [ts("2026-01-06 08:00"), ts("2026-01-08 08:00"), ts("2026-01-08 09:00")],
            "updated_at": [ts("2026-01-06 08:00"), ts("2026-01-08 08:00"), ts("2026-01-08 09:00")]}),
    }
    for name, frame in tables.items():
        (root / name).mkdir(parents=True)
        frame.to_parquet(root / name / "part-0.parquet", index=False)
    return root


def test_fivetran_zendesk_mapping(tmp_path: Path, spark_conn: Any) -> None:
    source = _fivetran_fixture(tmp_path / "fivetran")
    conn = spark.connect(spark_settings(mapping="fivetran_zendesk", source=str(source)))
    tickets = conn.execute("SELECT * FROM tickets ORDER BY ticket_id").df().set_index("ticket_id")
    assert list(tickets.index) == ["101", "102", "103"]  # the deleted ticket is left out, as the importer rejects it
    t = tickets.loc["101"]
    assert (pd.Timestamp(t["first_solved_at"]), pd.Timestamp(t["solved_at"])) == (
        pd.Timestamp("2026-01-05 12:00"), pd.Timestamp("2026-01-05 14:00"))  # solved, reopened, solved again
    assert (t["reopens"], t["replies"], t["group_stations"], t["assignee_stations"]) == (1, 1, 2, 1)
    assert pd.Timestamp(t["first_response_at"]) == pd.Timestamp("2026-01-05 11:00")  # the agent's, not the customer's
    assert (t["group_name"], t["customer_id"], bool(t["is_complaint"]), t["satisfaction_score"]) == (
        "Billing", "900", True, 1.0)
    assert pd.isna(tickets.loc["102", "priority"])  # Zendesk's empty priority is no priority
    assert pd.isna(tickets.loc["103", "solved_at"]) and tickets.loc["103", "status"] == "open"
    # the metric functions read the mapped tables as any others: resolution 4 h (101) and 24 h (102), 103 open
    # (censored at the data's latest time, 2026-01-07 12:05... the latest ticket or response time)
    frame = resolution.time_to_event(conn, period=TINY_PERIOD, metric="full_resolution")
    assert int(frame.iloc[0]["tickets"]) == 3
    assert frame.iloc[0]["median_hours"] == pytest.approx(24.0)
    csat = surveys.survey_summary(conn, period=TINY_PERIOD).set_index("metric").loc["csat"]
    assert (csat["n"], csat["value"]) == (2, pytest.approx(50.0))  # good and bad; "offered" is no response
    events = conn.execute("SELECT count(*) FROM ticket_events").fetchone()
    assert events == (9,)


def test_mapping_names_a_missing_required_table(tmp_path: Path, spark_conn: Any) -> None:
    source = _fivetran_fixture(tmp_path / "fivetran")
    shutil.rmtree(source / "ticket_field_history")
    with pytest.raises(spark.EngineSqlError, match="ticket_field_history"):
        spark.connect(spark_settings(mapping="fivetran_zendesk", source=str(source)))


def test_sql_show_for_spark(capsys: pytest.CaptureFixture[str]) -> None:
    """`cx --engine spark sql show NAME`: the query as Spark runs it, from the same file (exact percentile)."""
    assert cli.main(["--engine", "spark", "sql", "show", "vendor_agreement"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("-- vendor_agreement: cx_metrics/sql/vendor_agreement.sql rendered for Spark SQL")
    assert "PERCENTILE(" in out.upper() and "APPROX" not in out.upper() and "GROUP BY ALL" not in out.upper()


# -- mixed mode: the lake on Spark, the dashboard's own state in the DuckDB file -------------------------------------

#: the follow-up tests on the hand-built history (tests/test_followups.py) that take only that history: each runs again
#: with the history's data read from its lake on Spark and its follow-ups kept in (and written to) the DuckDB file
MIXED_GOLDEN = [(name, fn) for name, fn in vars(test_followups).items()
                if name.startswith("test_") and callable(fn) and list(inspect.signature(fn).parameters) == ["hand"]]


@pytest.fixture(scope="module")
def followups_lake(tmp_path_factory: pytest.TempPathFactory, spark_conn: spark.SparkConnection
                   ) -> tuple[Path, spark.SparkConnection]:
    """The follow-up history of tests/test_followups.py as a DuckDB file and its lake, read by the run's Spark."""
    root = tmp_path_factory.mktemp("mixed")
    s = test_followups._build(root / "hand.duckdb")
    conn = db.connect(s)
    lake.export(conn, root / "lake")
    conn.close()
    return root / "hand.duckdb", spark.connect(spark_settings(lake=str(root / "lake")))


def mixed_copy(followups_lake: tuple[Path, spark.SparkConnection], path: Path) -> tuple[duckdb.DuckDBPyConnection,
                                                                                        spark.MixedConnection]:
    """A copy of the history's DuckDB file WITHOUT its data (a query that read the data there would find nothing),
    and a mixed connection over it and the lake."""
    shutil.copy(followups_lake[0], path)
    duck = db.connect(Settings().with_db(path))
    for table in lake.LAKE_TABLES:
        duck.execute(f"DELETE FROM {table}")
    return duck, spark.MixedConnection(lambda: followups_lake[1], duck, writable=True)


@pytest.mark.parametrize(("name", "golden"), MIXED_GOLDEN, ids=[name for name, _ in MIXED_GOLDEN])
def test_followups_in_mixed_mode(name: str, golden: Any, followups_lake: tuple[Path, spark.SparkConnection],
                                 tmp_path: Path) -> None:
    """The hand-computed worklist, coverage, effect and history, and claim / close / undo stored and seen again."""
    duck, mixed = mixed_copy(followups_lake, tmp_path / "state.duckdb")
    try:
        golden((mixed, Settings().with_db(tmp_path / "state.duckdb")))
    finally:
        duck.close()


def test_the_mixed_golden_set_is_not_empty() -> None:
    names = {name for name, _ in MIXED_GOLDEN}
    assert {"test_worklist_by_hand", "test_coverage_by_hand", "test_effect_by_hand",
            "test_claim_close_leaves_the_list_with_user_history_and_audit"} <= names, names


def test_mixed_routing(followups_lake: tuple[Path, spark.SparkConnection], tmp_path: Path) -> None:
    """State-only reads and every write go to DuckDB, data reads to Spark, joins to Spark with the state rows handed
    over once per change; a write to the data is refused and changes nothing."""
    duck, mixed = mixed_copy(followups_lake, tmp_path / "state.duckdb")
    lake_conn = followups_lake[1]
    try:
        assert mixed.execute("SELECT count(*) FROM tickets").fetchone() == (3,)  # the lake (DuckDB's copy is empty)
        assert mixed.execute("SELECT count(*) FROM followups").fetchone() == (8,)  # the DuckDB file
        joined = "SELECT count(*) FROM followups f JOIN customers c ON c.customer_id = f.customer_id"
        assert mixed.execute(joined).fetchone() == (8,)
        views = list(lake_conn._state_views["followups"])
        assert lake_conn.session.table(views[-1]).columns == ["customer_id"]  # only the columns the query names
        assert mixed.execute(joined).fetchone() == (8,)
        assert lake_conn._state_views["followups"] == views  # unchanged: not sent again
        with pytest.raises(spark.EngineReadOnlyError, match="writes to tickets"):
            mixed.execute("INSERT INTO tickets (source, ticket_id) VALUES ('s', 'T9')")
        with pytest.raises(spark.EngineReadOnlyError, match="writes to customers"):
            mixed.execute("UPDATE customers SET plan = 'Free'")
        mixed.execute("UPDATE followups SET note = 'changed' WHERE customer_id = 'C01'")
        assert mixed.execute(joined + " WHERE f.note = 'changed'").fetchone() == (1,)  # the new rows, not the copy
        assert lake_conn._state_views["followups"][-1] != views[-1]
        assert len(lake_conn._state_views["followups"]) <= 2
        assert duck.execute("SELECT count(*) FROM tickets").fetchone() == (0,)  # nothing written to the data
    finally:
        duck.close()


def test_too_many_state_rows_are_refused_with_a_sentence(followups_lake: tuple[Path, spark.SparkConnection],
                                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    duck, mixed = mixed_copy(followups_lake, tmp_path / "state.duckdb")
    monkeypatch.setattr(spark, "STATE_ROWS_MAX", 5)
    try:
        with pytest.raises(spark.EngineStateError, match=r"followups \(8 rows in the DuckDB file\)"):
            mixed.execute("SELECT count(*) FROM followups f JOIN customers c ON c.customer_id = f.customer_id")
        assert mixed.execute("SELECT count(*) FROM followups").fetchone() == (8,)  # state alone: DuckDB, no limit
    finally:
        duck.close()


def test_an_import_on_spark_is_refused_and_changes_nothing(followups_lake: tuple[Path, spark.SparkConnection],
                                                           tmp_path: Path) -> None:
    """What the Upload page and `cx import` would do on the Spark engine: the lake is read-only for the dashboard, so
    the import stops at its first write with a sentence, and the transaction leaves the DuckDB file as it was."""
    from cx_metrics.ingest import load as ingest
    from tests.conftest import own_export

    duck, mixed = mixed_copy(followups_lake, tmp_path / "state.duckdb")
    try:
        before = duck.execute("SELECT (SELECT count(*) FROM imports), (SELECT count(*) FROM audit_log)").fetchone()
        with pytest.raises(spark.EngineReadOnlyError, match="reads its data from Spark"):
            ingest.load(mixed, ingest.preview(own_export(40).encode(), name="tickets.csv"))  # type: ignore[arg-type]
        after = duck.execute("SELECT (SELECT count(*) FROM imports), (SELECT count(*) FROM audit_log)").fetchone()
        assert after == before
    finally:
        duck.close()


def test_positional_parameters_bind_in_the_order_written(spark_conn: spark.SparkConnection) -> None:
    """`?` parameters (the ingest and audit code use them) become named ones in text order; a '?' in a string or a
    comment is not a parameter; a count that does not match is refused, never bound askew."""
    sql, params = spark.named("SELECT ? AS a, '?' AS b, ? AS c -- ?", [1, "x"])
    assert sql == "SELECT $_p1 AS a, '?' AS b, $_p2 AS c -- ?" and params == {"_p1": 1, "_p2": "x"}
    assert spark_conn.execute("SELECT ? AS a, '?' AS b, ? AS c", [1, "x"]).fetchone() == (1, "?", "x")  # type: ignore[arg-type]
    with pytest.raises(spark.EngineSqlError, match="2 positional parameters and was given 1"):
        spark.named("SELECT ?, ?", [1])
