"""The same database on both engines, for tests that run `cx` or the library once on DuckDB and once on Spark (mixed
mode) and require the same result: a lake exported from a DuckDB file, and per engine a copy of that file (on Spark
WITHOUT its data, so a figure read from the file by mistake would come out empty and differ)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from cx_metrics import db, lake
from cx_metrics.config import Settings

ENGINES = ("duckdb", "spark")


def export_lake(source: Path, root: Path) -> Path:
    """A copy of the DuckDB file ``source`` exported under ``root`` as `cx lake export` writes it; the lake's path."""
    shutil.copyfile(source, root / "source.duckdb")
    conn = db.connect(Settings().with_db(root / "source.duckdb"), read_only=True)
    try:
        lake.export(conn, root / "lake")
    finally:
        conn.close()
    return root / "lake"


def engine_file(engine: str, source: Path, folder: Path) -> Path:
    """The database file of ``engine`` in ``folder``: a copy of ``source`` (on Spark without the lake's tables' rows:
    only the dashboard's state, as beside a real lake)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "cx.duckdb"
    shutil.copyfile(source, path)
    if engine == "spark":
        conn = db.connect(Settings().with_db(path))
        try:
            for table in lake.LAKE_TABLES:
                conn.execute(f"DELETE FROM {table}")
        finally:
            conn.close()
    return path


def use_cli(engine: str, path: Path, lake_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str = "") -> None:
    """`cx` on ``path`` with ``engine`` as cx.toml sets it (Spark: the lake, with the test tier's session settings, so
    `cx` reuses the run's JVM), ``toml`` added; secrets from the environment only."""
    config = path.with_name("cx.toml")
    config.write_text(toml + (
        f'[engine]\nkind = "spark"\nlake = "{lake_path}"\nmaster = "local[2]"\ndriver_memory = "768m"\n'
        'shuffle_partitions = 2\n' if engine == "spark" else ""), encoding="utf-8")
    monkeypatch.setenv("CX_CONFIG", str(config))
    monkeypatch.setenv("CX_DB_PATH", str(path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(path.parent / "no-config"))


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = db.connect(Settings().with_db(path), read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()
