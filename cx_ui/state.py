"""App-layer glue: the process's DuckDB connection, shared sidebar filters, cached metric wrappers.

Pages call these and only render. Caches are keyed on the database's data version, so an import or a demo
rebuild invalidates them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pandas as pd
import streamlit as st

from cx_metrics import db
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


@st.cache_resource(show_spinner=False)
def _connection(path: str) -> db.Connection:
    return db.connect(settings().with_db(path))


def settings() -> Settings:
    return load_settings()


def connection() -> db.Connection:
    """The one connection of this process (one per database path). Stops the page with a clear message."""
    s = settings()
    try:
        return _connection(str(s.db_path))
    except db.DatabaseError as exc:
        st.error(md(str(exc)))
        st.stop()
        raise  # unreachable; st.stop raises


def data_version() -> int:
    return db.data_version(connection())


@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def _filter_options(path: str, version: int) -> dict[str, list[str]]:
    return base.filter_options(connection())


@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def _data_range(path: str, version: int) -> tuple[dt.date, dt.date] | None:
    return base.data_range(connection())


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
        _restore(PERIOD_KEY, (default.start, default.end))
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


@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def _dimension_values(path: str, version: int) -> dict[str, list[str]]:
    return base.dimension_values(connection())


def colors(path: str, version: int, by: str) -> dict[str, str]:
    """The colour of each value of breakdown ``by``, fixed for the database (not by what a chart happens to show)."""
    from cx_metrics.charts import color_map

    return color_map(_dimension_values(path, version).get(by, []))


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def kpis(path: str, version: int, period: Period, filters: Filters) -> pd.DataFrame:
    return overview.kpis(connection(), period=period, filters=filters, settings=settings())


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def complaint_trend(path: str, version: int, period: Period, filters: Filters, grain: str) -> pd.DataFrame:
    return complaints.complaint_trend(connection(), period=period, grain=grain, filters=filters, settings=settings())


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def complaint_volume(path: str, version: int, period: Period, filters: Filters, grain: str, by: str) -> pd.DataFrame:
    return complaints.complaint_volume(connection(), period=period, grain=grain, by=by, filters=filters,
                                       settings=settings())


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def top_movers(path: str, version: int, period: Period, filters: Filters, by: str) -> pd.DataFrame:
    return complaints.top_movers(connection(), period=period, by=by, filters=filters, settings=settings())


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def anomalies(path: str, version: int, period: Period, filters: Filters, grain: str, by: str) -> pd.DataFrame:
    return complaints.anomalies(connection(), period=period, grain=grain, by=by, filters=filters, settings=settings())


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def repeat_complaints(path: str, version: int, period: Period, filters: Filters) -> pd.DataFrame:
    return complaints.repeat_complaints(connection(), period=period, filters=filters, settings=settings())


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def complaint_rows(path: str, version: int, start: pd.Timestamp, end: pd.Timestamp, by: str, value: str | None,
                   filters: Filters) -> pd.DataFrame:
    return complaints.complaint_rows(connection(), start=start, end=end, by=by, value=value, filters=filters,
                                     settings=settings())


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def time_to_event(path: str, version: int, period: Period, filters: Filters, metric: str, by: str,
                  clock: str = "calendar") -> pd.DataFrame:
    return resolution.time_to_event(connection(), period=period, metric=metric, by=by, filters=filters, clock=clock,
                                    settings=settings())


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def km_curves(path: str, version: int, period: Period, filters: Filters, metric: str, by: str,
              clock: str = "calendar") -> pd.DataFrame:
    return resolution.km_curves(connection(), period=period, metric=metric, by=by, filters=filters, clock=clock,
                                settings=settings())


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def logrank(path: str, version: int, period: Period, filters: Filters, metric: str, by: str,
            clock: str = "calendar") -> pd.DataFrame:
    return resolution.logrank(connection(), period=period, metric=metric, by=by, filters=filters, clock=clock,
                              settings=settings())


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def sla_breaches(path: str, version: int, period: Period, filters: Filters) -> pd.DataFrame:
    return resolution.sla_breaches(connection(), period=period, filters=filters, settings=settings())


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def resolution_trend(path: str, version: int, period: Period, filters: Filters, grain: str) -> pd.DataFrame:
    return resolution.resolution_trend(connection(), period=period, grain=grain, filters=filters, settings=settings())


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def sla_breach_trend(path: str, version: int, period: Period, filters: Filters, grain: str) -> pd.DataFrame:
    return resolution.sla_breach_trend(connection(), period=period, grain=grain, filters=filters, settings=settings())


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def handoff_distribution(path: str, version: int, period: Period, filters: Filters) -> pd.DataFrame:
    return resolution.handoff_distribution(connection(), period=period, filters=filters, settings=settings())


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def backlog_history(path: str, version: int, period: Period, filters: Filters) -> pd.DataFrame:
    return resolution.backlog_history(connection(), period=period, filters=filters)


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def vendor_agreement(path: str, version: int, period: Period, filters: Filters) -> pd.DataFrame:
    return resolution.vendor_agreement(connection(), period=period, filters=filters, settings=settings())


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def resolution_rows(path: str, version: int, period: Period, filters: Filters, metric: str, by: str,
                    value: str | None, clock: str) -> pd.DataFrame:
    return resolution.resolution_rows(connection(), period=period, metric=metric, by=by, value=value,
                                      filters=filters, settings=settings(), clock=clock)


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def follow_through(path: str, version: int, period: Period, filters: Filters, by: str) -> pd.DataFrame:
    return resolution.follow_through(connection(), period=period, by=by, filters=filters, settings=settings())


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def backlog(path: str, version: int, filters: Filters) -> pd.DataFrame:
    return resolution.backlog(connection(), filters=filters)


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def experience_vs_outcome(path: str, version: int, period: Period, filters: Filters, by: str,
                          metric: str = "csat") -> pd.DataFrame:
    return resolution.experience_vs_outcome(connection(), period=period, by=by, filters=filters, settings=settings(),
                                            metric=metric)


@st.cache_data(ttl=60, max_entries=8, show_spinner=False)
def table_counts(path: str, version: int) -> pd.DataFrame:
    return db.table_counts(connection())


@st.cache_data(ttl=60, max_entries=8, show_spinner=False)
def imports(path: str, version: int) -> pd.DataFrame:
    return base.imports(connection())


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


def load_preview(pv: ingest.Preview, *, save_mapping: bool, progress: Any, actor: str) -> ingest.ImportResult:
    return ingest.load(connection(), pv, actor=actor, save_mapping=save_mapping, progress=progress)


def undo_import(import_id: int, *, actor: str) -> dict[str, int]:
    return ingest.undo(connection(), import_id, actor=actor)


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


def digest_pdf(period: Period, filters: Filters, role: str) -> bytes:
    """The digest PDF of this view (the Overview's Download PDF): the same document as `cx digest`."""
    from cx_metrics.digest import send

    return send.pdf_bytes(connection(), settings(), period, filters, role)


def digest_file_name(period: Period, filters: Filters) -> str:
    from cx_metrics.digest import send

    return send.file_name(period, filters)


# --- churn (pages/churn.py) -----------------------------------------------------------------------------------

@st.cache_data(ttl=600, max_entries=8, show_spinner=False)
def churn_definition(path: str, version: int) -> Any:
    from cx_metrics.metrics import churn

    return churn.definition(connection(), settings())


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def snapshot_churn(path: str, version: int, filters: Filters, by: str) -> pd.DataFrame:
    from cx_metrics.metrics import churn

    return churn.snapshot_churn(connection(), by=by, filters=filters, settings=settings())


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def churn_rates(path: str, version: int, period: Period, filters: Filters, grain: str, by: str) -> pd.DataFrame:
    from cx_metrics.metrics import churn

    return churn.churn_rates(connection(), period=period, grain=grain, by=by, filters=filters, settings=settings(),
                             definition_=churn_definition(path, version))


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def churn_by_cohort(path: str, version: int, period: Period, filters: Filters, by: str) -> pd.DataFrame:
    from cx_metrics.metrics import churn

    return churn.churn_by_cohort(connection(), period=period, by=by, filters=filters, settings=settings(),
                                 definition_=churn_definition(path, version))


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def retention_curves(path: str, version: int, filters: Filters, by: str) -> pd.DataFrame:
    from cx_metrics.metrics import churn

    return churn.retention_curves(connection(), by=by, filters=filters, settings=settings(),
                                  definition_=churn_definition(path, version))


@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def complaint_lift(path: str, version: int, filters: Filters) -> pd.DataFrame:
    from cx_metrics.metrics import churn

    return churn.complaint_lift(connection(), filters=filters, settings=settings(),
                                definition_=churn_definition(path, version))


@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def service_recovery(path: str, version: int, window: Period, filters: Filters) -> pd.DataFrame:
    from cx_metrics.metrics import churn

    return churn.service_recovery(connection(), window=window, filters=filters, settings=settings(),
                                  definition_=churn_definition(path, version))


@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def recovery_verdict(path: str, version: int, window: Period, filters: Filters) -> pd.DataFrame:
    from cx_metrics.metrics import churn

    return churn.recovery_verdict(service_recovery(path, version, window, filters), settings())


@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def experience_curves(path: str, version: int, window: Period, filters: Filters) -> pd.DataFrame:
    from cx_metrics.metrics import churn

    return churn.experience_curves(connection(), window=window, filters=filters, settings=settings(),
                                   definition_=churn_definition(path, version), max_days=365)


def churn_model_status() -> tuple[str, str]:
    from cx_metrics import churn_model

    return churn_model.model_status(connection(), settings())


def churn_model_card() -> dict[str, Any] | None:
    from cx_metrics import churn_model

    return churn_model.read_card(settings())


def train_churn_model(progress: Any) -> dict[str, Any]:
    """Train (and save) the churn model; ``progress(fraction, text)`` reports each step. Returns the card."""
    from cx_metrics import churn_model

    model = churn_model.train(connection(), settings(), progress=progress)
    return model.card  # cached scores are keyed on the training time, so the new model's are computed afresh


@st.cache_data(ttl=600, max_entries=8, show_spinner="Scoring customers...")
def churn_scores(path: str, version: int, trained_at: str, filters: Filters, top: int) -> pd.DataFrame:
    from cx_metrics import churn_model

    return churn_model.score(connection(), settings(), filters=filters, top=top)


# --- themes (issue 7) -------------------------------------------------------------------------------------


@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def theme_catalog(path: str, version: int, source: str = "all") -> pd.DataFrame:
    from cx_metrics import themes

    return themes.catalog(connection(), source)


@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def theme_fit_status(path: str, version: int) -> tuple[dict[str, dict[str, Any]], int]:
    """(latest fit of each corpus that has one, texts imported since)."""
    from cx_metrics import themes

    conn = connection()
    return themes.latest_fits(conn), themes.unassigned_count(conn)


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def theme_volume(path: str, version: int, period: Period, filters: Filters, grain: str,
                 kinds: tuple[str, ...]) -> pd.DataFrame:
    from cx_metrics.metrics import themes as tm

    return tm.theme_volume(connection(), period=period, grain=grain, filters=filters, kinds=kinds,
                           settings=settings())


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def theme_anomalies(path: str, version: int, period: Period, filters: Filters, grain: str,
                    kinds: tuple[str, ...]) -> pd.DataFrame:
    from cx_metrics.metrics import themes as tm

    return tm.theme_anomalies(connection(), period=period, grain=grain, filters=filters, kinds=kinds,
                              settings=settings())


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def theme_mix(path: str, version: int, period: Period, filters: Filters, by: str,
              kinds: tuple[str, ...]) -> pd.DataFrame:
    from cx_metrics.metrics import themes as tm

    return tm.theme_mix(connection(), period=period, by=by, filters=filters, kinds=kinds, settings=settings())


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def emerging_themes(path: str, version: int, period: Period, filters: Filters, kinds: tuple[str, ...]) -> pd.DataFrame:
    from cx_metrics.metrics import themes as tm

    return tm.emerging_themes(connection(), period=period, filters=filters, kinds=kinds, settings=settings())


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def theme_impact(path: str, version: int, period: Period, filters: Filters, metric: str) -> pd.DataFrame:
    from cx_metrics.metrics import themes as tm

    return tm.theme_impact(connection(), period=period, metric=metric, filters=filters, settings=settings())


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def product_requests(path: str, version: int, period: Period, filters: Filters, kinds: tuple[str, ...]) -> pd.DataFrame:
    from cx_metrics.metrics import themes as tm

    return tm.product_requests(connection(), period=period, filters=filters, kinds=kinds)


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def themes_behind(path: str, version: int, period: Period, filters: Filters, by: str,
                  value: str | None) -> pd.DataFrame:
    from cx_metrics.metrics import themes as tm

    return tm.themes_behind(connection(), period=period, by=by, value=value, filters=filters, settings=settings())


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def theme_verbatims(path: str, version: int, period: Period, filters: Filters, theme_key: int,
                    kinds: tuple[str, ...]) -> pd.DataFrame:
    from cx_metrics.metrics import themes as tm

    return tm.theme_verbatims(connection(), theme_key=theme_key, period=period, filters=filters, kinds=kinds)


def fit_themes(progress: Any, source: str = "all") -> Any:
    """Refit the theme models (writes; the data version bump refreshes every cache); a list of fit summaries."""
    from cx_metrics import themes

    return themes.fit_all(connection(), settings(), source=source, actor="dashboard", progress=progress)


def assign_new_themes(progress: Any) -> int:
    from cx_metrics import themes

    return themes.assign_new(connection(), settings(), progress=progress)


def edit_theme(action: str, key: int, value: Any = None) -> None:
    """rename / pin / unpin / merge / unmerge a theme, recorded as made from the dashboard."""
    from cx_metrics import themes

    conn = connection()
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


def subscriptions_table() -> pd.DataFrame:
    from cx_metrics.digest import subscriptions

    return subscriptions.table(connection())


def alert_rules_table() -> pd.DataFrame:
    from cx_metrics.alerts import rules

    return rules.table(connection())


@st.cache_data(ttl=600, max_entries=8, show_spinner="Replaying the history...")
def alert_backtest(path: str, version: int, rules_key: str, defaults: bool) -> pd.DataFrame:
    """Per rule, how often it would have fired over the history (keyed on the rules' table as text)."""
    from cx_metrics.alerts import evaluate, rules

    chosen = list(rules.DEFAULT_RULES) if defaults else rules.all_rules(connection(), active_only=True)
    return evaluate.backtest_summary(connection(), settings(), chosen)
