"""Settings, read from environment variables and an optional TOML config file.

Precedence (highest first): environment variables (``CX_*``), the config file, built-in defaults.
The config file is ``$CX_CONFIG`` if set, else ``cx.toml`` in the project root when it exists.
No path is ever resolved against the current working directory: relative paths in the config file are
relative to that file, and the default database lives in the project's ``data/`` folder.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cx_metrics.business_hours import Schedule, ScheduleError, schedule_from_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A setting has a value we cannot use; the message says which and how to fix it."""


def _default_data_dir() -> Path:
    # A source checkout (editable install) keeps its data next to the code, as the README says.
    if (PROJECT_ROOT / "pyproject.toml").is_file():
        return PROJECT_ROOT / "data"
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "cx-dashboard"


@dataclass(frozen=True)
class EngineSettings:
    """``[engine]`` in cx.toml: which engine answers the metric queries, and where Spark finds the tables."""

    kind: str = "duckdb"
    #: Spark Connect endpoint ("sc://host:15002"); empty = a local session in this process (pyspark, ``master``)
    remote: str = ""
    master: str = "local[2]"
    #: a folder holding one Parquet/Delta/Iceberg table per canonical table (what `cx lake export` writes)
    lake: str = ""
    #: the format of the lake's tables: parquet, delta or iceberg
    format: str = "parquet"
    #: alternatively the tables of a catalog and schema (Unity Catalog, Hive metastore): catalog.schema.table
    catalog: str = ""
    schema: str = ""
    #: a location per table, overriding the lake and the catalog (table name -> path or catalog.schema.table)
    tables: Mapping[str, str] = field(default_factory=dict)
    #: the canonical tables as views over a connector's own tables: "fivetran_zendesk" (cx_metrics/mappings) or the
    #: path of a Spark SQL file of ``mapped_<table>`` views; ``source`` is where the connector's tables are (a folder
    #: with one table per subfolder, or catalog.schema)
    mapping: str = ""
    source: str = ""
    #: local session only: the driver's memory and the shuffle partitions (small data wants few)
    driver_memory: str = "1g"
    shuffle_partitions: int = 4
    #: more Spark settings for the session ([engine.conf] in cx.toml: "spark.sql.adaptive.enabled" = "false")
    conf: Mapping[str, str] = field(default_factory=dict)

    def location(self, table: str) -> tuple[str, str] | None:
        """(kind, where) of ``table``: ("path", a folder) or ("table", catalog.schema.table); None when absent."""
        if table in self.tables:
            where = self.tables[table]
            return ("path", where) if ("/" in where or ":" in where) else ("table", where)
        if self.lake:
            return "path", self.lake.rstrip("/") + "/" + table
        if self.schema:
            return "table", ".".join(p for p in (self.catalog, self.schema, table) if p)
        return None



@dataclass(frozen=True)
class Settings:
    db_path: Path = field(default_factory=lambda: _default_data_dir() / "cx.duckdb")
    #: cells (a period, a cohort) with fewer observations than this are greyed/suppressed, never shown as real
    min_cell_n: int = 30
    #: two-sided significance level for "real move or noise" flags
    alpha: float = 0.05
    #: confidence level of every interval shown
    confidence: float = 0.95
    #: CSAT counts the top N boxes of a scale with at least 4 points as satisfied (top-2-box on 1-5)
    csat_top_boxes: int = 2
    #: DuckDB memory limit for the process, e.g. "2GB"; empty = DuckDB default
    duckdb_memory_limit: str = ""
    duckdb_threads: int = 0
    #: how long a command (or the dashboard) waits for another process to release the database file before it says
    #: who holds it: a `cx metric` waits for an import to commit, the dashboard for a `cx` reader to finish
    lock_wait_seconds: float = 10.0
    #: what counts as a complaint. All empty/false: the flag set at import (type incident/problem/complaint...,
    #: complaint words in category or tags, a bad rating). Otherwise a ticket is a complaint when its type,
    #: category or a tag is listed (case-insensitive), or (complaint_low_csat) its rating is bad.
    complaint_types: tuple[str, ...] = ()
    complaint_categories: tuple[str, ...] = ()
    complaint_tags: tuple[str, ...] = ()
    complaint_low_csat: bool = False
    #: SLA targets in hours per priority ([sla.first_response_hours] / [sla.resolution_hours] in cx.toml)
    sla_first_response_hours: dict[str, float] = field(default_factory=lambda: {
        "urgent": 1.0, "high": 4.0, "normal": 8.0, "low": 24.0})
    sla_resolution_hours: dict[str, float] = field(default_factory=lambda: {
        "urgent": 8.0, "high": 24.0, "normal": 72.0, "low": 168.0})
    #: opening hours for business-hours durations ([business_hours] in cx.toml: timezone, monday..sunday, holidays)
    business_hours: Schedule = field(default_factory=Schedule)
    #: the clock SLA targets are counted on: "calendar" (wall time) or "business" (the schedule above)
    sla_clock: str = "calendar"
    #: upload limits: file size in MB and number of columns ([imports] max_upload_mb / max_columns)
    max_upload_mb: int = 512
    max_columns: int = 2_000
    #: access control when login is configured: these emails are always admins (bootstrap), and the identity
    #: provider's claim named here (a role name or a list of them) sets the role; else the in-app email table
    admins: tuple[str, ...] = ()
    role_claim: str = "roles"
    #: the claim that names a user for the admins list and the role table. "email" is trusted only with
    #: email_verified = true; another claim (e.g. "preferred_username" for a single-tenant Entra ID app) is trusted as
    #: the identity provider sends it
    email_claim: str = "email"
    #: serve on a non-loopback address without login (an explicit, logged decision; default: refused)
    allow_unauthenticated: bool = False
    #: churn definition ([churn] in cx.toml): "contractual" (customers.churned_at) or "activity" (no activity for
    #: churn_inactivity_days; 0 = the value suggested from the data's inter-activity gaps)
    churn_mode: str = "contractual"
    churn_inactivity_days: int = 0
    #: churn-risk model: label = churned within the next churn_horizon_days after a snapshot
    churn_horizon_days: int = 90
    #: follow-up policy ([followups] in cx.toml): hours from the failure to the follow-up's due date per kind
    #: ([followups.due_hours]; 0 switches a kind off), how many days back the worklist reaches, and the landmark (days
    #: after the failure) at which "Did it work?" tells followed-up customers from the others
    followup_due_hours: dict[str, float] = field(default_factory=lambda: {
        "detractor": 48.0, "sla_breach": 24.0, "reopened": 24.0})
    followup_window_days: int = 30
    followup_landmark_days: int = 14
    #: the dashboard's address as its readers reach it ([delivery] dashboard_url): digests and alerts link to it
    dashboard_url: str = ""
    #: which engine computes the metrics ([engine] in cx.toml): DuckDB (the file above) or Spark
    engine: EngineSettings = field(default_factory=EngineSettings)
    #: the dashboard sends due digests and runs the alert rules itself, every delivery_interval_seconds, in one
    #: background thread per server process ([delivery] in_dashboard / interval_seconds): while it holds the database
    #: file, `cx digest --send-due` and `cx alerts run` from cron cannot write to it
    delivery_in_dashboard: bool = True
    delivery_interval_seconds: float = 60.0
    config_file: Path | None = None

    def with_db(self, path: Path | str) -> Settings:
        return replace(self, db_path=Path(path).expanduser().resolve())


_ENV_KEYS: dict[str, tuple[str, type]] = {
    "CX_DB_PATH": ("db_path", Path),
    "CX_MIN_CELL_N": ("min_cell_n", int),
    "CX_ALPHA": ("alpha", float),
    "CX_CONFIDENCE": ("confidence", float),
    "CX_CSAT_TOP_BOXES": ("csat_top_boxes", int),
    "CX_DUCKDB_MEMORY_LIMIT": ("duckdb_memory_limit", str),
    "CX_DUCKDB_THREADS": ("duckdb_threads", int),
    "CX_DB_LOCK_WAIT": ("lock_wait_seconds", float),
    "CX_COMPLAINT_TYPES": ("complaint_types", tuple),
    "CX_COMPLAINT_CATEGORIES": ("complaint_categories", tuple),
    "CX_COMPLAINT_TAGS": ("complaint_tags", tuple),
    "CX_COMPLAINT_LOW_CSAT": ("complaint_low_csat", bool),
    "CX_SLA_CLOCK": ("sla_clock", str),
    "CX_MAX_UPLOAD_MB": ("max_upload_mb", int),
    "CX_MAX_COLUMNS": ("max_columns", int),
    "CX_ADMINS": ("admins", tuple),
    "CX_ROLE_CLAIM": ("role_claim", str),
    "CX_EMAIL_CLAIM": ("email_claim", str),
    "CX_ALLOW_UNAUTHENTICATED": ("allow_unauthenticated", bool),
    "CX_CHURN_MODE": ("churn_mode", str),
    "CX_CHURN_INACTIVITY_DAYS": ("churn_inactivity_days", int),
    "CX_CHURN_HORIZON_DAYS": ("churn_horizon_days", int),
    "CX_DASHBOARD_URL": ("dashboard_url", str),
    "CX_DELIVERY_IN_DASHBOARD": ("delivery_in_dashboard", bool),
    "CX_DELIVERY_INTERVAL_SECONDS": ("delivery_interval_seconds", float),
}

_FILE_KEYS: dict[str, tuple[str, type]] = {
    "database.path": ("db_path", Path),
    "database.memory_limit": ("duckdb_memory_limit", str),
    "database.threads": ("duckdb_threads", int),
    "database.lock_wait_seconds": ("lock_wait_seconds", float),
    "metrics.min_cell_n": ("min_cell_n", int),
    "metrics.alpha": ("alpha", float),
    "metrics.confidence": ("confidence", float),
    "metrics.csat_top_boxes": ("csat_top_boxes", int),
    "complaints.types": ("complaint_types", tuple),
    "complaints.categories": ("complaint_categories", tuple),
    "complaints.tags": ("complaint_tags", tuple),
    "complaints.low_csat": ("complaint_low_csat", bool),
    "sla.clock": ("sla_clock", str),
    "imports.max_upload_mb": ("max_upload_mb", int),
    "imports.max_columns": ("max_columns", int),
    "access.admins": ("admins", tuple),
    "access.role_claim": ("role_claim", str),
    "access.email_claim": ("email_claim", str),
    "access.allow_unauthenticated": ("allow_unauthenticated", bool),
    "churn.mode": ("churn_mode", str),
    "churn.inactivity_days": ("churn_inactivity_days", int),
    "churn.horizon_days": ("churn_horizon_days", int),
    "delivery.dashboard_url": ("dashboard_url", str),
    "followups.window_days": ("followup_window_days", int),
    "followups.landmark_days": ("followup_landmark_days", int),
    "delivery.in_dashboard": ("delivery_in_dashboard", bool),
    "delivery.interval_seconds": ("delivery_interval_seconds", float),
}


def _coerce(name: str, raw: Any, kind: type, base: Path | None) -> Any:
    try:
        if kind is Path:
            path = Path(str(raw)).expanduser()
            if not path.is_absolute():
                if base is None:
                    raise ConfigError(
                        f"{name}={raw!r} is a relative path; give an absolute path so the database does not "
                        "depend on the directory the command is started from"
                    )
                path = base / path
            return path.resolve()
        if kind is tuple:
            items = raw if isinstance(raw, list) else str(raw).split(",")
            return tuple(str(x).strip() for x in items if str(x).strip())
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            if str(raw).strip().lower() in {"1", "true", "yes", "on"}:
                return True
            if str(raw).strip().lower() in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(raw)
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        return str(raw)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}={raw!r} is not a valid {kind.__name__}") from exc


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, full + "."))
        else:
            out[full] = value
    return out


def _validate(s: Settings) -> Settings:
    if s.min_cell_n < 1:
        raise ConfigError(f"min_cell_n must be at least 1, got {s.min_cell_n}")
    if not 0 < s.alpha < 0.5:
        raise ConfigError(f"alpha must be between 0 and 0.5, got {s.alpha}")
    if not 0.5 < s.confidence < 1:
        raise ConfigError(f"confidence must be between 0.5 and 1, got {s.confidence}")
    if s.sla_clock not in ("calendar", "business"):
        raise ConfigError(f"sla clock must be 'calendar' or 'business', got {s.sla_clock!r}")
    if s.max_upload_mb < 1 or s.max_columns < 1:
        raise ConfigError("[imports] max_upload_mb and max_columns must be at least 1")
    if not 0 <= s.lock_wait_seconds <= 3600:
        raise ConfigError(f"lock_wait_seconds must be between 0 and 3600, got {s.lock_wait_seconds}")
    if s.csat_top_boxes < 1:
        raise ConfigError(f"csat_top_boxes must be at least 1, got {s.csat_top_boxes}")
    if s.churn_mode not in ("contractual", "activity"):
        raise ConfigError(f"churn mode must be 'contractual' (customers.churned_at) or 'activity' (no activity for "
                          f"N days), got {s.churn_mode!r}; set [churn] mode in cx.toml or CX_CHURN_MODE")
    if s.churn_inactivity_days < 0:
        raise ConfigError(f"churn inactivity_days must be 0 (suggest from the data) or a number of days, got "
                          f"{s.churn_inactivity_days}")
    if s.engine.kind not in ENGINES:
        raise ConfigError(f"engine kind must be one of {', '.join(ENGINES)}, got {s.engine.kind!r}; set [engine] kind "
                          "in cx.toml, CX_ENGINE or `cx --engine`")
    if s.engine.kind == "spark" and s.engine.format not in ("parquet", "delta", "iceberg"):
        raise ConfigError(f"[engine] format must be parquet, delta or iceberg, got {s.engine.format!r}")
    if s.engine.remote and not s.engine.remote.startswith("sc://"):
        raise ConfigError(f"[engine] remote must be a Spark Connect address, sc://host:15002, got {s.engine.remote!r}")
    if not 7 <= s.churn_horizon_days <= 730:
        raise ConfigError(f"churn horizon_days must be between 7 and 730, got {s.churn_horizon_days}")
    unknown = set(s.followup_due_hours) - {"detractor", "sla_breach", "reopened"}
    if unknown:
        raise ConfigError(f"[followups.due_hours] knows detractor, sla_breach and reopened, not {sorted(unknown)}")
    if any(h < 0 for h in s.followup_due_hours.values()):
        raise ConfigError("[followups.due_hours] hours must be 0 (off) or more")
    if not 1 <= s.followup_window_days <= 366:
        raise ConfigError(f"followups window_days must be between 1 and 366, got {s.followup_window_days}")
    if not 0 <= s.followup_landmark_days <= 90:
        raise ConfigError(f"followups landmark_days must be between 0 and 90, got {s.followup_landmark_days}")
    if not 1 <= s.delivery_interval_seconds <= 86_400:
        raise ConfigError(f"[delivery] interval_seconds must be between 1 and 86400, got "
                          f"{s.delivery_interval_seconds}")
    return s


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build settings from defaults, the config file and the environment (``env`` defaults to os.environ)."""
    env = dict(os.environ) if env is None else env
    values: dict[str, Any] = {}
    config_path: Path | None = None
    if env.get("CX_CONFIG"):
        config_path = Path(env["CX_CONFIG"]).expanduser()
        if not config_path.is_absolute():
            raise ConfigError(f"CX_CONFIG={env['CX_CONFIG']!r} must be an absolute path")
        if not config_path.is_file():
            raise ConfigError(f"CX_CONFIG points at {config_path}, which does not exist")
    elif (PROJECT_ROOT / "cx.toml").is_file():
        config_path = PROJECT_ROOT / "cx.toml"
    if config_path is not None:
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_path} is not valid TOML: {exc}") from exc
        for table in ("first_response_hours", "resolution_hours"):
            targets = data.get("sla", {}).get(table)
            if targets is not None:
                try:
                    values[f"sla_{table}"] = {str(k).lower(): float(v) for k, v in targets.items()}
                except (AttributeError, TypeError, ValueError) as exc:
                    raise ConfigError(f"[sla.{table}] must map priorities to hours, e.g. urgent = 1") from exc
        due = data.get("followups", {}).get("due_hours")
        if due is not None:
            try:
                values["followup_due_hours"] = {**Settings().followup_due_hours,
                                                **{str(k).lower(): float(v) for k, v in due.items()}}
            except (AttributeError, TypeError, ValueError) as exc:
                raise ConfigError("[followups.due_hours] must map kinds to hours, e.g. detractor = 48") from exc
        if "business_hours" in data:
            try:
                values["business_hours"] = schedule_from_config(dict(data["business_hours"]))
            except (ScheduleError, TypeError, ValueError) as exc:
                raise ConfigError(f"{config_path}: {exc}") from exc
        for key, raw in _flatten(data).items():
            if key in _FILE_KEYS:
                attr, kind = _FILE_KEYS[key]
                values[attr] = _coerce(key, raw, kind, config_path.parent)
        if "engine" in data:
            values["engine"] = _engine(data["engine"], config_path)
        values["config_file"] = config_path
    for key, (attr, kind) in _ENV_KEYS.items():
        if env.get(key, "") != "":
            values[attr] = _coerce(key, env[key], kind, None)
    if env.get("CX_ENGINE"):
        values["engine"] = replace(values.get("engine", EngineSettings()), kind=env["CX_ENGINE"].strip().lower())
    return _validate(Settings(**values))


#: the engines that compute the metrics
ENGINES = ("duckdb", "spark")

_ENGINE_KEYS = {"kind": str, "remote": str, "master": str, "lake": str, "format": str, "catalog": str, "schema": str,
                "mapping": str, "source": str, "driver_memory": str, "shuffle_partitions": int}


def _engine(raw: Any, config_path: Path) -> EngineSettings:
    """``[engine]`` of cx.toml; a relative lake or views path is relative to the file."""
    if not isinstance(raw, dict):
        raise ConfigError("[engine] must be a table: [engine] kind = \"spark\", lake = \"/data/lake\"")
    unknown = set(raw) - set(_ENGINE_KEYS) - {"tables", "conf"}
    if unknown:
        raise ConfigError(f"[engine] has unknown keys {sorted(unknown)}; known: {', '.join([*_ENGINE_KEYS, 'tables'])}")
    values: dict[str, Any] = {}
    for key, kind in _ENGINE_KEYS.items():
        if key in raw:
            values[key] = _coerce(f"engine.{key}", raw[key], kind, config_path.parent)
    for key in ("lake", "mapping", "source"):
        if values.get(key) and ("/" in values[key] or key == "lake") and "://" not in values[key] \
                and not Path(values[key]).is_absolute():
            values[key] = str((config_path.parent / values[key]).resolve())
    if "kind" in values:
        values["kind"] = values["kind"].strip().lower()
    tables = raw.get("tables", {})
    if not isinstance(tables, dict):
        raise ConfigError("[engine.tables] must map table names to locations, e.g. tickets = \"s3://bucket/tickets\"")
    values["tables"] = {str(k): str(v) for k, v in tables.items()}
    conf = raw.get("conf", {})
    if not isinstance(conf, dict) or not all(str(k).startswith("spark.") for k in conf):
        raise ConfigError('[engine.conf] must map Spark settings to values, e.g. "spark.sql.adaptive.enabled" = '
                          '"false"')
    values["conf"] = {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in conf.items()}
    return EngineSettings(**values)
