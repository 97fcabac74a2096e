"""App-layer glue: the process's DuckDB connection, shared sidebar filters, cached metric wrappers.

Pages call these and only render. Caches are keyed on the database's data version, so an import or a demo
rebuild invalidates them.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import Any, TypeVar, cast

import pandas as pd
import streamlit as st

from cx_metrics import audit, db, demo, spark
from cx_metrics.config import Settings, load_settings
from cx_metrics.filters import Filters, Period
from cx_metrics.ingest import load as ingest
from cx_metrics.ingest.contract import Options
from cx_metrics.ingest.limits import Limits
from cx_metrics.metrics import base, complaints, overview, resolution
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
    ``[engine] kind = "spark"``, the Spark session's read sections instead (the metric queries rendered for Spark;
    its connection answers the calls the metric code makes on a DuckDB one, and it refuses writes with a sentence)."""
    s = settings()
    if s.engine.kind == "spark":
        return cast(db.SharedDatabase, spark.shared(s.engine))
    return db.shared(s)


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
        yield conn


F = TypeVar("F", bound=Callable[..., Any])


def reads(fn: F) -> F:
    """Run ``fn`` in a read section. Put it above ``@st.cache_data``: the section is then taken before the cache's
    own lock, so a session waiting for a value another session computes never holds up a write."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with reading():
            return fn(*args, **kwargs)

    return cast(F, wrapper)


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


@reads
@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def _filter_options(path: str, version: int) -> dict[str, list[str]]:
    return base.filter_options(connection())


@reads
@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def _data_range(path: str, version: int) -> tuple[dt.date, dt.date] | None:
    return base.data_range(connection())


@reads
@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def _default_period(path: str, version: int) -> Period:
    return base.default_period(connection())


def key() -> tuple[str, int]:
    """(database path, version): the first arguments of every cached wrapper, here and in ``survey_state``. The one
    cache-key rule: the version changes with the data (every import, undo or rebuild bumps it) and with the settings
    (a cx.toml edit), so every page follows both at the same time."""
    s = settings()
    return str(s.db_path), cache_version(data_version(), s)


def cache_version(data: int, s: Settings) -> int:
    """The data version and a fingerprint of the settings, as one number."""
    digest = hashlib.blake2b(f"{data}|{s!r}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def sidebar_filters() -> None:
    """Render the shared filters; every page reads them through :func:`current_view`."""
    path, version = key()
    span = _data_range(path, version)
    default = _default_period(path, version)
    options = _filter_options(path, version)
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
    path, version = key()
    chosen = _chosen(PERIOD_KEY)
    if isinstance(chosen, (tuple, list)) and len(chosen) == 2:
        period = Period(chosen[0], chosen[1])
    elif isinstance(chosen, (tuple, list)) and len(chosen) == 1:
        default = _default_period(path, version)
        period = Period(chosen[0], max(chosen[0], default.end))
    else:
        period = _default_period(path, version)
    filters = Filters.of(**{name: _chosen(k) or () for name, k in FILTER_KEYS.items()})
    return period, filters


@reads
@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def _dimension_values(path: str, version: int) -> dict[str, list[str]]:
    return base.dimension_values(connection())


def colors(path: str, version: int, by: str) -> dict[str, str]:
    """The colour of each value of breakdown ``by``, fixed for the database (not by what a chart happens to show)."""
    from cx_metrics.charts import color_map

    return color_map(_dimension_values(path, version).get(by, []))


@reads
@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def kpis(path: str, version: int, period: Period, filters: Filters) -> pd.DataFrame:
    return overview.kpis(connection(), period=period, filters=filters, settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def complaint_trend(path: str, version: int, period: Period, filters: Filters, grain: str) -> pd.DataFrame:
    return complaints.complaint_trend(connection(), period=period, grain=grain, filters=filters, settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def complaint_volume(path: str, version: int, period: Period, filters: Filters, grain: str, by: str) -> pd.DataFrame:
    return complaints.complaint_volume(connection(), period=period, grain=grain, by=by, filters=filters,
                                       settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def top_movers(path: str, version: int, period: Period, filters: Filters, by: str) -> pd.DataFrame:
    return complaints.top_movers(connection(), period=period, by=by, filters=filters, settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def anomalies(path: str, version: int, period: Period, filters: Filters, grain: str, by: str) -> pd.DataFrame:
    return complaints.anomalies(connection(), period=period, grain=grain, by=by, filters=filters, settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def repeat_complaints(path: str, version: int, period: Period, filters: Filters) -> pd.DataFrame:
    return complaints.repeat_complaints(connection(), period=period, filters=filters, settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def complaint_rows(path: str, version: int, start: pd.Timestamp, end: pd.Timestamp, by: str, value: str | None,
                   filters: Filters) -> pd.DataFrame:
    return complaints.complaint_rows(connection(), start=start, end=end, by=by, value=value, filters=filters,
                                     settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def time_to_event(path: str, version: int, period: Period, filters: Filters, metric: str, by: str,
                  clock: str = "calendar") -> pd.DataFrame:
    return resolution.time_to_event(connection(), period=period, metric=metric, by=by, filters=filters, clock=clock,
                                    settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def km_curves(path: str, version: int, period: Period, filters: Filters, metric: str, by: str,
              clock: str = "calendar") -> pd.DataFrame:
    return resolution.km_curves(connection(), period=period, metric=metric, by=by, filters=filters, clock=clock,
                                settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def logrank(path: str, version: int, period: Period, filters: Filters, metric: str, by: str,
            clock: str = "calendar") -> pd.DataFrame:
    return resolution.logrank(connection(), period=period, metric=metric, by=by, filters=filters, clock=clock,
                              settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def sla_breaches(path: str, version: int, period: Period, filters: Filters) -> pd.DataFrame:
    return resolution.sla_breaches(connection(), period=period, filters=filters, settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def resolution_trend(path: str, version: int, period: Period, filters: Filters, grain: str) -> pd.DataFrame:
    return resolution.resolution_trend(connection(), period=period, grain=grain, filters=filters, settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def sla_breach_trend(path: str, version: int, period: Period, filters: Filters, grain: str) -> pd.DataFrame:
    return resolution.sla_breach_trend(connection(), period=period, grain=grain, filters=filters, settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def handoff_distribution(path: str, version: int, period: Period, filters: Filters) -> pd.DataFrame:
    return resolution.handoff_distribution(connection(), period=period, filters=filters, settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def backlog_history(path: str, version: int, period: Period, filters: Filters) -> pd.DataFrame:
    return resolution.backlog_history(connection(), period=period, filters=filters)


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def vendor_agreement(path: str, version: int, period: Period, filters: Filters) -> pd.DataFrame:
    return resolution.vendor_agreement(connection(), period=period, filters=filters, settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def resolution_rows(path: str, version: int, period: Period, filters: Filters, metric: str, by: str,
                    value: str | None, clock: str) -> pd.DataFrame:
    return resolution.resolution_rows(connection(), period=period, metric=metric, by=by, value=value,
                                      filters=filters, settings=settings(), clock=clock)


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def follow_through(path: str, version: int, period: Period, filters: Filters, by: str) -> pd.DataFrame:
    return resolution.follow_through(connection(), period=period, by=by, filters=filters, settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def backlog(path: str, version: int, filters: Filters) -> pd.DataFrame:
    return resolution.backlog(connection(), filters=filters)


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def experience_vs_outcome(path: str, version: int, period: Period, filters: Filters, by: str,
                          metric: str = "csat") -> pd.DataFrame:
    return resolution.experience_vs_outcome(connection(), period=period, by=by, filters=filters, settings=settings(),
                                            metric=metric)


@reads
@st.cache_data(ttl=60, max_entries=8, show_spinner=False)
def table_counts(path: str, version: int) -> pd.DataFrame:
    return db.table_counts(connection())


@reads
@st.cache_data(ttl=60, max_entries=8, show_spinner=False)
def imports(path: str, version: int) -> pd.DataFrame:
    return base.imports(connection())


@reads
@st.cache_data(max_entries=4, show_spinner="Reading the file...")
def preview_upload(
    sha: str, _data: bytes, name: str, kind: str | None, source: str | None, day_first: bool | None,
    timezone: str, sheet: str | None, mapping: tuple[tuple[str, str], ...], fieldwork: dt.date | None = None,
) -> ingest.Preview:
    """Read and interpret an uploaded file (cached by content hash and choices); writes nothing. ``fieldwork``: the
    day the answers were collected or the snapshot taken (files without dates)."""
    options = Options(source=source, day_first=day_first, timezone=timezone, fieldwork_date=fieldwork)
    s = settings()
    return ingest.preview(_data, name=name, kind=kind, mapping=dict(mapping) or None, sheet=sheet,
                          options=options, conn=connection(),
                          limits=Limits.from_megabytes(s.max_upload_mb, s.max_columns))


def load_preview(pv: ingest.Preview, *, save_mapping: bool, progress: Any, actor: str,
                 replace_demo: bool = False) -> ingest.ImportResult:
    with writing() as conn:
        return ingest.load(conn, pv, actor=actor, save_mapping=save_mapping, progress=progress,
                           replace_demo=replace_demo)


def remove_demo(*, actor: str) -> dict[str, int]:
    """Remove the demo dataset, keep the user's imports (audited as remove_demo); rows removed per table."""
    with writing() as conn:
        return demo.remove(conn, actor=actor)


@reads
def import_footprint(import_id: int) -> dict[str, Any]:
    """What undoing ``import_id`` would remove and restore, and its record (see ingest.footprint)."""
    return ingest.footprint(connection(), import_id)


@reads
@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def contents(path: str, version: int) -> base.Contents:
    return base.contents(connection())


def data_notice(can_remove: bool) -> None:
    """Say on every page when the demo dataset and the user's own rows are mixed (every figure counts both), and
    in the sidebar when the pages show the demo, not the user's data."""
    found = contents(*key())
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


def undo_import(import_id: int, *, actor: str) -> dict[str, int]:
    with writing() as conn:
        return ingest.undo(conn, import_id, actor=actor)


@reads
@st.cache_data(ttl=60, max_entries=16, show_spinner=False)
def import_rejects(path: str, version: int, import_id: int) -> pd.DataFrame:
    return ingest.rejects_of(connection(), import_id)


def require_data() -> None:
    """Stop the page with what to do when the database holds no data yet."""
    if not has_data():
        st.info("The database is empty. Run `cx demo` to load the demo dataset, or import your exports on the "
                "Upload exports page.")
        st.stop()


def has_data() -> bool:
    counts = table_counts(*key())
    data_rows = counts.loc[~counts["table_name"].isin(["imports", "import_rejects"]), "row_count"]
    return bool(data_rows.sum())


def fmt_value(row: pd.Series | dict[str, Any]) -> str:
    return overview.format_value(row)


@reads
def digest_pdf(period: Period, filters: Filters, role: str) -> bytes:
    """The digest PDF of this view (the Overview's Download PDF): the same document as `cx digest`."""
    from cx_metrics.digest import send

    return send.pdf_bytes(connection(), settings(), period, filters, role)


def digest_file_name(period: Period, filters: Filters) -> str:
    from cx_metrics.digest import send

    return send.file_name(period, filters)


# --- churn (pages/churn.py) -----------------------------------------------------------------------------------

@reads
@st.cache_data(ttl=600, max_entries=8, show_spinner=False)
def churn_definition(path: str, version: int) -> Any:
    from cx_metrics.metrics import churn

    return churn.definition(connection(), settings())


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def snapshot_churn(path: str, version: int, filters: Filters, by: str) -> pd.DataFrame:
    from cx_metrics.metrics import churn

    return churn.snapshot_churn(connection(), by=by, filters=filters, settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def churn_rates(path: str, version: int, period: Period, filters: Filters, grain: str, by: str) -> pd.DataFrame:
    from cx_metrics.metrics import churn

    return churn.churn_rates(connection(), period=period, grain=grain, by=by, filters=filters, settings=settings(),
                             definition_=churn_definition(path, version))


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def churn_by_cohort(path: str, version: int, period: Period, filters: Filters, by: str) -> pd.DataFrame:
    from cx_metrics.metrics import churn

    return churn.churn_by_cohort(connection(), period=period, by=by, filters=filters, settings=settings(),
                                 definition_=churn_definition(path, version))


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def retention_curves(path: str, version: int, filters: Filters, by: str) -> pd.DataFrame:
    from cx_metrics.metrics import churn

    return churn.retention_curves(connection(), by=by, filters=filters, settings=settings(),
                                  definition_=churn_definition(path, version))


@reads
@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def complaint_lift(path: str, version: int, filters: Filters) -> pd.DataFrame:
    from cx_metrics.metrics import churn

    return churn.complaint_lift(connection(), filters=filters, settings=settings(),
                                definition_=churn_definition(path, version))


@reads
@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def service_recovery(path: str, version: int, window: Period, filters: Filters) -> pd.DataFrame:
    from cx_metrics.metrics import churn

    return churn.service_recovery(connection(), window=window, filters=filters, settings=settings(),
                                  definition_=churn_definition(path, version))


@reads
@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def recovery_verdict(path: str, version: int, window: Period, filters: Filters) -> pd.DataFrame:
    from cx_metrics.metrics import churn

    return churn.recovery_verdict(service_recovery(path, version, window, filters), settings())


@reads
@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def experience_curves(path: str, version: int, window: Period, filters: Filters) -> pd.DataFrame:
    from cx_metrics.metrics import churn

    return churn.experience_curves(connection(), window=window, filters=filters, settings=settings(),
                                   definition_=churn_definition(path, version), max_days=365)


@reads
def churn_model_status() -> tuple[str, str]:
    from cx_metrics import churn_model

    return churn_model.model_status(connection(), settings())


def churn_model_card() -> dict[str, Any] | None:
    from cx_metrics import churn_model

    return churn_model.read_card(settings())


@reads
def train_churn_model(progress: Any) -> dict[str, Any]:
    """Train (and save) the churn model; ``progress(fraction, text)`` reports each step. Returns the card."""
    from cx_metrics import churn_model

    model = churn_model.train(connection(), settings(), progress=progress)
    return model.card  # cached scores are keyed on the training time, so the new model's are computed afresh


@reads
@st.cache_data(ttl=600, max_entries=8, show_spinner="Scoring customers...")
def churn_scores(path: str, version: int, trained_at: str, filters: Filters, top: int) -> pd.DataFrame:
    from cx_metrics import churn_model

    return churn_model.score(connection(), settings(), filters=filters, top=top)


# --- themes (issue 7) -------------------------------------------------------------------------------------


@reads
@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def theme_catalog(path: str, version: int, source: str = "all") -> pd.DataFrame:
    from cx_metrics import themes

    return themes.catalog(connection(), source)


@reads
@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def theme_fit_status(path: str, version: int) -> tuple[dict[str, dict[str, Any]], int]:
    """(latest fit of each corpus that has one, texts imported since)."""
    from cx_metrics import themes

    conn = connection()
    return themes.latest_fits(conn), themes.unassigned_count(conn)


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def theme_volume(path: str, version: int, period: Period, filters: Filters, grain: str,
                 kinds: tuple[str, ...]) -> pd.DataFrame:
    from cx_metrics.metrics import themes as tm

    return tm.theme_volume(connection(), period=period, grain=grain, filters=filters, kinds=kinds,
                           settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def theme_anomalies(path: str, version: int, period: Period, filters: Filters, grain: str,
                    kinds: tuple[str, ...]) -> pd.DataFrame:
    from cx_metrics.metrics import themes as tm

    return tm.theme_anomalies(connection(), period=period, grain=grain, filters=filters, kinds=kinds,
                              settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def theme_mix(path: str, version: int, period: Period, filters: Filters, by: str,
              kinds: tuple[str, ...]) -> pd.DataFrame:
    from cx_metrics.metrics import themes as tm

    return tm.theme_mix(connection(), period=period, by=by, filters=filters, kinds=kinds, settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def emerging_themes(path: str, version: int, period: Period, filters: Filters, kinds: tuple[str, ...]) -> pd.DataFrame:
    from cx_metrics.metrics import themes as tm

    return tm.emerging_themes(connection(), period=period, filters=filters, kinds=kinds, settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def theme_impact(path: str, version: int, period: Period, filters: Filters, metric: str) -> pd.DataFrame:
    from cx_metrics.metrics import themes as tm

    return tm.theme_impact(connection(), period=period, metric=metric, filters=filters, settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def product_requests(path: str, version: int, period: Period, filters: Filters, kinds: tuple[str, ...]) -> pd.DataFrame:
    from cx_metrics.metrics import themes as tm

    return tm.product_requests(connection(), period=period, filters=filters, kinds=kinds)


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def themes_behind(path: str, version: int, period: Period, filters: Filters, by: str,
                  value: str | None) -> pd.DataFrame:
    from cx_metrics.metrics import themes as tm

    return tm.themes_behind(connection(), period=period, by=by, value=value, filters=filters, settings=settings())


@reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def theme_verbatims(path: str, version: int, period: Period, filters: Filters, theme_key: int,
                    kinds: tuple[str, ...]) -> pd.DataFrame:
    from cx_metrics.metrics import themes as tm

    return tm.theme_verbatims(connection(), theme_key=theme_key, period=period, filters=filters, kinds=kinds)


def fit_themes(progress: Any, source: str = "all") -> Any:
    """Refit the theme models (writes; the data version bump refreshes every cache); a list of fit summaries."""
    from cx_metrics import themes

    with writing() as conn:
        return themes.fit_all(conn, settings(), source=source, actor="dashboard", progress=progress)


def assign_new_themes(progress: Any) -> int:
    from cx_metrics import themes

    with writing() as conn:
        return themes.assign_new(conn, settings(), progress=progress)


def edit_theme(action: str, key: int, value: Any = None) -> None:
    """rename / pin / unpin / merge / unmerge a theme, recorded as made from the dashboard."""
    with writing() as conn:
        _edit_theme(conn, action, key, value)


def _edit_theme(conn: db.Connection, action: str, key: int, value: Any) -> None:
    from cx_metrics import themes

    if action == "rename":
        themes.rename(conn, key, value, actor="dashboard")
    elif action in ("pin", "unpin"):
        themes.pin(conn, key, action == "pin", actor="dashboard")
    elif action == "merge":
        themes.merge(conn, key, int(value), actor="dashboard")
    elif action == "unmerge":
        themes.unmerge(conn, key, actor="dashboard")
    else:
        raise ValueError(f"unknown theme edit {action!r}")


# --- digests and alerts (pages/digests.py) ---------------------------------------------------------------------


@reads
def subscriptions_table() -> pd.DataFrame:
    from cx_metrics.digest import subscriptions

    return subscriptions.table(connection())


@reads
def alert_rules_table() -> pd.DataFrame:
    from cx_metrics.alerts import rules

    return rules.table(connection())


@reads
@st.cache_data(ttl=600, max_entries=8, show_spinner="Replaying the history...")
def alert_backtest(path: str, version: int, rules_key: str, defaults: bool) -> pd.DataFrame:
    """Per rule, how often it would have fired over the history (keyed on the rules' table as text)."""
    from cx_metrics.alerts import evaluate, rules

    chosen = list(rules.DEFAULT_RULES) if defaults else rules.all_rules(connection(), active_only=True)
    return evaluate.backtest_summary(connection(), settings(), chosen)
