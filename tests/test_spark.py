"""Spark tier: the metric golden tests run on a real local Apache Spark, and must give DuckDB's numbers.

The hand-built fixture of the SQL tier (conftest.TINY_SQL) is exported with `cx lake export` (Parquet by month) and
read by one local Spark session for the whole run (``spark_conn``, session-scoped: a JVM start costs ~15 s). Then:

* every golden test of the metric modules that reads the fixture without changing it (a test function whose only
  argument is ``tiny_conn``) runs again, unchanged, with the Spark connection: the same hand-computed values;
* the pages' metric functions run on both engines and must agree: counts equal, rates and medians within 1e-9,
  intervals equal (to 1e-9), for several filters and both churn definitions.

Needs Java 17 (``scripts/ensure-java.sh``, run by ``make test``); it never skips.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cx_metrics import db, spark
from cx_metrics.config import Settings
from cx_metrics.filters import Filters
from cx_metrics.metrics import churn, cohorts, complaints, overview, resolution, surveys
from tests.conftest import TINY_PERIOD

#: the test modules whose golden tests on the hand-built fixture run on Spark as well
GOLDEN_MODULES = ("test_metrics", "test_resolution", "test_complaints", "test_churn", "test_cohorts",
                  "test_honest_numbers", "test_business_hours", "test_event_history")
#: a golden test that changes the fixture (an UPDATE, an INSERT...) cannot run on a read-only lake
_WRITES = re.compile(r"tiny_conn\.(execute|executemany|cursor)\(|db\.transaction|run_statement")


def _golden_tests() -> list[tuple[str, Callable[[Any], None]]]:
    found = []
    for name in GOLDEN_MODULES:
        module = importlib.import_module(f"tests.{name}")
        for attr, fn in vars(module).items():
            if not (attr.startswith("test_") and inspect.isfunction(fn)):
                continue
            if list(inspect.signature(fn).parameters) != ["tiny_conn"] or getattr(fn, "pytestmark", None):
                continue
            if _WRITES.search(inspect.getsource(fn)):
                continue
            found.append((f"{name}::{attr}", fn))
    return found


GOLDEN = _golden_tests()


def test_the_golden_set_is_not_empty() -> None:
    """The discovery above must keep finding the golden tests (a rename must not empty this tier silently)."""
    assert len(GOLDEN) >= 30, [name for name, _ in GOLDEN]


@pytest.mark.parametrize(("name", "golden"), GOLDEN, ids=[name for name, _ in GOLDEN])
def test_golden_on_spark(name: str, golden: Callable[[Any], None], spark_conn: spark.SparkConnection) -> None:
    golden(spark_conn)


# -- the same numbers as DuckDB ----------------------------------------------------------------------------------------

def assert_same(duck: pd.DataFrame, sparkf: pd.DataFrame, what: str) -> None:
    """Counts and labels equal; floats (rates, medians, interval ends) within 1e-9; NaN where DuckDB has NaN."""
    assert list(duck.columns) == list(sparkf.columns), what
    assert len(duck) == len(sparkf), f"{what}: {len(duck)} rows on DuckDB, {len(sparkf)} on Spark"
    for column in duck.columns:
        a, b = duck[column].reset_index(drop=True), sparkf[column].reset_index(drop=True)
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            where = f"{what}: column {column!r}, row {i}: DuckDB {x!r}, Spark {y!r}"
            if _missing(x) or _missing(y):
                assert _missing(x) and _missing(y), where
            elif isinstance(x, (float, np.floating)) or isinstance(y, (float, np.floating)):
                assert math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-9), where
            elif isinstance(x, (pd.Timestamp, dt.datetime, dt.date)):
                assert pd.Timestamp(x) == pd.Timestamp(y), where
            elif isinstance(x, (list, tuple, np.ndarray)):
                assert list(x) == list(y), where
            else:
                assert x == y, where


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


FILTERS = {"all": Filters(), "Pro": Filters.of(plans=["Pro"]), "email": Filters.of(channels=["email"]),
           "NA consumers": Filters.of(regions=["NA"], segments=["Consumer"])}

#: what each page computes, as (name, call on a connection, settings): the pages' figures and drill-through rows
CALLS: dict[str, Callable[[Any, Settings, Filters], pd.DataFrame]] = {
    "kpis": lambda c, s, f: overview.kpis(c, period=TINY_PERIOD, filters=f, settings=s),
    "complaint_trend": lambda c, s, f: complaints.complaint_trend(c, period=TINY_PERIOD, grain="day", filters=f,
                                                                  settings=s),
    "complaint_volume": lambda c, s, f: complaints.complaint_volume(c, period=TINY_PERIOD, grain="day",
                                                                    by="category", filters=f, settings=s),
    "top_movers": lambda c, s, f: complaints.top_movers(c, period=TINY_PERIOD, by="category", filters=f, settings=s),
    "repeat_complaints": lambda c, s, f: complaints.repeat_complaints(c, period=TINY_PERIOD, filters=f, settings=s),
    "time_to_event": lambda c, s, f: resolution.time_to_event(c, period=TINY_PERIOD, metric="full_resolution",
                                                              by="channel", filters=f, settings=s),
    "first_response": lambda c, s, f: resolution.time_to_event(c, period=TINY_PERIOD, metric="first_response",
                                                               by="all", filters=f, settings=s),
    "time_to_event business hours": lambda c, s, f: resolution.time_to_event(
        c, period=TINY_PERIOD, metric="full_resolution", by="priority", filters=f, settings=s, clock="business"),
    "resolution_rows (drill-through)": lambda c, s, f: resolution.resolution_rows(
        c, period=TINY_PERIOD, by="channel", value="email", filters=f, settings=s, limit=2),
    "complaint_rows (drill-through)": lambda c, s, f: complaints.complaint_rows(
        c, start=pd.Timestamp(TINY_PERIOD.start), end=pd.Timestamp(TINY_PERIOD.end), filters=f, settings=s),
    "retention_curves": lambda c, s, f: churn.retention_curves(c, by="plan", filters=f, settings=s),
    "sla_breaches": lambda c, s, f: resolution.sla_breaches(c, period=TINY_PERIOD, filters=f, settings=s),
    "backlog_history": lambda c, s, f: resolution.backlog_history(c, period=TINY_PERIOD, filters=f),
    "survey_summary": lambda c, s, f: surveys.survey_summary(c, period=TINY_PERIOD, filters=f, settings=s),
    "churn_by_cohort": lambda c, s, f: churn.churn_by_cohort(c, period=TINY_PERIOD, by="plan", filters=f,
                                                             settings=s),
    "cohort_breakdown": lambda c, s, f: cohorts.breakdown(c, period=TINY_PERIOD, metric="nps", dim1="plan",
                                                          filters=f, settings=s),
}


#: the churn figures under both definitions; the others under the one in force (they do not read it)
MODES = {"kpis": ("contractual", "activity"), "churn_by_cohort": ("contractual", "activity"),
         "retention_curves": ("contractual", "activity")}


def _cases() -> list[tuple[str, str, str]]:
    """Every call under one filter set, the sets in turn across the calls (each set several times): a Spark query
    costs about a second on a local session, so the tier stays within a few minutes."""
    names = list(FILTERS)
    return [(call, mode, names[i % len(names)]) for i, call in enumerate(CALLS)
            for mode in MODES.get(call, ("contractual",))]


@pytest.mark.parametrize(("call", "mode", "label"), _cases())
def test_same_numbers_as_duckdb(call: str, mode: str, label: str, rich_duck_conn: db.Connection,
                                rich_spark_conn: spark.SparkConnection) -> None:
    settings, filters = Settings(churn_mode=mode), FILTERS[label]
    duck = CALLS[call](rich_duck_conn, settings, filters)
    assert len(duck) or label != "all", f"{call} returns no rows on the fixture: the comparison would prove nothing"
    assert_same(duck, CALLS[call](rich_spark_conn, settings, filters), f"{call} ({mode}, {label})")


def test_the_churn_training_sample_is_the_same_rows_on_both_engines(
        rich_duck_conn: db.Connection, rich_spark_conn: spark.SparkConnection) -> None:
    """A 1-in-3 sample of customer x snapshot rows (what training takes on very large bases) picks the same rows on
    Spark as on DuckDB: the sample hashes with md5, which both compute alike (their own hash() functions differ)."""
    from cx_metrics.models import churn_store

    snapshots = [dt.datetime(2025, 9, 1) + dt.timedelta(days=7 * i) for i in range(20)]
    keys = {}
    for name, conn in (("duckdb", rich_duck_conn), ("spark", rich_spark_conn)):
        every = churn_store.snapshot_features(conn, snapshots, sample_mod=1)  # type: ignore[arg-type]
        sample = churn_store.snapshot_features(conn, snapshots, sample_mod=3)  # type: ignore[arg-type]
        keys[name] = sorted(zip(sample["customer_id"], pd.to_datetime(sample["snapshot_at"]), strict=True))
        assert 0 < len(sample) < len(every), (name, len(sample), len(every))  # a sample, not nothing or everything
    assert keys["spark"] == keys["duckdb"]
