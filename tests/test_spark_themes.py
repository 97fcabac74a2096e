"""Themes on the Spark engine (mixed mode): `cx themes fit` reads the texts from the lake and stores the themes and
each document's theme in the DuckDB file, with the same themes as on DuckDB; `cx themes rename` edits them there.

The small demo (15,000 tickets) is one DuckDB file and its lake. On Spark the DuckDB file is a copy WITHOUT the data,
so a text read from the file by mistake would be missing and the fit would differ.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from cx_metrics import db, spark
from cx_metrics.cli import main
from cx_metrics.config import Settings
from cx_metrics.models import theme_store
from tests.conftest import TINY_SQL, spark_settings
from tests.engines import ENGINES, engine_file, export_lake, rows, use_cli
from tests.test_spark import assert_same


@pytest.fixture(scope="module")
def demo_lake(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory, spark_conn: object) -> Path:
    return export_lake(demo_db_path, tmp_path_factory.mktemp("themes-lake"))


def test_cx_themes_fit_and_rename_on_spark_give_duckdbs_themes(demo_db_path: Path, demo_lake: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The same themes (keys, terms, sizes), the same theme for every document, the rename stored and audited, and
    the Themes page's catalog the same on both engines."""
    got: dict[str, dict[str, Any]] = {}
    for engine in ENGINES:
        path = engine_file(engine, demo_db_path, tmp_path / engine)
        use_cli(engine, path, demo_lake, monkeypatch)
        assert main(["themes", "fit", "--source", "tickets", "--themes", "8"]) == 0
        assert main(["themes", "rename", "1", "Double charges"]) == 0
        capsys.readouterr()
        assert main(["themes", "show", "--format", "json"]) == 0
        shown = json.loads(capsys.readouterr().out)
        s = Settings().with_db(path)
        conn = db.connect(s, read_only=True)
        if engine == "spark":
            conn = spark.mixed(replace(s, engine=spark_settings(lake=str(demo_lake))), conn)  # type: ignore[assignment]
        try:
            catalog = theme_store.catalog(conn, "tickets")
        finally:
            conn.close()
        got[engine] = {
            "themes": rows(path, "SELECT theme_key, name, corpus, top_terms, active FROM themes ORDER BY 1"),
            "documents": rows(path, "SELECT doc_kind, source, doc_id, theme_key, round(weight, 9), text_hash "
                                    "FROM theme_documents ORDER BY 1, 2, 3"),
            "edits": rows(path, "SELECT theme_key, action, new_value FROM theme_edits"),
            "shown": shown, "catalog": catalog,
        }
    duck, sp = got["duckdb"], got["spark"]
    assert len(duck["themes"]) == 8 and len(duck["documents"]) > 10_000
    assert duck["edits"] == [(1, "rename", "Double charges")]
    assert any(t["theme"] == "Double charges" for t in duck["shown"])
    for key in ("themes", "documents", "edits"):
        assert sp[key] == duck[key], key
    assert json.dumps(sp["shown"], sort_keys=True) == json.dumps(duck["shown"], sort_keys=True)
    assert_same(duck["catalog"].drop(columns=["top_terms", "examples"]),
                sp["catalog"].drop(columns=["top_terms", "examples"]), "catalog")
    assert rows(tmp_path / "spark" / "cx.duckdb", "SELECT count(*) FROM tickets") == [(0,)]  # the lake was read


def test_a_command_that_writes_the_data_is_still_refused_on_spark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """`cx demo` (and import, undo) write the data, which the lake holds: refused before anything is read."""
    path = tmp_path / "cx.duckdb"
    conn = db.connect(Settings().with_db(path))
    conn.execute(TINY_SQL)
    conn.close()
    toml = tmp_path / "cx.toml"
    toml.write_text(f'[engine]\nkind = "spark"\nlake = "{tmp_path / "lake"}"\n', encoding="utf-8")
    monkeypatch.setenv("CX_CONFIG", str(toml))
    monkeypatch.setenv("CX_DB_PATH", str(path))
    assert main(["demo"]) != 0
    assert "cx --engine duckdb" in capsys.readouterr().err
