"""What an upload may be before anything parses it: size, file type, width, and (for workbooks) how far it
inflates. Each refusal says what was found, what the limit is, and what to do."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cx_metrics.ingest.errors import ImportRefused

#: file endings we read (an upload without one is sniffed: CSV/TSV text, JSON, or a workbook by its magic bytes)
ALLOWED_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".xlsx", ".xlsm", ".xls", ".ods", ".json", "")
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


@dataclass(frozen=True)
class Limits:
    """Upload limits (``[imports]`` in cx.toml: max_upload_mb, max_columns)."""

    max_bytes: int = 512 * 1024 * 1024
    max_columns: int = 2_000
    #: a workbook (a zip archive) may not inflate beyond this, nor by more than ``max_ratio`` times its size
    max_unzipped_bytes: int = 1024 * 1024 * 1024
    max_ratio: float = 100.0

    @classmethod
    def from_megabytes(cls, max_upload_mb: int, max_columns: int) -> Limits:
        return cls(max_bytes=max_upload_mb * 1024 * 1024, max_columns=max_columns,
                   max_unzipped_bytes=max(2 * max_upload_mb, 1024) * 1024 * 1024)


def check_size(size: int, name: str, limits: Limits) -> None:
    if size > limits.max_bytes:
        raise ImportRefused(
            f"{name} is {size / 1e6:,.1f} MB; the upload limit is {limits.max_bytes / 1e6:,.0f} MB. Export a shorter "
            "date range, or raise [imports] max_upload_mb in cx.toml.")


def check_type(data: bytes | bytearray, name: str) -> None:
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES and not data.startswith(_WORKBOOK_MAGIC):
        raise ImportRefused(
            f"{name} is a {suffix} file; we read CSV, TSV or TXT exports, Excel/ODS workbooks (.xlsx, .xls, .ods) "
            "and JSON. Export the data in one of those formats.")


def check_workbook(data: bytes | bytearray, name: str, limits: Limits) -> None:
    """Refuse a zip-based workbook that would inflate past the limits (a decompression bomb)."""
    if not data.startswith(b"PK\x03\x04"):
        return
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
            entries = len(archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ImportRefused(f"{name} is not a readable spreadsheet (a broken zip archive: {exc}). "
                            "Save it again from Excel or export CSV.") from exc
    ratio = inflated / max(len(data), 1)
    if inflated > limits.max_unzipped_bytes or (ratio > limits.max_ratio and inflated > 50 * 1024 * 1024):
        raise ImportRefused(
            f"{name} would expand from {len(data) / 1e6:,.1f} MB to {inflated / 1e6:,.0f} MB ({ratio:,.0f} times, "
            f"{entries} parts): more than a real export does, so it was not opened. Export CSV instead.")


def check_width(columns: int, name: str, limits: Limits) -> None:
    if columns > limits.max_columns:
        raise ImportRefused(
            f"{name} has {columns:,} columns; the limit is {limits.max_columns:,}. Remove unused columns from the "
            "export (or raise [imports] max_columns in cx.toml).")


#: The longest value a field may hold, by what it holds (characters). A longer value is not what the column means
#: (a 5 MB "category" is a broken export: a quote that never closes, a paste into the wrong column) and would
#: travel into every filter list, legend and table, so its row is rejected with its line and the reason.
ID_CHARS = 255  # ticket, customer and response ids
LABEL_CHARS = 255  # categories, statuses, channels, plans, names, e-mail addresses: one line each
VALUE_CHARS = 100  # dates, numbers, durations, flags and ratings
TAGS_CHARS = 10_000  # a ticket's tag list
TEXT_CHARS = 1_000_000  # free text: subjects, descriptions, comments, event values, columns we keep as attributes
FREE_TEXT = frozenset({"subject", "description", "value", "comment", "answer"})


def field_bound(field_type: str, name: str) -> tuple[int, bool, str]:
    """(most characters, whether the value must be one line, what it is called) for a canonical field."""
    what = name.replace("_", " ")
    if field_type == "id":
        return ID_CHARS, True, what
    if field_type == "tags":
        return TAGS_CHARS, False, "tag list"
    if field_type == "text":
        return (TEXT_CHARS, False, what) if name in FREE_TEXT else (LABEL_CHARS, True, what)
    return VALUE_CHARS, True, what
