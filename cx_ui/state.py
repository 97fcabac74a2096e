"""The session and its sidebar: the process's DuckDB connection and its read and write sections, the settings, the
shared filters and period, messages across reruns, and the one cache-key rule (:func:`cached`).

Each area's cached wrappers live beside it (``overview_state``, ``complaint_state``, ``resolution_state``,
``churn_state``, ``survey_state``, ``theme_state``, ``data_state``, ``digest_state``), every one made with
:func:`cached`, so pages call them and only render.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import inspect
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import Any, TypeVar, cast

import pandas as pd
import streamlit as st

from cx_metrics import audit, db, spark
from cx_metrics.charts import color_map
from cx_metrics.config import Settings, load_settings
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import base, overview
from cx_metrics.text.escape import md

#: filter name -> widget key. Streamlit forgets a widget's state on a run that does not draw it, so each
#: value is also kept under a plain session-state key ("cx." + widget key) that widgets are restored from.
FILTER_KEYS = {"plans": "flt_plans", "regions": "flt_regions", "segments": "flt_segments",
               "channels": "flt_channels"}
PERIOD_KEY = "flt_period"


def _restore(widget_key: str, default: Any) -> None:
    """Give the widget its remembered value before it is drawn."""
    if widget_key not in st.session_state:
        st.session_state[widget_key] = st.session_state.get("cx." + widget_key, default)


def _remember(widget_key: str) -> None:
    st.session_state["cx." + widget_key] = st.session_state[widget_key]


def _chosen(widget_key: str) -> Any:
    return st.session_state.get(widget_key, st.session_state.get("cx." + widget_key))


def settings() -> Settings:
    return load_settings()


def database() -> db.SharedDatabase:
    """The process's one connection to the settings' database file: read-only, read-write only while writing. With
    ``[engine] kind = "spark"``, mixed mode: the metric queries read the lake on Spark (rendered for Spark SQL; the
    connection answers the calls the metric code makes on a DuckDB one) and the dashboard's own state stays in the
    database file (:class:`cx_metrics.spark.MixedConnection`); a write to the data is refused with a sentence."""
    return spark.database(settings())


def connection() -> db.Connection:
    """The open connection, inside a read section (:func:`reads`, :func:`reading`) or :func:`writing`."""
    return database().connection()


@contextmanager
def reading() -> Iterator[db.Connection]:
    """A read section: the connection cannot be switched (closed) while it lasts. A database that cannot be opened
    stops the page with a sentence that says why and what to do."""
    with _entered(database().reading) as conn:
        yield conn


@contextmanager
def writing() -> Iterator[db.Connection]:
    """A write section: the connection is read-write while it lasts (other sessions read on beside it). When the
    file cannot be written now (a `cx` command holds it), the page stops and says so; nothing was changed."""
    with _entered(database().writing) as conn:
        yield conn


@contextmanager
def _entered(section: Callable[[], AbstractContextManager[db.Connection]]) -> Iterator[db.Connection]:
    with ExitStack() as stack:
        try:
            conn = stack.enter_context(section())
        except db.DatabaseError as exc:
            st.error(md(str(exc)))
            st.stop()
            raise  # unreachable: st.stop raises
        try:
            yield conn
        except spark.EngineStateError as exc:  # state Spark cannot be given (too many rows): say why, and stop
            st.info(md(str(exc)))
            st.stop()
        except spark.EngineReadOnlyError as exc:  # an import on the Spark engine: the lake is read-only for us
            st.error(md(str(exc)))
            st.stop()


F = TypeVar("F", bound=Callable[..., Any])


def reads(fn: F) -> F:
    """Run ``fn`` in a read section. Put it above ``@st.cache_data``: the section is then taken before the cache's
    own lock, so a session waiting for a value another session computes never holds up a write."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with reading():
            return fn(*args, **kwargs)

    return cast(F, wrapper)


#: every wrapper made by :func:`cached` (the test of the cache-key rule walks them)
CACHED: list[Callable[..., Any]] = []


def cached(*, ttl: float | None = 600, max_entries: int = 32, show_spinner: bool | str = False) -> Callable[[F], F]:
    """The one way a page's read is cached: ``fn(*args)`` is kept per argument values and per :func:`key` (the
    database file, its data version and the settings), which the wrapper reads itself on every call, so an import, an
    undo or a cx.toml edit reaches every area's wrappers at the same time and no page can pass a stale key. The
    call runs in a read section taken before the cache's own lock (see :func:`reads`)."""
    def decorate(fn: F) -> F:
        def keyed(path: str, version: int, *args: Any, **kwargs: Any) -> Any:
            return fn(*args, **kwargs)

        # Streamlit keys a cache by module, qualified name and source, and names the arguments from the signature
        # (an argument named with a leading underscore is not hashed): fn's, after the two key arguments
        signature = inspect.signature(fn)
        front = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=kind)
                 for name, kind in (("path", str), ("version", int))]
        for attr, value in (("__module__", fn.__module__), ("__qualname__", fn.__qualname__),
                            ("__name__", fn.__name__), ("__wrapped__", fn),
                            ("__signature__", signature.replace(parameters=[*front, *signature.parameters.values()]))):
            setattr(keyed, attr, value)
        cache = st.cache_data(ttl=ttl, max_entries=max_entries, show_spinner=show_spinner)(keyed)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            current = key()
            with reading():
                return cache(*current, *args, **kwargs)

        wrapper.clear = cache.clear  # type: ignore[attr-defined]
        CACHED.append(wrapper)
        return cast(F, wrapper)

    return decorate


def check_database() -> None:
    """Open the database (read-only) or stop the page with a sentence that says why not and what to do."""
    with reading():
        pass


@reads
def role_of(email: str) -> str | None:
    return audit.role_of(connection(), email)


def audit_log(actor: str, action: str, detail: dict[str, Any] | None = None) -> None:
    """Append one audit event (a short write: the connection is read-write only for this insert)."""
    with writing() as conn:
        audit.log(conn, actor, action, detail)


@reads
def data_version() -> int:
    return db.data_version(connection())


@cached(max_entries=16)
def filter_options() -> dict[str, list[str]]:
    return base.filter_options(connection())


@cached(max_entries=16)
def data_range() -> tuple[dt.date, dt.date] | None:
    return base.data_range(connection())


@cached(max_entries=16)
def default_period() -> Period:
    return base.default_period(connection())


def key() -> tuple[str, int]:
    """(database path, version): what every :func:`cached` wrapper is keyed on besides its arguments. The version
    changes with the data (every import, undo or rebuild bumps it) and with the settings (a cx.toml edit), so every
    page follows both at the same time."""
    s = settings()
    return str(s.db_path), cache_version(data_version(), s)


def cache_version(data: int, s: Settings) -> int:
    """The data version and a fingerprint of the settings, as one number."""
    digest = hashlib.blake2b(f"{data}|{s!r}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def sidebar_filters() -> None:
    """Render the shared filters; every page reads them through :func:`current_view`."""
    span = data_range()
    default = default_period()
    options = filter_options()
    with st.sidebar:
        st.header("Filters")
        lo = span[0] if span else default.start
        hi = span[1] if span else default.end
        _follow_data(default, lo - dt.timedelta(days=366), hi)
        st.date_input(
            "Date range", key=PERIOD_KEY, min_value=lo - dt.timedelta(days=366), max_value=hi,
            help="Compared with the period of equal length just before it.",
        )
        _remember(PERIOD_KEY)
        for name, widget_key in FILTER_KEYS.items():
            _restore(widget_key, [])
            st.multiselect(name.capitalize(), options.get(name, []), key=widget_key, placeholder="All")
            _remember(widget_key)
        st.caption("Plan, region and segment filter customers; channel filters tickets and surveyed "
                   "interactions and does not apply to churn.")


#: session keys: the period last set automatically (the data's default, or an import's), and one to apply next run
_AUTO_PERIOD = "cx.period_auto"
_PENDING_PERIOD = "cx.period_pending"


def _follow_data(default: Period, lo: dt.date, hi: dt.date) -> None:
    """Set the period widget's value before it is drawn. The period follows the data until the user picks one: a
    period that was set automatically (the default, or the period of an import just loaded) moves with the data
    when the default moves (an import, an undo, the demo removed, in this session or another). A period the user
    picked stays, unless the data no longer reaches it."""
    wanted = (default.start, default.end)
    pending = st.session_state.pop(_PENDING_PERIOD, None)
    auto = st.session_state.get(_AUTO_PERIOD)
    current = _chosen(PERIOD_KEY)
    current = tuple(current) if isinstance(current, (tuple, list)) else None
    value: tuple[dt.date, ...] | None = None
    if pending is not None:
        value = tuple(pending)
    elif not current:
        value = wanted
    elif auto is not None and current == tuple(auto) and tuple(auto) != wanted:
        value = wanted
    elif current[0] < lo or current[-1] > hi:
        st.caption(f":material/info: The period you chose ({current[0]:%d %b %Y} – {current[-1]:%d %b %Y}) is "
                   f"outside the data now; showing {default.label()}.")
        value = wanted
    if value is not None:
        st.session_state[PERIOD_KEY] = value
        st.session_state["cx." + PERIOD_KEY] = value
        st.session_state[_AUTO_PERIOD] = value
    else:
        _restore(PERIOD_KEY, wanted)


def follow_period(period: Period) -> None:
    """Show ``period`` on every page from the next run on (the period of an import just loaded); it keeps following
    the data, as the default does, until the user picks another."""
    st.session_state[_PENDING_PERIOD] = (period.start, period.end)


def current_view() -> tuple[Period, Filters]:
    """The period and filters chosen in the sidebar (defaults when the sidebar has not run yet)."""
    chosen = _chosen(PERIOD_KEY)
    if isinstance(chosen, (tuple, list)) and len(chosen) == 2:
        period = Period(chosen[0], chosen[1])
    elif isinstance(chosen, (tuple, list)) and len(chosen) == 1:
        default = default_period()
        period = Period(chosen[0], max(chosen[0], default.end))
    else:
        period = default_period()
    filters = Filters.of(**{name: _chosen(k) or () for name, k in FILTER_KEYS.items()})
    return period, filters


@cached(max_entries=16)
def dimension_values() -> dict[str, list[str]]:
    return base.dimension_values(connection())


def colors(by: str) -> dict[str, str]:
    """The colour of each value of breakdown ``by``, fixed for the database (not by what a chart happens to show)."""
    return color_map(dimension_values().get(by, []))


@cached(max_entries=16)
def contents() -> base.Contents:
    return base.contents(connection())


def data_notice(can_remove: bool) -> None:
    """Say on every page when the demo dataset and the user's own rows are mixed (every figure counts both), and
    in the sidebar when the pages show the demo, not the user's data."""
    found = contents()
    if found.mixed:
        how = ("Remove it on *Data status* (or `cx demo --remove`); your imports stay." if can_remove else
               "Ask a CX lead or an admin to remove it.")
        st.warning(f"**Demo and your own data are mixed.** This database holds the demo dataset "
                   f"({base.Contents.describe(found.demo_rows)}) beside your data "
                   f"({base.Contents.describe(found.own_rows)}): every count, rate per 1,000 customers and churn "
                   f"figure includes demo rows. {how}", icon=":material/warning:")
    elif found.has_demo:
        st.sidebar.caption(":material/science: These pages show the **demo dataset**, not your data. Load your "
                           "exports on *Upload exports*: the first load can remove the demo.")


_FLASH = "cx.flash"


def flash(kind: str, text: str, place: str = "top") -> None:
    """A message for the next run, shown where :func:`show_flash` is called with the same ``place`` (next to the
    button that caused it): an action followed by ``st.rerun()`` would otherwise lose it."""
    st.session_state.setdefault(_FLASH, []).append((kind, text, place))


def show_flash(place: str = "top") -> None:
    pending = st.session_state.get(_FLASH, [])
    for kind, text, _ in [m for m in pending if m[2] == place]:
        {"success": st.success, "info": st.info, "warning": st.warning}.get(kind, st.info)(text)
    st.session_state[_FLASH] = [m for m in pending if m[2] != place]


def require_data() -> None:
    """Stop the page with what to do when the database holds no data yet."""
    if not has_data():
        st.info("The database is empty. Run `cx demo` to load the demo dataset, or import your exports on the "
                "Upload exports page.")
        st.stop()


@cached(ttl=60, max_entries=8)
def table_counts() -> pd.DataFrame:
    return db.table_counts(connection())


def has_data() -> bool:
    counts = table_counts()
    data_rows = counts.loc[~counts["table_name"].isin(["imports", "import_rejects"]), "row_count"]
    return bool(data_rows.sum())


def fmt_value(row: pd.Series | dict[str, Any]) -> str:
    return overview.format_value(row)


