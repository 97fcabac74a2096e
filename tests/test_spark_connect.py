"""The Spark engine over Spark Connect: a real local Spark Connect server, the same numbers as DuckDB.

The rest of the Spark tier (tests/test_spark.py) runs an in-process local session. A Databricks cluster, EMR,
Dataproc or `start-connect-server.sh` is reached instead through ``remote = "sc://host:port"``: another client (a
gRPC channel, pyspark.sql.connect), another session model (no ``newSession()``), Arrow batches over the wire. This
module starts the Connect server that ships with pyspark (``org.apache.spark.sql.connect.service.SparkConnectServer``
on loopback, one JVM for the module) and checks, through that endpoint:

* every page's functions give DuckDB's figures on the same fixture (counts equal, floats to 1e-9);
* two connections to one endpoint keep their own tables (each is a server-side session of its own);
* ``cx --engine spark metric kpis`` with ``remote`` in cx.toml prints what `cx` prints on the DuckDB file.

Needs Java 17 (``scripts/ensure-java.sh``, run by ``make test``); it never skips.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cx_metrics import db, spark
from cx_metrics.config import EngineSettings, Settings
from cx_metrics.filters import Filters
from tests.conftest import TINY_PERIOD
from tests.test_spark import CALLS, assert_same

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def connect_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Spark Connect server on a free loopback port for this module (its JVM stops with the module)."""
    import pyspark

    home = Path(pyspark.__file__).parent
    port = _free_port()
    log = tmp_path_factory.mktemp("spark-connect") / "server.log"
    command = [str(home / "bin" / "spark-submit"), "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
               "--name", "cx-test-connect", "--master", "local[2]", "--driver-memory", "768m",
               "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
               "--conf", f"spark.connect.grpc.binding.port={port}",
               "--conf", "spark.ui.enabled=false", "--conf", "spark.driver.bindAddress=127.0.0.1",
               "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.sql.shuffle.partitions=2",
               "spark-internal"]
    env = {**os.environ, "SPARK_HOME": str(home)}
    # pyspark marks the whole process as a Spark Connect client once a remote session is made
    # (SPARK_CONNECT_MODE_ENABLED); a local session made afterwards (tests/test_spark.py) would then fail
    connect_mode = os.environ.get("SPARK_CONNECT_MODE_ENABLED")
    with log.open("w") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            if server.poll() is not None:
                pytest.fail(f"the Spark Connect server exited ({server.returncode}):\n{log.read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"no Spark Connect server on port {port} after 180 s:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        yield f"sc://127.0.0.1:{port}"
    finally:
        if connect_mode is None:
            os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _remote(url: str, lake: Path) -> EngineSettings:
    return EngineSettings(kind="spark", remote=url, lake=str(lake), shuffle_partitions=2)


@pytest.fixture(scope="module")
def rich_connect_conn(connect_url: str, rich_lake: tuple[Path, Path]) -> Iterator[spark.SparkConnection]:
    conn = spark.connect(_remote(connect_url, rich_lake[1]))
    yield conn
    conn.close()


@pytest.mark.parametrize("call", list(CALLS))
def test_same_numbers_over_spark_connect(call: str, rich_duck_conn: db.Connection,
                                         rich_connect_conn: spark.SparkConnection) -> None:
    """Each page's figures and drill-through rows, unfiltered (the filters are rendered into the SQL text, as on a
    local session, where tests/test_spark.py checks them): what DuckDB gives."""
    settings, filters = Settings(), Filters()
    duck = CALLS[call](rich_duck_conn, settings, filters)
    assert len(duck), f"{call} gives no rows on the fixture: the comparison would prove nothing"
    assert_same(duck, CALLS[call](rich_connect_conn, settings, filters), f"{call} over Spark Connect")


#: what tells the two fixtures apart: the rich one adds ticket events and customer activity to the tiny one
COUNT = "SELECT (SELECT count(*) FROM ticket_events) + (SELECT count(*) FROM customer_activity)"


def test_two_connections_to_one_endpoint_keep_their_own_tables(
        connect_url: str, tiny_lake: tuple[Path, Path], rich_lake: tuple[Path, Path],
        rich_connect_conn: spark.SparkConnection) -> None:
    """Temporary views belong to a session; Spark Connect has no newSession(), so each connection opens a
    server-side session of its own. Sharing one would let the second lake's views replace the first's."""
    counts = {}
    for name, (duck_file, _lake) in (("tiny", tiny_lake), ("rich", rich_lake)):
        conn = db.connect(Settings().with_db(duck_file), read_only=True)
        try:
            counts[name] = conn.execute(COUNT).fetchone()[0]  # type: ignore[index]
        finally:
            conn.close()
    assert counts["tiny"] != counts["rich"], counts  # else the check below proves nothing
    tiny = spark.connect(_remote(connect_url, tiny_lake[1]))
    try:
        assert tiny.execute(COUNT).fetchone() == (counts["tiny"],)
        assert rich_connect_conn.execute(COUNT).fetchone() == (counts["rich"],)
    finally:
        tiny.close()


def _cx(args: list[str], config: Path | None, db_file: Path) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CX_")}
    env["CX_DB_PATH"] = str(db_file)
    if config is not None:
        env["CX_CONFIG"] = str(config)
    done = subprocess.run([sys.executable, "-m", "cx_metrics.cli", *args, "--format", "json"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_cli_over_spark_connect(connect_url: str, rich_lake: tuple[Path, Path], tmp_path: Path) -> None:
    """`cx --engine spark metric kpis` with the endpoint in cx.toml: the figures `cx` gives on the DuckDB file."""
    config = tmp_path / "cx.toml"
    config.write_text(f'[engine]\nremote = "{connect_url}"\nlake = "{rich_lake[1]}"\n', encoding="utf-8")
    period = ["--start", TINY_PERIOD.start.isoformat(), "--end", TINY_PERIOD.end.isoformat()]
    on_duck = _cx(["metric", "kpis", *period], None, rich_lake[0])
    on_connect = _cx(["--engine", "spark", "metric", "kpis", *period], config, rich_lake[0])
    assert on_duck["rows"], on_duck  # the executive figures, not an empty answer
    assert on_connect == on_duck


@pytest.fixture(scope="module")
def followups_connect(connect_url: str, tmp_path_factory: pytest.TempPathFactory
                      ) -> Iterator[tuple[Path, spark.SparkConnection]]:
    """The hand-built follow-up history's DuckDB file and its lake read over the Connect endpoint."""
    from cx_metrics import lake
    from tests import test_followups

    root = tmp_path_factory.mktemp("mixed-connect")
    s = test_followups._build(root / "hand.duckdb")
    conn = db.connect(s)
    lake.export(conn, root / "lake")
    conn.close()
    remote = spark.connect(_remote(connect_url, root / "lake"))
    yield root / "hand.duckdb", remote
    remote.close()


@pytest.mark.parametrize("name", ["test_coverage_by_hand",
                                  "test_claim_close_leaves_the_list_with_user_history_and_audit"])
def test_mixed_mode_over_spark_connect(name: str, followups_connect: tuple[Path, spark.SparkConnection],
                                       tmp_path: Path) -> None:
    """Follow-ups kept in the DuckDB file, handed to the server as views (Arrow over the wire): the hand-computed
    coverage, and a claim and close stored and seen on the next read."""
    from tests.test_lake import MIXED_GOLDEN, mixed_copy

    golden = dict(MIXED_GOLDEN)[name]
    duck, mixed = mixed_copy(followups_connect, tmp_path / "state.duckdb")
    try:
        golden((mixed, Settings().with_db(tmp_path / "state.duckdb")))
    finally:
        duck.close()


def test_cx_followups_list_over_spark_connect(connect_url: str, followups_connect: tuple[Path, spark.SparkConnection],
                                              tmp_path: Path) -> None:
    """`cx --engine spark followups list`: the failures from the lake, their follow-ups from the DuckDB file; the
    list `cx followups list` gives on the DuckDB file alone (a claim made beforehand included)."""
    import shutil

    from cx_metrics import followups

    state = tmp_path / "state.duckdb"
    shutil.copy(followups_connect[0], state)
    conn = db.connect(Settings().with_db(state))
    try:
        followups.claim(conn, "reopened:s:T3", "ann@example.com", settings=Settings().with_db(state))
    finally:
        conn.close()
    lake_dir = followups_connect[0].parent / "lake"
    config = tmp_path / "cx.toml"
    config.write_text(f'[engine]\nremote = "{connect_url}"\nlake = "{lake_dir}"\n', encoding="utf-8")
    on_duck = _cx(["followups", "list"], None, state)
    on_connect = _cx(["--engine", "spark", "followups", "list"], config, state)
    assert len(on_duck) == 3 and on_connect == on_duck
    assert {r["item_key"]: r["claimed_by"] for r in on_connect}["reopened:s:T3"] == "ann@example.com"
