"""Fixtures: databases are real DuckDB files in tmp_path; nothing depends on the working directory."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from cx_metrics import db, demo, lake, themes
from cx_metrics.config import Settings
from cx_metrics.filters import Period

# the machine is shared with other test runs: a property test checks values, never how fast one example runs
hypothesis_settings.register_profile("cx", deadline=None)
hypothesis_settings.load_profile("cx")

ROOT = Path(__file__).resolve().parent.parent
REALDATA = ROOT.parent / "shared" / "realdata"

SMALL_DEMO = demo.DemoSize(customers=3_000, tickets=15_000)

#: the hand-computed fixture's reporting period (Mon-Sun) and its previous week
TINY_PERIOD = Period(dt.date(2026, 1, 5), dt.date(2026, 1, 11))


def _settings(path: Path) -> Settings:
    return Settings().with_db(path)


@pytest.fixture(scope="session")
def demo_db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small seeded demo database file, built once per test session."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    conn = db.connect(_settings(path))
    demo.build(conn, seed=7, size=SMALL_DEMO)
    conn.close()
    return path


@pytest.fixture(scope="session")
def demo_conn(demo_db_path: Path) -> Iterator[db.Connection]:
    conn = db.connect(_settings(demo_db_path), read_only=True)
    yield conn
    conn.close()


TINY_SQL = """
INSERT INTO customers (customer_id, signup_at, birth_year, plan, segment, region, status, churned_at) VALUES
 ('A', '2025-01-01', 1985, 'Pro',   'SMB',      'EMEA', 'active',  NULL),
 ('B', '2025-06-01', 1960, 'Basic', 'Consumer', 'NA',   'churned', '2026-01-07 12:00'),
 ('C', '2025-06-01', 1999, 'Pro',   'SMB',      'NA',   'churned', '2026-01-02 08:00'),
 ('D', '2026-01-06', 1990, 'Basic', 'Consumer', 'NA',   'active',  NULL);
INSERT INTO tickets (source, ticket_id, customer_id, created_at, first_response_at, solved_at, status, channel,
                     category, is_complaint) VALUES
 ('t', 't1', 'A', '2026-01-05 10:00', '2026-01-05 11:00', '2026-01-05 14:00', 'solved', 'email', 'Billing', true),
 ('t', 't2', 'B', '2026-01-06 09:00', '2026-01-06 09:30', '2026-01-07 09:00', 'solved', 'chat',  'Billing', true),
 ('t', 't3', 'A', '2026-01-07 12:00', '2026-01-07 14:00', NULL,               'open',   'email', 'Bug',     true),
 ('t', 't4', 'D', '2026-01-08 08:00', NULL,               NULL,               'new',    'phone', 'How-to',  false),
 ('t', 't5', 'C', '2025-12-30 10:00', '2025-12-30 13:00', '2025-12-31 10:00', 'solved', 'email', 'Bug',     true),
 ('t', 't6', 'A', '2026-01-02 10:00', '2026-01-02 10:15', '2026-01-02 12:00', 'solved', 'chat',  'How-to',  false),
 -- the data starts on 1 Dec, before the previous period: the comparisons of TINY_PERIOD are with observed days
 ('t', 't0', NULL, '2025-12-01 08:00', NULL,               NULL,               'closed', 'email', 'Other',   false);
INSERT INTO survey_responses (source, response_id, customer_id, responded_at, metric, score, scale_min, scale_max,
                              channel) VALUES
 ('s', 'n1', 'A', '2026-01-05 09:00', 'nps', 10, 0, 10, NULL),
 ('s', 'n2', 'B', '2026-01-06 09:00', 'nps',  9, 0, 10, NULL),
 ('s', 'n3', 'D', '2026-01-07 09:00', 'nps',  8, 0, 10, NULL),
 ('s', 'n4', 'A', '2026-01-08 09:00', 'nps',  6, 0, 10, NULL),
 ('s', 'n5', 'B', '2026-01-09 09:00', 'nps',  0, 0, 10, NULL),
 ('s', 'p1', 'A', '2025-12-30 09:00', 'nps', 10, 0, 10, NULL),
 ('s', 'p2', 'B', '2025-12-31 09:00', 'nps', 10, 0, 10, NULL),
 ('s', 'p3', 'C', '2026-01-01 09:00', 'nps',  7, 0, 10, NULL),
 ('s', 'p0', NULL, '2025-12-01 09:00', 'nps',  7, 0, 10, NULL),
 ('s', 'c1', 'A', '2026-01-05 15:00', 'csat', 5, 1, 5, 'email'),
 ('s', 'c2', 'B', '2026-01-07 10:00', 'csat', 4, 1, 5, 'chat'),
 ('s', 'c3', 'A', '2026-01-08 10:00', 'csat', 4, 1, 5, 'email'),
 ('s', 'c4', 'D', '2026-01-09 10:00', 'csat', 3, 1, 5, 'phone'),
 ('s', 'c5', 'A', '2026-01-10 10:00', 'csat', 1, 1, 5, 'email'),
 ('s', 'g1', 'B', '2026-01-10 11:00', 'csat', 1, 0, 1, 'chat'),
 ('s', 'g2', 'D', '2026-01-11 11:00', 'csat', 0, 0, 1, 'phone');
"""


@pytest.fixture
def tiny_conn(tmp_path: Path) -> Iterator[db.Connection]:
    """A hand-built database whose KPIs are computed by hand in test_metrics.py."""
    conn = db.connect(_settings(tmp_path / "tiny.duckdb"))
    conn.execute(TINY_SQL)
    yield conn
    conn.close()


def own_export(n: int = 840) -> str:
    """A deterministic helpdesk export of the user's own: ``n`` tickets created from Mon 3 Apr to Mon 29 May 2023
    (every third an incident, so a complaint), with solve times, channels, categories and priorities."""
    rows = ["Ticket ID,Created at,Solved at,Status,Channel,Ticket type,Category,Priority"]
    start = dt.datetime(2023, 4, 3, 8, 0)
    categories, channels = ["Billing", "Login", "Shipping", "Returns"], ["email", "chat", "phone"]
    for i in range(n):
        created = start + dt.timedelta(hours=(i * 56 * 24) // n, minutes=(i * 7) % 60)
        solved = "" if i % 9 == 0 else f"{created + dt.timedelta(hours=2 + (i * 13) % 70):%Y-%m-%d %H:%M}"
        rows.append(f"OWN-{i:05d},{created:%Y-%m-%d %H:%M},{solved},{'open' if i % 9 == 0 else 'solved'},"
                    f"{channels[i % 3]},{'incident' if i % 3 == 0 else 'question'},{categories[i % 4]},"
                    f"{['low', 'normal', 'high', 'urgent'][i % 4]}")
    return "\n".join(rows) + "\n"


@contextmanager
def app_db(path: Path) -> Iterator[db.Connection]:
    """Read a database the app in this process (AppTest) holds, through the app's own connection: DuckDB opens a
    file in one mode per process, and the app's connection may be read-write for a moment after it wrote."""
    with db.shared(_settings(path)).reading() as conn:
        yield conn


@pytest.fixture
def empty_db_path(tmp_path: Path) -> Path:
    path = tmp_path / "empty.duckdb"
    db.connect(_settings(path)).close()
    return path


@pytest.fixture(scope="session")
def app_db_path(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the demo database for the app (DuckDB allows one configuration per file per process)."""
    path = tmp_path_factory.mktemp("app") / "app.duckdb"
    shutil.copyfile(demo_db_path, path)
    return path


@pytest.fixture(scope="session")
def themed_demo_path(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the small demo database with themes fitted the default way (both corpora, number chosen by
    stability), fitted once per session. Read it as it is; a test that writes to it, or opens it from the app or
    another process, takes its own copy of the file (the saved models the copy names stay where they are)."""
    path = tmp_path_factory.mktemp("themes") / "themed.duckdb"
    shutil.copyfile(demo_db_path, path)
    settings = _settings(path)
    conn = db.connect(settings)
    themes.fit_all(conn, settings)
    conn.close()
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium (/usr/bin/chromium) driven by Playwright, one per test module."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from cx_ui.serve import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}; `make test` installs it (scripts/ensure-chromium.sh)")
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture(autouse=True, scope="session")
def _apptest_binds_loopback() -> Iterator[None]:
    """AppTest runs the scripts in this process with the Streamlit config of the directory pytest started in; an
    unset server.address means every interface, which local mode refuses. Give them `make run`'s address."""
    from streamlit import config

    if config.get_option("server.address"):
        yield
        return
    config.set_option("server.address", "127.0.0.1")
    yield
    config.set_option("server.address", None)


def as_shown(text: str) -> str:
    """What a person reads in an element whose data text was escaped for Markdown (cx_metrics.text.escape.md):
    backslash escapes and word joiners removed."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u2060", "")


# -- the Spark tier (tests/test_spark.py, tests/test_lake.py): ONE local Spark session per test run --------------

#: the Spark tier's comparisons also need what the hand-built fixture leaves out: priorities (SLA targets), activity
#: events (the activity churn definition) and a status history (backlog, reopens)
RICH_SQL = TINY_SQL + """
UPDATE tickets SET priority = CASE ticket_id WHEN 't1' THEN 'urgent' WHEN 't2' THEN 'high' WHEN 't3' THEN 'normal'
                                             WHEN 't5' THEN 'urgent' ELSE 'low' END;
INSERT INTO customer_activity (customer_id, occurred_at, kind) VALUES
 ('A', '2025-11-01 10:00', 'login'), ('A', '2025-12-15 10:00', 'login'), ('A', '2026-01-06 10:00', 'order'),
 ('B', '2025-10-01 10:00', 'login'), ('B', '2025-11-20 10:00', 'order'), ('C', '2025-09-01 10:00', 'login'),
 ('C', '2025-10-05 10:00', 'login'), ('D', '2026-01-07 10:00', 'login');
INSERT INTO ticket_events (source, ticket_id, occurred_at, field, value) VALUES
 ('t', 't1', '2026-01-05 10:00', 'status', 'new'), ('t', 't1', '2026-01-05 14:00', 'status', 'solved'),
 ('t', 't2', '2026-01-06 09:00', 'status', 'open'), ('t', 't2', '2026-01-06 20:00', 'status', 'solved'),
 ('t', 't2', '2026-01-07 08:00', 'status', 'open'), ('t', 't2', '2026-01-07 09:00', 'status', 'solved');
"""


def _lake(root: Path, sql: str) -> tuple[Path, Path]:
    conn = db.connect(Settings().with_db(root / "db.duckdb"))
    conn.execute(sql)
    lake.export(conn, root / "lake")
    conn.close()
    return root / "db.duckdb", root / "lake"


@pytest.fixture(scope="session")
def tiny_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The hand-built fixture as a DuckDB file and as the lake `cx lake export` writes from it."""
    return _lake(tmp_path_factory.mktemp("spark-tiny"), TINY_SQL)


@pytest.fixture(scope="session")
def rich_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """:data:`RICH_SQL` as a DuckDB file and as its lake."""
    return _lake(tmp_path_factory.mktemp("spark-rich"), RICH_SQL)


@pytest.fixture(scope="session")
def spark_conn(tiny_lake: tuple[Path, Path]) -> Any:
    """The hand-built fixture's lake on ONE local Spark session for the whole run (two cores, little memory)."""
    from cx_metrics import spark

    return spark.connect(spark_settings(lake=str(tiny_lake[1])))


@pytest.fixture(scope="session")
def rich_spark_conn(rich_lake: tuple[Path, Path], spark_conn: Any) -> Any:
    """:data:`RICH_SQL`'s lake, on the same Spark session (a session of its own for its temporary views)."""
    from cx_metrics import spark

    return spark.connect(spark_settings(lake=str(rich_lake[1])))


@pytest.fixture(scope="session")
def rich_duck_conn(rich_lake: tuple[Path, Path]) -> Iterator[db.Connection]:
    conn = db.connect(Settings().with_db(rich_lake[0]), read_only=True)
    yield conn
    conn.close()


def spark_settings(**where: str) -> Any:
    """The test tier's local Spark: two cores, little memory, two shuffle partitions (one session for every test)."""
    from cx_metrics.config import EngineSettings

    return EngineSettings(kind="spark", master="local[2]", driver_memory="768m", shuffle_partitions=2, **where)
