"""Showing data-derived text safely: every chart goes through :func:`chart`, every value put into Markdown
through :func:`md` (see :mod:`cx_metrics.text.escape`)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from cx_metrics.text.escape import md, safe_figure

__all__ = ["chart", "md"]


def chart(fig: Any, **kwargs: Any) -> Any:
    """``st.plotly_chart`` of ``fig`` with its data-derived labels escaped (a category named ``<a href=...>`` is
    shown as that text, not as a link); returns what ``st.plotly_chart`` returns (the selection event)."""
    return st.plotly_chart(safe_figure(fig), **kwargs)
