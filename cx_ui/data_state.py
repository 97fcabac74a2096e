"""Cached wrappers and actions of the data pages (Upload exports, Data status): imports, previews, undo."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from cx_metrics import demo
from cx_metrics.ingest import load as ingest
from cx_metrics.ingest.contract import Options
from cx_metrics.ingest.limits import Limits
from cx_metrics.metrics import base
from cx_ui.state import cached, connection, reads, settings, writing


@cached(ttl=60, max_entries=8)
def imports() -> pd.DataFrame:
    return base.imports(connection())


@cached(ttl=None, max_entries=4, show_spinner="Reading the file...")
def preview_upload(
    sha: str, _data: bytes, name: str, kind: str | None, source: str | None, day_first: bool | None,
    timezone: str, sheet: str | None, mapping: tuple[tuple[str, str], ...], fieldwork: dt.date | None = None,
) -> ingest.Preview:
    """Read and interpret an uploaded file (cached by content hash and choices, and the key: the settings bound the
    file's size and columns, the data holds the saved mappings); writes nothing. ``fieldwork``: the
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


def undo_import(import_id: int, *, actor: str) -> dict[str, int]:
    with writing() as conn:
        return ingest.undo(conn, import_id, actor=actor)


@cached(ttl=60, max_entries=16)
def import_rejects(import_id: int) -> pd.DataFrame:
    return ingest.rejects_of(connection(), import_id)
