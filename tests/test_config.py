"""Unit tier: settings precedence and validation; no path depends on the working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from cx_metrics.config import PROJECT_ROOT, ConfigError, Settings, load_settings


def test_defaults_live_in_the_project_data_folder() -> None:
    s = load_settings({})
    assert s.db_path == PROJECT_ROOT / "data" / "cx.duckdb"
    assert s.min_cell_n == 30 and s.alpha == 0.05 and s.confidence == 0.95


def test_env_overrides_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "cx.toml"
    cfg.write_text('[database]\npath = "db/other.duckdb"\n[metrics]\nmin_cell_n = 50\nalpha = 0.01\n')
    s = load_settings({"CX_CONFIG": str(cfg)})
    assert s.db_path == tmp_path / "db" / "other.duckdb"  # relative to the config file
    assert (s.min_cell_n, s.alpha, s.config_file) == (50, 0.01, cfg)
    s = load_settings({"CX_CONFIG": str(cfg), "CX_MIN_CELL_N": "10", "CX_DB_PATH": str(tmp_path / "e.duckdb")})
    assert s.min_cell_n == 10 and s.db_path == tmp_path / "e.duckdb"


def test_relative_env_path_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="relative path"):
        load_settings({"CX_DB_PATH": "data/cx.duckdb"})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CX_MIN_CELL_N": "zero"}, "not a valid int"),
        ({"CX_MIN_CELL_N": "0"}, "at least 1"),
        ({"CX_ALPHA": "0.7"}, "alpha"),
        ({"CX_CONFIDENCE": "95"}, "confidence"),
        ({"CX_CONFIG": "/nonexistent/cx.toml"}, "does not exist"),
    ],
)
def test_bad_settings_say_what_is_wrong(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env)


def test_bad_toml(tmp_path: Path) -> None:
    cfg = tmp_path / "cx.toml"
    cfg.write_text("[database\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings({"CX_CONFIG": str(cfg)})


def test_with_db_resolves(tmp_path: Path) -> None:
    assert Settings().with_db(tmp_path / "a" / ".." / "b.duckdb").db_path == tmp_path / "b.duckdb"
