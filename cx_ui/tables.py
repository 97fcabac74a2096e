"""Every table a person reads, drawn one way: labelled columns with their units, no raw names, no empty "None".

Pages call :func:`show` instead of ``st.dataframe``; the labels and units come from :mod:`cx_metrics.columns`.
Downloads keep the raw columns (scripts read them).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from cx_metrics.columns import KINDS, Shown, display_frame


def _config(shown: Shown) -> Any:
    help_ = shown.help or None
    if shown.as_text:
        right = shown.kind not in ("text", "flag", "reliability", "date", "datetime")
        return st.column_config.TextColumn(shown.label, help=help_, alignment="right" if right else None)
    if shown.kind in ("date", "datetime"):
        return st.column_config.DatetimeColumn(shown.label, help=help_, format=KINDS[shown.kind][1])
    fmt = KINDS.get(shown.kind, ("", ""))[1] or None
    if fmt == "%d":
        fmt = "localized"
    return st.column_config.NumberColumn(shown.label, help=help_, format=fmt)


def show(frame: pd.DataFrame, *, key: str | None = None, unit: str = "", labels: dict[str, str] | None = None,
         min_n: int | None = None, height: int | None = None, container: Any = None,
         widths: dict[str, str] | None = None, hours_unit: str = "h", **kwargs: Any) -> Any:
    """Draw ``frame`` with labelled columns (see :func:`cx_metrics.columns.display_frame`); ``unit`` is the unit of
    its value columns, ``labels`` rename columns (a breakdown named after its dimension), ``min_n`` the minimum
    n a "Sample" column speaks of, ``widths`` column widths by raw name, ``hours_unit`` "business h" on the
    business clock. Notes the frame carries (what the data cannot support) are shown above it."""
    target = container or st
    for note in frame.attrs.get("notes", ()):
        target.info(note, icon=":material/info:")
    display, shown = display_frame(frame, unit=unit, labels=labels, min_n=min_n, hours_unit=hours_unit)
    config = {header: _config(spec) for header, spec in shown.items()}
    for header, spec in shown.items():
        if spec.name in (widths or {}):
            config[header]["width"] = (widths or {})[spec.name]
    extra: dict[str, Any] = {"height": height} if height else {}
    return target.dataframe(display, hide_index=True, width="stretch", key=key, column_config=config, **extra,
                            **kwargs)
