"""The benchmark's vendor-shaped exports: imported with the real importer they give the same tickets, responses,
customers and headline figures as the database the generator loads directly."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from cx_metrics import db, demo
from cx_metrics.config import Settings
from cx_metrics.ingest import load as ingest
from cx_metrics.metrics import base, overview

ROOT = Path(__file__).resolve().parent.parent


def _generator() -> object:
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_vendor_files_import_to_the_same_figures(tmp_path: Path) -> None:
    gen = _generator()
    data = demo.generate(seed=3, size=demo.DemoSize(customers=1_500, tickets=6_000))
    rows = gen.write_all(data, tmp_path / "files")  # type: ignore[attr-defined]
    direct = db.connect(Settings().with_db(tmp_path / "direct.duckdb"))
    imported = db.connect(Settings().with_db(tmp_path / "imported.duckdb"))
    try:
        demo.load(direct, data, seed=3)
        vendors = {}
        for name, n in rows.items():
            result = ingest.load(imported, ingest.preview(tmp_path / "files" / name))
            assert (result.rows_loaded, result.rows_rejected) == (n, 0), name
            vendors[name] = result.summary["vendor"]
        assert vendors["zendesk_tickets.csv"] == "Zendesk (UI/Explore export)"
        assert {v for k, v in vendors.items() if k.startswith("qualtrics_")} == {"Qualtrics"}
        for table in ("tickets", "customers", "customer_activity"):
            counts = [c.execute(f"SELECT count(*) FROM {table}").fetchall() for c in (direct, imported)]
            assert counts[0] == counts[1], table
        by_metric = "SELECT metric, count(*), sum(score) FROM survey_responses GROUP BY 1 ORDER BY 1"
        assert direct.execute(by_metric).fetchall() == imported.execute(by_metric).fetchall()
        period = base.default_period(direct)
        tiles = [overview.kpis(c, period=period).set_index("metric") for c in (direct, imported)]
        for metric in ("nps", "csat", "resolution", "first_response", "churn"):
            # Zendesk UI exports carry first replies only as whole minutes: within half a minute
            tolerance = 0.5 / 60 if metric == "first_response" else 1e-9
            assert tiles[0].loc[metric, "value"] == pytest.approx(tiles[1].loc[metric, "value"], abs=tolerance), metric
            assert tiles[0].loc[metric, "n"] == tiles[1].loc[metric, "n"], metric
    finally:
        direct.close()
        imported.close()
