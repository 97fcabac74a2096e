"""The metrics on Apache Spark: the same named queries, rendered for Spark SQL, on tables in a lake or a catalog.

``[engine] kind = "spark"`` in ``cx.toml`` (or ``cx --engine spark``) makes :func:`cx_metrics.db.shared` and the
CLI's connection a :class:`SparkConnection` instead of a DuckDB file. It answers the small part of DuckDB's
connection API the metric code uses (``cursor()``, ``execute(sql, params)``, ``df()``, ``fetchall()``,
``fetchone()``), so every metric function runs unchanged: there is one definition per metric (its ``.sql`` file),
and :func:`render` turns that DuckDB SQL into Spark SQL with sqlglot, binding the parameters as typed literals.

What the transpiler gets wrong for us, fixed in :func:`render` and checked by the Spark test tier:

* ``quantile_cont(x, q)`` and ``percentile_cont(q) WITHIN GROUP (ORDER BY x)`` are exact (interpolating) in DuckDB;
  sqlglot writes the first as a call Spark rejects and the second as ``percentile_approx``, an *approximate*
  percentile. Both become Spark's exact ``percentile(x, q)`` (the same linear interpolation); a rendered query that
  still holds an approximate aggregate is refused (:class:`EngineSqlError`), never run.
* ``GROUP BY ALL`` is written out as the select list's non-aggregate expressions (engines without it reject it).

The statistics (Kaplan-Meier, log-rank, Poisson and Wilson intervals) stay in Python on the aggregates the queries
return, as on DuckDB. Tables: the canonical ones (``tickets``, ``customers``, ``survey_responses``...) are temporary
views over a Parquet/Delta/Iceberg location each, or over ``catalog.schema.table``; a table with no location is an
empty view of its canonical columns (taken from the migrations), so a lake without survey answers reads as a
database without them.

Mixed mode (:class:`MixedConnection`, what the dashboard and `cx` use on Spark): the dashboard's own state (follow-ups,
themes, roles, the audit log, subscriptions, alerts) stays in the DuckDB file; each statement is routed by the tables
it names, and a query joining state with the lake gets the state rows as a Spark view named by their fingerprint.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import duckdb
import pandas as pd
import sqlglot
from sqlglot import exp

from cx_metrics import db
from cx_metrics.config import EngineSettings, Settings
from cx_metrics.lake import LAKE_TABLES

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

#: aggregates that are approximate on Spark; a rendered metric query must hold none of them
_APPROXIMATE = ("percentile_approx", "approx_percentile", "approx_count_distinct")


#: the connector tables each bundled mapping (cx_metrics/mappings) reads: None = required, else the schema of the
#: empty table that stands in for an absent optional one
MAPPING_SOURCES: dict[str, dict[str, str | None]] = {
    "fivetran_zendesk": {
        "ticket": None,
        "ticket_field_history": None,
        "ticket_comment": "id BIGINT, ticket_id BIGINT, user_id BIGINT, created TIMESTAMP, public BOOLEAN, body STRING",
        "user": "id BIGINT, role STRING, email STRING, name STRING, created_at TIMESTAMP",
        "group": "id BIGINT, name STRING",
        "ticket_tag": "ticket_id BIGINT, tags STRING",
        "satisfaction_rating": "id BIGINT, ticket_id BIGINT, requester_id BIGINT, score STRING, comment STRING, "
                               "created_at TIMESTAMP, updated_at TIMESTAMP",
    },
}


class SparkQueryError(RuntimeError):
    """Spark refused or failed a rendered query; the message holds the Spark SQL it was given."""


class EngineSqlError(ValueError):
    """A query cannot be rendered for Spark exactly as DuckDB computes it."""


# -- rendering ---------------------------------------------------------------------------------------------------------

def literal(value: Any) -> exp.Expression:
    """A bound parameter as a typed Spark literal (what DuckDB would have bound)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, float)):
        return exp.Literal.number(repr(value) if isinstance(value, float) else str(value))
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.build("TIMESTAMP"))
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))
    if isinstance(value, (list, tuple)):
        return exp.Array(expressions=[literal(v) for v in value])
    if isinstance(value, Mapping):  # a DuckDB MAP parameter (SLA targets per priority)
        return exp.Anonymous(this="map", expressions=[e for k, v in value.items() for e in (literal(k), literal(v))])
    return exp.Literal.string(str(value))


def _bind(node: exp.Expression, params: Mapping[str, Any]) -> exp.Expression:
    if isinstance(node, (exp.Placeholder, exp.Parameter)):
        name = node.name
        if name not in params:
            raise EngineSqlError(f"the query needs parameter ${name}, which was not given")
        return literal(params[name])
    return node


def _exact_percentiles(node: exp.Expression) -> exp.Expression:
    """DuckDB's exact, interpolating quantile as Spark's exact ``percentile`` (never ``percentile_approx``)."""
    if isinstance(node, exp.WithinGroup) and isinstance(node.this, (exp.PercentileCont, exp.Quantile)):
        order = node.expression
        column = order.expressions[0].this if isinstance(order, exp.Order) and order.expressions else None
        if column is None:
            raise EngineSqlError(f"cannot read the ordered column of {node.sql('duckdb')}")
        return exp.Anonymous(this="percentile", expressions=[column.copy(), node.this.this.copy()])
    if isinstance(node, exp.Quantile):
        return exp.Anonymous(this="percentile", expressions=[node.this.copy(), node.args["quantile"].copy()])
    if isinstance(node, exp.PercentileCont) and not isinstance(node.parent, exp.WithinGroup):
        return exp.Anonymous(this="percentile", expressions=[node.this.copy(), node.expression.copy()])
    if isinstance(node, exp.Median):
        return exp.Anonymous(this="percentile", expressions=[node.this.copy(), exp.Literal.number("0.5")])
    return node


#: DuckDB functions sqlglot passes through (or writes as operators) that Spark spells differently
def _call(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=[a.copy() for a in args])


#: DuckDB's unsigned integers as the narrowest signed Spark type that holds all their values (Spark has none)
_UNSIGNED = {exp.DataType.Type.UTINYINT: "SMALLINT", exp.DataType.Type.USMALLINT: "INT",
             exp.DataType.Type.UINT: "BIGINT", exp.DataType.Type.UBIGINT: "DECIMAL(20, 0)"}


def _spark_spelling(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.DataType) and node.this in _UNSIGNED:
        return exp.DataType.build(_UNSIGNED[node.this], dialect="spark")
    if isinstance(node, exp.ArrayOverlaps):
        return _call("arrays_overlap", node.this, node.expression)
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node.set("materialized", None)  # a planner hint Spark's grammar lacks; Spark reuses CTEs itself
    if isinstance(node, exp.TimeToUnix):  # DuckDB's epoch(): seconds with their fraction, not whole seconds
        return exp.Div(this=_call("unix_micros", exp.cast(node.this, "TIMESTAMP")),
                       expression=exp.cast(exp.Literal.number("1e6"), "DOUBLE"))
    if isinstance(node, exp.Literal) and not node.is_string and any(ch in node.this for ch in ".eE"):
        # 86400.0 is a DECIMAL on both engines, but DuckDB divides decimals in DOUBLE and Spark in DECIMAL, rounded
        # to six places (customer-days off in the ninth digit): a fractional literal is a DOUBLE on Spark
        return exp.cast(node.copy(), "DOUBLE")
    if (isinstance(node, exp.Cast) and isinstance(node.this, exp.DPipe) and isinstance(node.this.this, exp.Literal)
            and node.this.this.is_string and node.this.this.name.lower() == "0x"):
        # DuckDB reads '0x...' cast to an integer as hexadecimal; Spark gives NULL: conv() from base 16
        return exp.cast(_call("conv", node.this.expression, exp.Literal.number(16), exp.Literal.number(10)), node.to)
    if isinstance(node, exp.ToDays):
        return _call("make_dt_interval", node.this)
    if isinstance(node, exp.DateDiff) and node.args.get("date_part_boundary"):
        # DuckDB counts the unit's boundaries crossed (date_diff('day', 23:00, 01:00 next day) = 1); Spark's
        # timestampdiff counts whole units elapsed (0): truncate both ends to the unit first
        unit = (node.unit.name if node.unit else "day").lower()
        if unit in ("second", "microsecond", "millisecond"):
            return _call("timestampdiff", exp.var(unit.upper()), node.expression, node.this)
        start, end = (exp.Anonymous(this="date_trunc", expressions=[exp.Literal.string(unit), e.copy()])
                      for e in (node.expression, node.this))
        return _call("timestampdiff", exp.var(unit.upper()), start, end)
    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
        args = node.expressions
        if name == "epoch_us":
            return _call("unix_micros", exp.cast(args[0], "TIMESTAMP"))
        if name == "to_days":
            return _call("make_dt_interval", args[0])
        if name == "to_seconds":
            zero = exp.Literal.number(0)
            return _call("make_dt_interval", zero, zero, zero, args[0])
    return node


def _string_agg(node: exp.Expression) -> exp.Expression:
    """DuckDB's ``string_agg(x, sep ORDER BY x)`` (DISTINCT or not) as ``array_join`` of the sorted collected values:
    sqlglot writes it as ``LISTAGG(...) WITHIN GROUP (ORDER BY ...)``, which Spark 4's optimizer fails on (a
    ClassCastException in ListAgg: the Surveys page stopped). NULLs are skipped on both engines, and a group with no
    value gives NULL, as DuckDB's does (``array_join`` of nothing would be '')."""
    if not isinstance(node, exp.GroupConcat):
        return node
    inner, order = node.this, None
    if isinstance(inner, exp.Order):
        inner, order = inner.this, inner.expressions
    distinct = isinstance(inner, exp.Distinct)
    value = inner.expressions[0] if distinct else inner
    descending = False
    if order:
        if len(order) != 1 or order[0].this.sql() != value.sql():
            raise EngineSqlError("string_agg ordered by another expression than its value has no exact Spark "
                                 "rendering here; order by the aggregated value")
        descending = bool(order[0].args.get("desc"))
    collected = _call("collect_set" if distinct else "collect_list", value)
    values = _call("array_sort", collected)
    if descending:
        values = _call("reverse", values)
    separator = node.args.get("separator") or exp.Literal.string(",")
    joined = _call("array_join", values, separator)
    present = exp.GT(this=exp.Count(this=value.copy()), expression=exp.Literal.number(0))
    return exp.Case(ifs=[exp.If(this=present, true=joined)])


def _asof_join(node: exp.Expression) -> exp.Expression:
    """``SELECT ... FROM (SELECT DISTINCT ...) AS l ASOF [LEFT] JOIN r ON l.k = r.k AND l.t >= r.t`` (DuckDB's as-of
    join: each left row with the right row of its keys nearest at or before its time) as a plain join ranked by
    ``row_number()`` per left row, keeping the first. Spark has no as-of join. The left side must be DISTINCT (then its
    columns identify a left row) and the select a plain projection; anything else is refused, not guessed."""
    if not isinstance(node, exp.Select):
        return node
    all_joins = node.args.get("joins") or []
    joins = [j for j in all_joins if (j.args.get("method") or "").upper() == "ASOF"]
    if not joins:
        return node
    join = joins[0]
    source = node.args.get("from_")
    left = source.this if source is not None else None
    refuse = EngineSqlError("this as-of join has no exact Spark rendering here: write it as FROM (SELECT DISTINCT "
                            "...) AS l ASOF JOIN r ON <equalities> AND l.time >= r.time, with a plain projection")
    if (len(joins) != 1 or len(all_joins) != 1 or not isinstance(left, exp.Subquery)
            or not isinstance(left.this, exp.Select) or not left.this.args.get("distinct")
            or any(node.args.get(k) for k in ("where", "group", "having", "order", "limit", "distinct", "qualify"))):
        raise refuse
    left_alias, right_alias = left.alias_or_name, join.this.alias_or_name
    conditions = list(join.args["on"].flatten()) if isinstance(join.args["on"], exp.And) else [join.args["on"]]
    inequalities = [c for c in conditions if isinstance(c, (exp.GTE, exp.GT, exp.LTE, exp.LT))]
    if len(inequalities) != 1 or any(not isinstance(c, (exp.EQ, exp.GTE, exp.GT, exp.LTE, exp.LT)) for c in conditions):
        raise refuse
    cmp = inequalities[0]
    sides = {getattr(e, "table", None): e for e in (cmp.this, cmp.expression)}
    if set(sides) != {left_alias, right_alias}:
        raise refuse
    # l.t >= r.t (or r.t <= l.t): the latest right row at or before; l.t <= r.t: the earliest at or after
    left_is_greater = (cmp.this.table == left_alias) == isinstance(cmp, (exp.GTE, exp.GT))
    names = [e.alias_or_name for e in node.expressions]
    if len(set(names)) != len(names) or "" in names:
        raise refuse
    ranked = node.copy()
    ranked_join = ranked.args["joins"][0]
    ranked_join.set("method", None)
    rank = exp.Window(this=exp.RowNumber(),
                      partition_by=[exp.column(name, table=left_alias) for name in left.this.named_selects],
                      order=exp.Order(expressions=[exp.Ordered(this=sides[right_alias].copy(),
                                                               desc=left_is_greater)]))
    ranked.select(exp.alias_(rank, "_cx_asof_rank"), copy=False)
    outer = exp.select(*[exp.column(name) for name in names]).from_(ranked.subquery("_cx_asof"))
    return outer.where(exp.EQ(this=exp.column("_cx_asof_rank"), expression=exp.Literal.number(1)))


def _parallel_unnest(node: exp.Expression) -> exp.Expression:
    """A FROM-less ``SELECT unnest(a) AS x, unnest(b) AS y, k + generate_subscripts(a, 1) AS i`` (DuckDB unnests
    its lists side by side) as Spark's ``posexplode`` of the first list with the others read at its position."""
    if not isinstance(node, exp.Select) or node.args.get("from_") or node.args.get("from"):
        return node
    explodes = [e for e in node.expressions if isinstance(e.unalias(), exp.Explode)]
    if not explodes:
        return node
    first = explodes[0].unalias().this
    position = exp.column("_pos")
    one_based = exp.Paren(this=exp.Add(this=position, expression=exp.Literal.number(1)))
    projections = []
    for e in node.expressions:
        inner = e.unalias()
        if isinstance(inner, exp.Explode):
            value: exp.Expression = _call("element_at", inner.this, one_based)
        else:
            value = inner.copy().transform(
                lambda n: one_based.copy() if isinstance(n, exp.Anonymous) and n.name.lower() == "generate_subscripts"
                else n)
        projections.append(exp.alias_(value, e.alias_or_name))
    positions = f"SELECT posexplode({first.sql('spark')}) AS (_pos, _value)"
    source: exp.Expression = exp.maybe_parse(positions, dialect="spark")
    assert isinstance(source, exp.Select)
    return exp.select(*projections).from_(source.subquery("_positions"))


def _series(node: exp.Expression) -> exp.Expression:
    """DuckDB's ``FROM range(start, stop, step)`` (stop excluded, column ``range``) as a Spark ``sequence``."""
    if isinstance(node, exp.Table) and isinstance(node.this, exp.GenerateSeries) and node.this.args.get(
            "is_end_exclusive"):
        series = node.this
        start, stop, step = (series.args[k].sql("spark") for k in ("start", "end", "step"))
        sql = (f"SELECT explode(IF({start} < {stop}, filter(sequence({start}, {stop}, {step}), x -> x < {stop}), "
               f"array())) AS `range`")
        select: exp.Expression = exp.maybe_parse(sql, dialect="spark")
        assert isinstance(select, exp.Select)
        return select.subquery(node.alias or "_range")
    return node


def _aggregates(node: exp.Expression) -> bool:
    """Whether ``node`` holds an aggregate: a known one, a FILTER clause (only aggregates take one) or Spark's exact
    ``percentile``, which :func:`_exact_percentiles` writes as a plain call."""
    return any(isinstance(n, (exp.AggFunc, exp.Filter)) or (isinstance(n, exp.Anonymous) and n.name == "percentile")
               for n in node.walk())


def _group_by_all(node: exp.Expression) -> exp.Expression:
    """``GROUP BY ALL`` as the select list's expressions that hold no aggregate (DuckDB's rule)."""
    if isinstance(node, exp.Select):
        group = node.args.get("group")
        if group is not None and group.args.get("all"):
            keys = [e.unalias().copy() for e in node.expressions
                    if not _aggregates(e) and not isinstance(e.unalias(), exp.Literal)]
            if keys:
                node.set("group", exp.Group(expressions=keys))
            else:
                node.set("group", None)
    return node


@cache
def _parsed(sql: str) -> exp.Expression:
    tree = sqlglot.parse_one(sql, read="duckdb")
    tree = tree.transform(_exact_percentiles)
    tree = tree.transform(_spark_spelling)
    tree = tree.transform(_string_agg)
    tree = tree.transform(_asof_join)
    tree = tree.transform(_parallel_unnest)
    tree = tree.transform(_series)
    return tree.transform(_group_by_all)


#: the dashboard's own state: kept in the DuckDB file only, never in a lake, and read from there on Spark too
#: (:class:`MixedConnection`); imports and the *_replaced undo copies read as empty on Spark, which is what they are
#: for a lake: no import made here
STATE_TABLES = ("followups", "followup_events", "themes", "theme_documents", "theme_fits", "theme_edits",
                "user_roles", "audit_log", "subscriptions", "outbox", "alert_rules", "alert_state", "alert_events")


@cache
def _tables(sql: str) -> frozenset[str]:
    """The tables ``sql`` reads or writes (its CTEs' names left out)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return frozenset(t.name for t in tree.find_all(exp.Table) if t.name and t.name not in ctes)


def _read_from(node: exp.Expression, views: Mapping[str, str]) -> exp.Expression:
    """Table ``t`` read from view ``views[t]``, still called ``t`` in the query (its alias, or its own name)."""
    if isinstance(node, exp.Table) and node.name in views and not node.db:
        return cast(exp.Expression, exp.alias_(exp.to_table(views[node.name]), node.alias_or_name, table=True))
    return node


def render(sql: str, params: Mapping[str, Any] | None = None, tables: Mapping[str, str] | None = None) -> str:
    """DuckDB SQL (a named query's text, as :func:`cx_metrics.db.sql_text` gives it) as Spark SQL, with ``params``
    bound as literals and the tables named in ``tables`` read from the views given there (the dashboard's own state,
    handed over from the DuckDB file at one revision). Raises :class:`EngineSqlError` when the result would not
    compute what DuckDB computes."""
    tree = _parsed(sql).copy()
    if tables:
        tree = tree.transform(_read_from, tables)
    if any(union.args.get("by_name") for union in tree.find_all(exp.Union)):
        raise EngineSqlError("the query unions by name (DuckDB's UNION BY NAME fills a side's missing columns with "
                             "NULL); Spark SQL has no such union, so write the columns out on both sides")
    if params is not None or tree.find(exp.Placeholder):
        tree = tree.transform(_bind, params or {})
    out = tree.sql(dialect="spark", comments=False)
    lowered = out.lower()
    for name in _APPROXIMATE:
        if name + "(" in lowered and name + "(" not in sql.lower():
            raise EngineSqlError(f"rendering for Spark turned an exact aggregate into {name}; refusing an "
                                 "approximate figure where DuckDB's is exact")
    return out


def render_unbound(sql: str) -> str:
    """DuckDB SQL rendered for Spark with its parameters left as Spark's named markers (``:name``), for reading
    (`cx --engine spark sql show NAME`)."""
    return _parsed(sql).sql(dialect="spark", comments=False, pretty=True)


# -- the connection ----------------------------------------------------------------------------------------------------

@cache
def canonical_columns() -> dict[str, list[tuple[str, str]]]:
    """table -> [(column, Spark type)] of every table the migrations create (the canonical schema)."""
    conn = duckdb.connect(":memory:")
    try:
        db.migrate(conn)
        out: dict[str, list[tuple[str, str]]] = {}
        for table, column, kind in conn.execute(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall():
            out.setdefault(str(table), []).append((str(column), _spark_type(str(kind))))
        return out
    finally:
        conn.close()


def _spark_type(duck: str) -> str:
    duck = duck.upper()
    if duck.endswith("[]"):
        return f"ARRAY<{_spark_type(duck[:-2])}>"
    return {"VARCHAR": "STRING", "JSON": "STRING", "BLOB": "BINARY", "HUGEINT": "DECIMAL(38,0)", "UUID": "STRING",
            "TIMESTAMP WITH TIME ZONE": "TIMESTAMP", "UBIGINT": "DECIMAL(20,0)"}.get(duck, duck)


def named(sql: str, params: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """``sql`` with its positional ``?`` parameters as named ones (``$_p1``, ``$_p2``... in the order they are written:
    the tokenizer's positions, so a '?' inside a string or a comment is left alone) and their values by name."""
    marks = [t.start for t in sqlglot.Dialect.get_or_raise("duckdb").tokenize(sql)
             if t.token_type == sqlglot.TokenType.PLACEHOLDER and t.text == "?"]
    if len(marks) != len(params):
        raise EngineSqlError(f"the statement has {len(marks)} positional parameters and was given {len(params)}")
    for i, at in reversed(list(enumerate(marks, start=1))):
        sql = f"{sql[:at]}$_p{i}{sql[at + 1:]}"
    return sql, {f"_p{i}": value for i, value in enumerate(params, start=1)}


class SparkCursor:
    """One query's result, in DuckDB's cursor vocabulary (``execute(...).df()``, ``fetchall()``, ``fetchone()``)."""

    def __init__(self, conn: SparkConnection) -> None:
        self._conn = conn
        self._frame: pd.DataFrame | None = None

    def execute(self, sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> SparkCursor:
        if params is not None and not isinstance(params, Mapping):
            sql, params = named(sql, params)
        self._frame = self._conn.run(sql, params)
        return self

    def use(self, frame: pd.DataFrame) -> SparkCursor:
        """This cursor with ``frame`` as its result (a query run elsewhere: :class:`MixedCursor`)."""
        self._frame = frame
        return self

    def df(self) -> pd.DataFrame:
        if self._frame is None:
            raise RuntimeError("no query has been executed on this cursor")
        return self._frame

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [tuple(None if _missing(v) else v for v in row) for row in self.df().itertuples(index=False)]

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self.fetchall()
        return rows[0] if rows else None

    def close(self) -> None:
        self._frame = None


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


class SparkConnection:
    """The metric queries' connection on Spark (see the module docstring). Read-only: imports write to DuckDB or to
    the lake's own pipelines, never through the dashboard."""

    def __init__(self, session: SparkSession, settings: EngineSettings) -> None:
        # temporary views belong to a session: a connection of its own keeps two settings' tables apart (Spark Connect
        # has no newSession(): a connection there is a server-side session of its own, see :func:`connect`)
        self.session = session if settings.remote else session.newSession()
        self.settings = settings
        self._state_lock = threading.Lock()
        self._state_views: dict[str, list[str]] = {}  # state table -> its views, newest last
        self.register()

    def state_view(self, table: str, key: str, columns: list[tuple[str, str]],
                   rows: Callable[[], pd.DataFrame]) -> str:
        """The temporary view of state table ``table`` at version ``key`` (a fingerprint of its rows), created from
        ``rows()`` the first time that version is asked for. The previous version is kept one change longer (a query
        planned on it may still run); older ones are dropped."""
        name = f"_cx_state_{table}_{key}"
        with self._state_lock:
            kept = self._state_views.setdefault(table, [])
            if name in kept:
                return name
            frame = rows()
            schema = ", ".join(f"`{column}` {kind}" for column, kind in columns)
            self.session.createDataFrame(frame, schema=schema).createOrReplaceTempView(name)
            kept.append(name)
            while len(kept) > 2:
                self.session.catalog.dropTempView(kept.pop(0))
        return name

    def register(self) -> None:
        """(Re)create the canonical tables' temporary views: from the settings' locations, or from a mapping over a
        connector's tables; a table with neither is empty."""
        mapped = self._mapping() if self.settings.mapping else set()
        for table, columns in canonical_columns().items():
            where = self.settings.location(table) if table in LAKE_TABLES else None
            if table in mapped:
                self._canonical(table, f"mapped_{table}", columns)
            elif where is None:
                self._empty(table, columns)
            elif where[0] == "path":
                self._path_view(table, where[1], columns)
            else:
                self.session.table(where[1]).createOrReplaceTempView(f"_{table}_raw")
                self._canonical(table, f"_{table}_raw", columns)

    def _mapping(self) -> set[str]:
        """Register the connector's tables under their own names and run the mapping; the tables it maps."""
        name = self.settings.mapping
        sources = MAPPING_SOURCES.get(name, {})
        sql = (resources.files("cx_metrics") / "mappings" / f"{name}.sql").read_text(encoding="utf-8") \
            if name in MAPPING_SOURCES else Path(name).read_text(encoding="utf-8")
        for table, empty_schema in sources.items():
            where = self.settings.source
            location = (f"{where.rstrip('/')}/{table}" if ("/" in where or "://" in where) else f"{where}.{table}")
            try:
                frame = (self.session.read.format(self.settings.format).load(location)
                         if "/" in location else self.session.table(location))
            except Exception as exc:  # AnalysisException: no such path or table
                if empty_schema is None:
                    raise EngineSqlError(f"the {name} mapping needs the connector's table {table!r}, which is not at "
                                         f"{location}: set [engine] source to where the connector writes") from exc
                frame = self.session.createDataFrame([], empty_schema)
            frame.createOrReplaceTempView(table)
        mapped = set()
        for statement in sqlglot.parse(sql, read="spark"):
            if statement is None:
                continue
            self.session.sql(statement.sql("spark"))
            target = statement.find(exp.Table)
            if target is not None and target.name.startswith("mapped_"):
                mapped.add(target.name.removeprefix("mapped_"))
        return mapped

    def _empty(self, table: str, columns: list[tuple[str, str]]) -> None:
        select = ", ".join(f"CAST(NULL AS {kind}) AS `{name}`" for name, kind in columns)
        self.session.sql(f"SELECT {select} WHERE false").createOrReplaceTempView(table)

    def _canonical(self, table: str, raw: str, columns: list[tuple[str, str]]) -> None:
        """``table`` as the canonical columns in their canonical types over view ``raw`` (missing ones NULL)."""
        present = set(self.session.table(raw).columns)
        select = ", ".join(f"CAST(`{name}` AS {kind}) AS `{name}`" if name in present
                           else f"CAST(NULL AS {kind}) AS `{name}`" for name, kind in columns)
        self.session.sql(f"SELECT {select} FROM `{raw}`").createOrReplaceTempView(table)  # noqa: S608

    def _path_view(self, table: str, where: str, columns: list[tuple[str, str]]) -> None:
        try:
            frame = self.session.read.format(self.settings.format).load(where)
        except Exception as exc:  # pyspark raises AnalysisException for a missing path
            if "PATH_NOT_FOUND" not in str(exc) and "does not exist" not in str(exc):
                raise
            self._empty(table, columns)
            return
        frame.createOrReplaceTempView(f"_{table}_raw")
        self._canonical(table, f"_{table}_raw", columns)

    def run(self, sql: str, params: Mapping[str, Any] | None = None,
            state: Mapping[str, str] | None = None) -> pd.DataFrame:
        """Render ``sql`` (DuckDB SQL) for Spark, run it and return its rows as pandas. The dashboard's own state
        (:data:`STATE_TABLES`) is read from the views ``state`` names (handed over by :class:`MixedConnection` from the
        DuckDB file); a query reading a state table without one is refused: an empty stand-in would give wrong figures
        (no follow-up ever made, no theme fitted, nobody with a role)."""
        kept = sorted(_tables(sql) & set(STATE_TABLES) - set(state or {}))
        if kept:
            raise EngineStateError(
                f"This part reads what the dashboard itself keeps ({', '.join(kept)}): follow-ups, themes, roles, the "
                "audit log, subscriptions and alerts live in the DuckDB file, and this connection reads Spark only. "
                "Give it the DuckDB file as well (the dashboard does: [database] path in cx.toml), or use cx --engine "
                "duckdb.")
        rendered = render(sql, params, state)
        try:
            return _to_pandas(self.session.sql(rendered))
        except Exception as exc:
            if type(exc).__module__.startswith(("pyspark", "py4j")):
                raise SparkQueryError(f"Spark rejected the rendered query: {str(exc).strip()[:500]}\n"
                                      f"-- rendered for Spark:\n{rendered}") from exc
            raise

    def cursor(self) -> SparkCursor:
        return SparkCursor(self)

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> SparkCursor:
        return self.cursor().execute(sql, params)

    def close(self) -> None:
        """End a Spark Connect connection's server-side session; a local one lives as long as the process's JVM (see
        :func:`session`), so there is nothing to close."""
        if self.settings.remote:
            self.session.stop()


def _to_pandas(frame: Any) -> pd.DataFrame:
    out = frame.toPandas()
    assert isinstance(out, pd.DataFrame)
    return out


_sessions: dict[tuple[str, str, str, int, tuple[tuple[str, str], ...]], SparkSession] = {}
_sessions_lock = threading.Lock()


def session(settings: EngineSettings) -> SparkSession:
    """The process's Spark session for ``settings`` (one per process: a JVM for a local one, a channel for Spark
    Connect), created on first use with UTC as its time zone (the canonical times are UTC, as in DuckDB)."""
    key = (settings.remote, settings.master, settings.driver_memory, settings.shuffle_partitions,
           tuple(sorted(settings.conf.items())))
    with _sessions_lock:
        found = _sessions.get(key)
        if found is None:
            found = _sessions[key] = _builder(settings).getOrCreate()
            if not settings.remote:
                # a rejected query raises SparkQueryError with the rendered SQL; the JVM need not log it as well
                found.sparkContext.setLogLevel("FATAL")
        return found


def _builder(settings: EngineSettings) -> Any:
    """A session builder for ``settings``: Spark Connect's endpoint or a local master, with the session settings
    every metric query relies on (UTC, ANSI mode off, Arrow transfers)."""
    try:
        from pyspark.sql import SparkSession  # the JVM starts only when Spark is chosen
    except ImportError as exc:
        raise EngineSqlError("[engine] kind = \"spark\" needs pyspark, which is not installed: pip install "
                             "'cx-dashboard[spark]' (the Makefile's setup-dev installs it)") from exc

    builder = SparkSession.builder.appName("cx-dashboard")
    if settings.remote:
        builder = builder.remote(settings.remote)
    else:
        builder = (builder.master(settings.master)
                   .config("spark.driver.memory", settings.driver_memory)
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.driver.bindAddress", "127.0.0.1")
                   .config("spark.driver.host", "127.0.0.1"))
    builder = (builder.config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.shuffle.partitions", str(settings.shuffle_partitions))
               .config("spark.sql.ansi.enabled", "false")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true"))
    for name, value in settings.conf.items():
        builder = builder.config(name, value)
    return builder


def connect(settings: EngineSettings) -> SparkConnection:
    """A connection with temporary views of its own: a new session on the process's local JVM, or a new server-side
    session on the Spark Connect endpoint (two connections there must not overwrite each other's tables)."""
    if settings.remote:
        with _sessions_lock:
            return SparkConnection(_builder(settings).create(), settings)
    return SparkConnection(session(settings), settings)


#: tables a mixed connection keeps in the DuckDB file: the dashboard's own state, and ``meta`` (its data version,
#: which theme edits bump, so the app's cache follows them)
DUCKDB_TABLES = frozenset((*STATE_TABLES, "meta"))
#: rows of one state table a query may hand to Spark (see the README's *Mixed mode*): theme assignments are one row
#: per document, so at hundreds of millions of tickets they are the lake's job, not a copy out of the DuckDB file
STATE_ROWS_MAX = 5_000_000


@cache
def _is_read(sql: str) -> bool:
    """Whether ``sql`` only reads (a SELECT, a UNION...): anything else (a write, BEGIN/COMMIT, SET) goes to DuckDB."""
    try:
        return isinstance(sqlglot.parse_one(sql, read="duckdb"), exp.Query)
    except sqlglot.errors.ParseError:
        return False


@cache
def _columns_read(sql: str) -> frozenset[str] | None:
    """Every name ``sql`` mentions (columns, ``USING`` keys, aliases: more than it reads is harmless), or None when it
    selects ``*`` (then a state table is handed over whole)."""
    tree = _parsed(sql)
    if any(not isinstance(star.parent, exp.Count) for star in tree.find_all(exp.Star)):  # count(*) reads no column
        return None
    return frozenset(i.name for i in tree.find_all(exp.Identifier))


class MixedConnection:
    """Mixed mode: the metrics read the lake on Spark while the dashboard's own state stays in the DuckDB file.

    Each statement is routed by the tables it names (:func:`_tables`):

    * a write, or a transaction statement, goes to the DuckDB file (only to its state tables and ``meta``: a write to
      the canonical data is refused, the lake is read-only for the dashboard);
    * a read of state tables only (or of no table: a sequence) goes to DuckDB, with its transaction;
    * a read of lake tables only goes to Spark, as without state;
    * a read that joins both (follow-up coverage, the worklist, theme assignments joined to tickets) runs on Spark,
      with each state table it reads handed over from DuckDB as a temporary view named by a fingerprint of the
      table's rows (count and a hash of every row), read again before every such query: the view Spark reads is the
      table as committed when the query starts, never an older copy, and an unchanged table is not sent again.
    """

    def __init__(self, lake: Callable[[], SparkConnection], state: db.Connection, *, writable: bool,
                 owns: bool = False) -> None:
        self._lake = lake
        self.state = state
        self.writable = writable
        self._owns = owns  # `cx`: close() closes the DuckDB file and a Spark connection opened for it

    @property
    def lake(self) -> SparkConnection:
        return self._lake()

    def cursor(self) -> MixedCursor:
        return MixedCursor(self)

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> MixedCursor:
        return self.cursor().execute(sql, params)

    def close(self) -> None:
        """The dashboard's: nothing to close (the DuckDB connection belongs to its section, the Spark session to the
        process); `cx`'s (:func:`mixed`): its DuckDB file, and its Spark connection when one was opened."""
        if self._owns:
            self.state.close()
            opened = getattr(self._lake, "opened", None)
            if opened is not None:
                opened.close()

    def state_views(self, sql: str) -> dict[str, str]:
        """The view of each state table ``sql`` reads, at the rows committed now (handed to Spark when changed)."""
        lake = self.lake
        wanted = _columns_read(sql)
        views = {}
        for table in sorted(_tables(sql) & DUCKDB_TABLES):
            columns = [(name, kind) for name, kind in canonical_columns()[table] if wanted is None or name in wanted]
            if not columns:  # only counted (count(*)): one column keeps the rows
                columns = canonical_columns()[table][:1]
            names = ", ".join(f'"{name}"' for name, _ in columns)
            cur = self.state.cursor()
            try:
                found = cur.execute(f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {table} AS t").fetchone()  # noqa: S608
                rows, digest = (int(found[0]), int(found[1])) if found else (0, 0)
                if rows > STATE_ROWS_MAX:
                    raise EngineStateError(
                        f"This figure joins {table} ({rows:,} rows in the DuckDB file) with the lake: more than "
                        f"{STATE_ROWS_MAX:,} rows are too many to hand to Spark on every change (theme assignments "
                        "are one row per document; README: Mixed mode). This figure needs the DuckDB engine: open it "
                        "on a dashboard without [engine] kind = \"spark\", or with `cx --engine duckdb`.")
                key = hashlib.blake2b(f"{rows}|{digest}|{names}".encode(), digest_size=8).hexdigest()
                select = f"SELECT {names} FROM {table}"  # noqa: S608
                views[table] = lake.state_view(table, key, columns, functools.partial(_frame, cur, select))
            finally:
                cur.close()
        return views


def _frame(cur: db.Connection, sql: str) -> pd.DataFrame:
    return cur.execute(sql).df()


class _OnFirstUse:
    """The Spark connection of one `cx` command, opened by the first query that reads the lake."""

    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self.opened: SparkConnection | None = None
        self._lock = threading.Lock()  # the Overview's tiles query side by side: one connection for all of them

    def __call__(self) -> SparkConnection:
        with self._lock:
            if self.opened is None:
                self.opened = connect(self.settings)
            return self.opened


def mixed(settings: Settings, state: db.Connection) -> MixedConnection:
    """`cx` on the Spark engine: the lake on a Spark connection of its own, the dashboard's state in ``state`` (the
    DuckDB file, opened by the caller, closed with the returned connection)."""
    return MixedConnection(_OnFirstUse(settings.engine), state, writable=True, owns=True)


class MixedCursor:
    """One statement of a :class:`MixedConnection`, routed to DuckDB or Spark (see there); a transaction begun on it
    stays on its one DuckDB cursor."""

    def __init__(self, conn: MixedConnection) -> None:
        self._conn = conn
        self._duck: db.Connection | None = None
        self._result: Any = None

    def _duckdb(self) -> db.Connection:
        if self._duck is None:
            self._duck = self._conn.state.cursor()
        return self._duck

    def execute(self, sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> MixedCursor:
        tables = _tables(sql)
        if not _is_read(sql):
            data = sorted(t for t in tables - DUCKDB_TABLES if t in canonical_columns())
            if data:
                raise EngineReadOnlyError(
                    f"This writes to {', '.join(data)}, and the dashboard reads its data from Spark ([engine] kind = "
                    "\"spark\" in cx.toml), which it only reads. Import into DuckDB and run `cx lake export --to "
                    "PATH`, or load the lake with your own pipeline; follow-ups, themes, roles and subscriptions are "
                    "still kept here.")
            if not self._conn.writable:
                raise RuntimeError("a write outside a write section (state.writing())")
            self._result = self._duckdb().execute(sql, params)
        elif tables <= DUCKDB_TABLES:
            self._result = self._duckdb().execute(sql, params)
        else:
            if params is not None and not isinstance(params, Mapping):
                sql, params = named(sql, params)
            state = self._conn.state_views(sql) if tables & DUCKDB_TABLES else None
            self._result = SparkCursor(self._conn.lake).use(self._conn.lake.run(sql, params, state))
        return self

    def _last(self) -> Any:
        if self._result is None:
            raise RuntimeError("no query has been executed on this cursor")
        return self._result

    def df(self) -> pd.DataFrame:
        return cast(pd.DataFrame, self._last().df())

    def fetchall(self) -> list[tuple[Any, ...]]:
        return cast(list[tuple[Any, ...]], self._last().fetchall())

    def fetchone(self) -> tuple[Any, ...] | None:
        return cast(tuple[Any, ...] | None, self._last().fetchone())

    def __getattr__(self, name: str) -> Any:
        """The rest of DuckDB's cursor (``register``, ``executemany``...), for the state writes that use it."""
        return getattr(self._duckdb(), name)

    def close(self) -> None:
        if self._duck is not None:
            self._duck.close()
        self._result = None


class SparkDatabase:
    """What :func:`cx_metrics.db.shared` gives on Spark: the metrics from one :class:`SparkConnection`, the dashboard's
    own state from the settings' DuckDB file (:class:`cx_metrics.db.SharedDatabase`), in sections of
    :class:`MixedConnection`. The Spark session starts on the first query that reads the lake, so a page of state
    only (Admin, Digests) never waits for it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = settings.engine
        self.state = db.shared(settings)
        self._conn: SparkConnection | None = None
        self._lock = threading.Lock()

    @property
    def mode(self) -> str:
        """The DuckDB file's connection mode ("read", "write" or ""): the lake is only read."""
        return self.state.mode

    def _open(self) -> SparkConnection:
        with self._lock:
            if self._conn is None:
                self._conn = connect(self.engine)
            return self._conn

    @contextmanager
    def reading(self) -> Iterator[MixedConnection]:
        with self.state.reading() as duck:
            yield MixedConnection(self._open, duck, writable=False)

    def connection(self) -> MixedConnection:
        return MixedConnection(self._open, self.state.connection(), writable=self.state.mode == "write")

    @contextmanager
    def writing(self) -> Iterator[MixedConnection]:
        """A write section of the DuckDB file: the state is written there; a write to the data is refused."""
        with self.state.writing() as duck:
            yield MixedConnection(self._open, duck, writable=True)

    def close(self) -> None:
        self._conn = None
        self.state.close()


class EngineStateError(db.DatabaseError):
    """A read of the dashboard's own state (follow-ups, themes, roles...) that Spark cannot be given."""


class EngineReadOnlyError(db.DatabaseError):
    """A write to the data was asked of the Spark engine, which the dashboard only reads."""


_databases: dict[str, SparkDatabase] = {}


def shared(settings: Settings) -> SparkDatabase:
    """The process-wide :class:`SparkDatabase` of ``settings`` (what the dashboard reads through)."""
    with _sessions_lock:
        found = _databases.get(repr(settings))
        if found is None:
            found = _databases[repr(settings)] = SparkDatabase(settings)
        return found


def database(settings: Settings) -> db.SharedDatabase:
    """The process's one database of ``settings`` on its engine: the DuckDB file's (:func:`cx_metrics.db.shared`), or
    on Spark the mixed one (:class:`SparkDatabase`: the data from the lake, the dashboard's state from the file). The
    dashboard's pages and its delivery thread read and write through it."""
    if settings.engine.kind == "spark":
        return cast(db.SharedDatabase, shared(settings))
    return db.shared(settings)
