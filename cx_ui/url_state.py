"""Selections in the URL query string, so an analyst can send a link to exactly the view they see.

The shared sidebar filters travel as ``start``, ``end`` (YYYY-MM-DD) and repeated ``plan``, ``region``,
``segment``, ``channel`` keys; a page's own widgets as their short names. A link is applied once, when a
session opens it (:func:`apply_filters_from_url` runs before the sidebar is drawn); afterwards the page writes
its current state back with :func:`write_url`, so the address bar always holds the view on screen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import streamlit as st

from cx_ui import state

#: query key -> filter name of state.FILTER_KEYS
FILTER_PARAMS = {"plan": "plans", "region": "regions", "segment": "segments", "channel": "channels"}
_APPLIED = "cx.url_filters_applied"


def _set(widget_key: str, value: Any) -> None:
    st.session_state[widget_key] = value
    st.session_state["cx." + widget_key] = value


def apply_filters_from_url() -> list[str]:
    """Copy the link's period and filters into the sidebar's state (once per session). Returns problems found."""
    if st.session_state.get(_APPLIED):
        return []
    st.session_state[_APPLIED] = True
    params = st.query_params
    problems: list[str] = []
    if "start" in params or "end" in params:
        try:
            start = dt.date.fromisoformat(params.get("start", params.get("end", "")))
            end = dt.date.fromisoformat(params.get("end", params.get("start", "")))
            if end < start:
                raise ValueError
            _set(state.PERIOD_KEY, (start, end))
        except ValueError:
            problems.append("The link's start/end are not dates in YYYY-MM-DD form with start before end; the "
                            "default period is shown.")
    options = state.filter_options()
    for key, name in FILTER_PARAMS.items():
        values = params.get_all(key)
        if not values:
            continue
        known = [v for v in values if v in options.get(name, [])]
        unknown = [v for v in values if v not in known]
        if unknown:  # refused, not echoed: a link's text is not ours to show
            problems.append(f"{len(unknown)} of the link's {key} values {'is' if len(unknown) == 1 else 'are'} not in "
                            f"this database and {'was' if len(unknown) == 1 else 'were'} ignored; pick from the "
                            "sidebar.")
        _set(state.FILTER_KEYS[name], sorted(known))
    st.session_state["cx.url_problems"] = problems
    return problems


def apply_page_params(spec: Mapping[str, tuple[str, Sequence[str] | Callable[[str], bool]]], flag: str) -> list[str]:
    """Copy query values into the page's widget keys, once per session and page.

    ``spec``: query key -> (widget key, allowed values or a predicate). Unknown values are reported, not applied;
    the widget keys that were set are remembered in ``st.session_state[flag + ".keys"]``.
    """
    if st.session_state.get(flag):
        return []
    st.session_state[flag] = True
    problems = []
    for key, (widget_key, allowed) in spec.items():
        if key not in st.query_params:
            continue
        value = st.query_params[key]
        ok = allowed(value) if callable(allowed) else value in allowed
        if ok:
            st.session_state[widget_key] = value
            st.session_state.setdefault(flag + ".keys", set()).add(widget_key)
        else:
            shown = "" if callable(allowed) else f" Use one of: {', '.join(map(str, allowed))}."
            problems.append(f"The link's {key} is not a value available here and was ignored.{shown}")
    return problems


def write_url(page_values: Mapping[str, str | None]) -> None:
    """Put the sidebar period and filters and the page's selections into the address bar."""
    period, filters = state.current_view()
    out: dict[str, str | list[str]] = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    for key, name in FILTER_PARAMS.items():
        values = list(getattr(filters, name))
        if values:
            out[key] = values
    out.update({k: v for k, v in page_values.items() if v not in (None, "")})
    current = {k: (st.query_params.get_all(k) if isinstance(out.get(k), list) else st.query_params.get(k))
               for k in st.query_params}
    if current != out:
        st.query_params.from_dict(out)
