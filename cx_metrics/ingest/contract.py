"""The import contract every kind of file shares: the options an import runs with (:class:`Options`), what a
prepared file would load (:class:`Prepared`) and the rejected lines with their reasons (:class:`RejectLog`).

The per-kind preparers (``normalize.prepare_*``, ``surveys.prepare_surveys``), the loader and the part-wise importer
all speak it; it imports nothing of theirs, so none of them imports another through it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import pyarrow as pa

from cx_metrics.ingest.errors import ImportRefused


@dataclass
class Options:
    source: str | None = None  # the system the file came from; ids are unique per source
    day_first: bool | None = None  # None: infer from the data
    keep_pii: bool = False  # store emails/names in clear (default: hashed or dropped)
    reference_date: pd.Timestamp | None = None  # for ages -> birth years (default: today)
    timezone: str = "UTC"  # zone of times written without an offset (Zendesk UI exports use the account's)
    keep_rows: bool = False  # internal: the main table keeps `_row`, each row's data row in the file (parts)
    fieldwork_date: dt.date | None = None  # surveys without a response date: the day the answers were collected

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ImportRefused(f"{self.timezone!r} is not a time zone name; use e.g. 'Europe/Paris' or "
                                "'America/New_York'.") from exc


@dataclass
class Prepared:
    """What a file would load, before anything is written."""

    kind: str
    vendor: str
    source: str
    tables: dict[str, Any]  # table -> pyarrow Table (or a pandas DataFrame for surveys)
    rejects: pd.DataFrame  # row (0-based data row), field, reason, raw
    warnings: list[str]
    rows_read: int
    date_range: tuple[pd.Timestamp, pd.Timestamp] | None
    date_formats: dict[str, str] = field(default_factory=dict)
    ambiguous_dates: list[str] = field(default_factory=list)
    rows_ok: int = -1  # records that load (responses for surveys); -1 = rows of the main table

    @property
    def rows_loadable(self) -> int:
        if self.rows_ok >= 0:
            return self.rows_ok
        main = self.tables.get(_MAIN_TABLE[self.kind])
        return 0 if main is None else int(main.num_rows if isinstance(main, pa.Table) else len(main))

    def frame(self, table: str) -> pd.DataFrame:
        """A prepared table as pandas (for display and tests)."""
        value = self.tables[table]
        frame: pd.DataFrame = value.to_pandas() if isinstance(value, pa.Table) else value
        return frame


_MAIN_TABLE = {"tickets": "tickets", "ticket_events": "ticket_events", "customers": "customers",
               "activity": "customer_activity", "surveys": "survey_responses"}


def main_table(kind: str) -> str:
    return _MAIN_TABLE[kind]


class RejectLog:
    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []

    def add(self, mask: pd.Series, field_name: str | None, reason: str | pd.Series, raw: pd.Series | None) -> None:
        if not bool(mask.any()):
            return
        idx = mask[mask].index
        reasons = reason[idx] if isinstance(reason, pd.Series) else pd.Series(reason, index=idx)
        self._parts.append(pd.DataFrame({
            "row": idx.to_numpy(),
            "field": field_name,
            "reason": reasons.astype("string").to_numpy(),
            "raw": (raw[idx].astype("string") if raw is not None else pd.Series(pd.NA, index=idx)).to_numpy(),
        }))

    def frame(self) -> pd.DataFrame:
        if not self._parts:
            return pd.DataFrame({"row": pd.Series(dtype="int64"), "field": pd.Series(dtype="string"),
                                 "reason": pd.Series(dtype="string"), "raw": pd.Series(dtype="string")})
        return pd.concat(self._parts, ignore_index=True).drop_duplicates("row", keep="first")
