"""The dashboard on the Spark engine in mixed mode, with sign-in: the pages of the dashboard's own state show the same
figures as on DuckDB, and what is done there is stored in the DuckDB file.

Follow-ups, themes, roles, the audit log, subscriptions and alerts live in the DuckDB file; the metrics read the lake
on Spark (:class:`cx_metrics.spark.MixedConnection`). The follow-up history of tests/test_followups.py (hand-computed
there) is one DuckDB file and its lake; each test opens the same page on a copy of the file once with the DuckDB
engine and once with Spark, and requires the same tiles, captions and tables. Runs on the Spark tier's one local
session (AppTest, in this process).
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cx_metrics import audit, db, lake
from cx_metrics.config import Settings
from cx_metrics.digest import subscriptions as subs
from tests import test_followups

ROOT = Path(__file__).resolve().parent.parent
AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": secrets.token_urlsafe(48),
        "client_id": "cx", "client_secret": "test-only", "server_metadata_url":
        "http://127.0.0.1:1/.well-known/openid-configuration"}
#: the hand-built history's February: 10 follow-ups due, 5 closed in time, 1 late (tests/test_followups.py)
FEBRUARY = (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
ENGINES = ("duckdb", "spark")
SIGN_INS = itertools.count(1_900_000_000)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory, spark_conn: object) -> tuple[Path, Path]:
    """The hand-built follow-up history as a DuckDB file (with a role and a subscription) and as its lake."""
    root = tmp_path_factory.mktemp("mixed-app")
    s = test_followups._build(root / "history.duckdb")
    conn = db.connect(s)
    try:
        audit.set_role(conn, "bob@example.com", "analyst", by="ada@example.com")
        subs.add(conn, recipient="vp@example.com", role="executive", by="ada@example.com",
                 now=dt.datetime(2026, 11, 1, 8))
        lake.export(conn, root / "lake")
    finally:
        conn.close()
    return root / "history.duckdb", root / "lake"


def app(engine: str, history: tuple[Path, Path], folder: Path, monkeypatch: pytest.MonkeyPatch,
        page: str | None = None) -> tuple[AppTest, Path]:
    """The dashboard on a copy of the history's DuckDB file, reading the data from DuckDB or from the lake on the run's
    local Spark session (the same session settings as ``spark_conn``, so no second JVM), signed in as an admin by the
    identity provider's role claim, the period set to February 2026."""
    folder.mkdir()
    path = folder / "cx.duckdb"
    shutil.copy(history[0], path)
    toml = folder / "cx.toml"
    toml.write_text((f'[engine]\nkind = "spark"\nlake = "{history[1]}"\nmaster = "local[2]"\ndriver_memory = "768m"\n'
                     'shuffle_partitions = 2\n') if engine == "spark" else "", encoding="utf-8")
    monkeypatch.setenv("CX_CONFIG", str(toml))
    monkeypatch.setenv("CX_DB_PATH", str(path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "ada@example.com", "email_verified": True, "name": "Ada",
               "roles": ["admin"], "iss": "https://idp.example", "sub": "ada",
               "iat": next(SIGN_INS)}  # a sign-in of its own per run (the process audits each sign-in once)
    for key in ("flt_period", "cx.flt_period"):
        at.session_state[key] = FEBRUARY
    if page:
        at.switch_page(page)
    return at, path


def shown(at: AppTest, folder: Path) -> dict[str, Any]:
    """What a person reads on the page: tiles, captions, messages and tables (times of day left out of the tables:
    the audit log's sign-in was at another moment in each run; the database's own path left out of the captions;
    fractions to 1e-9: DuckDB's 90th percentile of 1, 1, 1, 1, 1, 19 days is 11.800000000000002, Spark's 11.8)."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    frames = []
    for frame in at.dataframe:
        value = frame.value if isinstance(frame.value, pd.DataFrame) else pd.DataFrame(frame.value)
        value = value.drop(columns=[c for c in value.columns if str(c).lower() in ("at", "when", "time", "created")])
        floats = value.select_dtypes("float").columns  # rates and percentiles equal to 1e-9, as the Spark tier requires
        value[floats] = value[floats].round(9)
        frames.append(value.reset_index(drop=True).astype(str).to_dict("list"))
    return {"metrics": [(m.label, m.value) for m in at.metric],
            "captions": [c.value.replace(str(folder), "<folder>") for c in at.caption],
            "info": [i.value for i in at.info], "warnings": [w.value for w in at.warning], "frames": frames}


def on_both(history: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            page: str | None = None) -> dict[str, tuple[dict[str, Any], AppTest, Path]]:
    """The page on DuckDB, then on Spark (whose settings stay in force: the caller may act on its page)."""
    out = {}
    for engine in ENGINES:
        at, path = app(engine, history, tmp_path / engine, monkeypatch, page)
        at.run()
        out[engine] = (shown(at, path.parent), at, path)
    return out


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of the DuckDB file as the app's process holds it (its one connection, read-write for a moment after a
    write: a second connection of this process could not open it then)."""
    with db.shared(Settings().with_db(path)).reading() as conn:
        return conn.cursor().execute(sql).fetchall()


def test_overview_follow_up_tile_on_spark(history: tuple[Path, Path], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The seven KPI tiles from the lake and the follow-up tile from the follow-ups in the DuckDB file: February's
    coverage is 5 of 10 due closed in time (hand-counted in tests/test_followups.py), as on DuckDB; the sign-in is in
    the audit log on Spark too."""
    runs = on_both(history, tmp_path, monkeypatch)
    duck, sparkf = runs["duckdb"][0], runs["spark"][0]
    assert sparkf["metrics"] == duck["metrics"]
    tile = dict(sparkf["metrics"])
    assert tile["Follow-up coverage"] == "50% (n < 30)", tile  # 10 due: too few to judge, and the tile says so
    assert any("5 of 10" in c for c in sparkf["captions"]), sparkf["captions"]
    for engine in ENGINES:
        assert rows(runs[engine][2], "SELECT action, actor FROM audit_log WHERE action = 'login'") == [
            ("login", "ada@example.com")], engine


def test_followups_page_on_spark(history: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Coverage, late, days to follow-up, the worklist and the closed follow-ups with their notes: as on DuckDB. A
    claim made on Spark is stored in the DuckDB file and shown on the next run."""
    runs = on_both(history, tmp_path, monkeypatch, "views/followups.py")
    duck, sparkf = runs["duckdb"][0], runs["spark"][0]
    assert sparkf == duck
    assert dict(sparkf["metrics"]) == {"Coverage": "50%", "Closed late": "1", "Days to follow-up": "1"}
    assert any("5 of 10 due closed in time" in c for c in sparkf["captions"])
    at, path = runs["spark"][1], runs["spark"][2]
    item = at.selectbox(key="followups_item").value
    at.button(key="followups_claim").click().run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    assert rows(path, f"SELECT status, claimed_by FROM followups WHERE item_key = '{item}'") == [
        ("claimed", "ada@example.com")]
    worklist = next(f.value for f in at.dataframe if "Claimed by" in f.value.columns)
    assert "ada@example.com" in set(worklist["Claimed by"].dropna()), worklist


def test_admin_page_on_spark(history: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Roles and the audit log (the sign-in included) as on DuckDB; a role given on Spark is stored."""
    runs = on_both(history, tmp_path, monkeypatch, "views/admin.py")
    duck, sparkf = runs["duckdb"][0], runs["spark"][0]
    for seen in (duck, sparkf):  # each run's own sign-in first (its time and token differ), then the same history
        log = seen["frames"][1]
        assert log["Action"][0] == "login" and log["By"][0] == "ada@example.com", log
        seen["frames"][1] = {column: values[1:] for column, values in log.items()}
    assert sparkf == duck
    assert sparkf["frames"][0]["E-mail"] == ["bob@example.com"]
    at, path = runs["spark"][1], runs["spark"][2]
    at.text_input(key="admin_email").input("cy@example.com")
    at.selectbox(key="admin_role").select("cx_lead")
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    assert rows(path, "SELECT role FROM user_roles WHERE email = 'cy@example.com'") == [("cx_lead",)]


def test_digests_page_on_spark(history: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Subscriptions, alert rules, their history and the outbox as on DuckDB."""
    runs = on_both(history, tmp_path, monkeypatch, "views/digests.py")
    duck, sparkf = runs["duckdb"][0], runs["spark"][0]
    assert sparkf["frames"] == duck["frames"]
    assert "vp@example.com" in str(sparkf["frames"][0])
    assert not any("needs DuckDB" in i or "live in the DuckDB file" in i for i in sparkf["info"])
    # who delivers: the same answer on both engines (the digests and alerts are computed from the lake on Spark)
    assert sparkf["warnings"] == duck["warnings"] and not any("Spark" in w for w in sparkf["warnings"])
    spark_only = [c for c in sparkf["captions"] if c not in duck["captions"]]
    assert len(spark_only) == 1 and "On the Spark engine a backtest" in spark_only[0], spark_only  # what it costs


def test_themes_page_on_spark(history: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The themes part reads the catalogue and the assignments from the DuckDB file: no refusal, as on DuckDB."""
    runs = on_both(history, tmp_path, monkeypatch, "views/themes.py")
    assert runs["spark"][0] == runs["duckdb"][0]
