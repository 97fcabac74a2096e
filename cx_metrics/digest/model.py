"""The digest as text: every figure of :class:`~cx_metrics.digest.figures.Figures` formatted the way the pages
write it, ready for the HTML template, the plain-text e-mail part and chat messages. No number is computed here."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cx_metrics import catalog
from cx_metrics.charts.surveys import format_score as survey_fmt
from cx_metrics.digest.figures import Figures, describe_delta, describe_test
from cx_metrics.followups import describe_summary
from cx_metrics.metrics.overview import format_value

ROLE_TEXT = {
    "executive": "Executive edition: aggregates only, no comments or ticket rows.",
    "cx_lead": "CX lead edition: aggregates only, no comments or ticket rows.",
    "analyst": "Analyst edition: with example comments behind the themes and the tickets behind the largest anomaly.",
    "admin": "Admin edition: with example comments behind the themes and the tickets behind the largest anomaly.",
}


@dataclass
class Tile:
    metric: str
    label: str
    value: str
    delta: str  # '+12.3% · real change'
    tone: str  # 'good', 'bad' (a real change for the better / worse) or 'noise'
    detail: str  # CI · n · previous · test
    note: str
    small_n: bool


@dataclass
class DigestModel:
    title: str
    subtitle: str
    period_label: str
    previous_label: str
    window_label: str
    filters: str
    role: str
    role_text: str
    generated: str
    freshness: str  # '' or a warning that the data stops before the period ends
    tiles: list[Tile]
    survey_tiles: list[Tile]
    anomalies: list[str]
    movers: list[dict[str, str]]
    themes: list[dict[str, Any]]  # mover -> [theme rows with optional verbatims]
    themes_note: str
    movers_note: str
    rows: list[dict[str, str]]
    rows_label: str
    definitions: list[tuple[str, str]]
    link: str = ""
    charts: dict[str, str] = field(default_factory=dict)  # chart name -> image source (data: URI or cid:)

    def text(self) -> str:
        """The plain-text part of the e-mail (and what a chat message summarises)."""
        lines = [self.title, self.subtitle, f"Filters: {self.filters}", self.role_text]
        if self.freshness:
            lines.append(self.freshness)
        lines.append("")
        for t in [*self.tiles, *self.survey_tiles]:
            lines.append(f"- {t.label}: {t.value} ({t.delta}); {t.detail}")
        if self.anomalies:
            lines += ["", "Anomalies:"] + [f"- {a}" for a in self.anomalies]
        if self.movers:
            lines += ["", "Top movers (complaint rate by category):"]
            lines += [f"- {m['dimension']}: {m['complaints']} complaints vs {m['prev_complaints']}, {m['change']}, "
                      f"{m['verdict']}" for m in self.movers]
        for block in self.themes:
            lines.append(f"  Themes behind {block['mover']}: " + "; ".join(
                f"{t['theme']} ({t['complaints']} vs {t['prev_complaints']})" for t in block["themes"]))
        if self.link:
            lines += ["", f"Open the dashboard: {self.link}"]
        return "\n".join(lines) + "\n"


def _tone(row: dict[str, Any], alpha: float) -> str:
    p = float(row["p_value"])
    if math.isnan(p) or p >= alpha or bool(row.get("small_n")) or math.isnan(float(row["delta"])):
        return "noise"
    better = (float(row["delta"]) > 0) == bool(row["higher_is_better"])
    return "good" if better else "bad"


def _kpi_tile(row: dict[str, Any], confidence: float, alpha: float, min_n: int) -> Tile:
    ci = ("no interval" if math.isnan(float(row["ci_low"])) else
          f"{int(confidence * 100)}% CI {format_value({**row, 'value': row['ci_low']})} – "
          f"{format_value({**row, 'value': row['ci_high']})}")
    value = format_value(row)
    if row["small_n"]:
        value += f" (n < {min_n})"
    return Tile(
        metric=str(row["metric"]), label=str(row["label"]), value=value, delta=describe_delta(row, alpha),
        tone=_tone(row, alpha),
        detail=(f"{ci} · n = {int(row['n']):,} · previous {format_value({**row, 'value': row['prev_value']})} "
                f"(n = {int(row['prev_n']):,}) · {describe_test(row, alpha)}"),
        note=str(row["note"] or ""), small_n=bool(row["small_n"]),
    )


def _survey_tile(row: dict[str, Any], confidence: float, alpha: float, min_n: int) -> Tile:
    """A Surveys page tile (its wording: value, change in points, verdict, CI, n, previous, test)."""
    unit = str(row["unit"])
    n = int(row["n"])
    value = "no responses" if n == 0 else (f"n < {min_n}" if row["small_n"] else survey_fmt(row["value"], unit))
    if math.isnan(float(row["delta"])):
        delta = "no previous period to compare"
    else:
        verdict = "real change" if row["significant"] else "within noise"
        delta = f"{row['delta']:+.1f}" + (" pts" if unit in ("%", "points") else "") + f" · {verdict}"
    ci = (f"{int(confidence * 100)}% CI {survey_fmt(row['ci_low'], unit)} – {survey_fmt(row['ci_high'], unit)}"
          if not row["small_n"] and not math.isnan(float(row["ci_low"])) else "no interval")
    test = f" · {row['test']}, p = {row['p_value']:.2g}" if not math.isnan(float(row["p_value"])) else ""
    tone = "noise" if not row["significant"] else ("good" if float(row["delta"]) > 0 else "bad")
    return Tile(metric=str(row["metric"]), label=str(row["label"]), value=value, delta=delta, tone=tone,
                detail=(f"{ci} · n = {n:,} ({int(row['respondents']):,} respondents) · previous "
                        f"{survey_fmt(row['prev_value'], unit)} (n = {int(row['prev_n']):,}){test}"),
                note=str(row["note"] or ""), small_n=bool(row["small_n"]))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def build_model(fig: Figures, *, generated: dt.datetime | None = None, link: str = "") -> DigestModel:
    s = fig.settings
    period, prev = fig.period, fig.period.previous()
    tiles = [_kpi_tile(r, s.confidence, s.alpha, s.min_cell_n) for r in _records(fig.kpis)]
    # NPS and CSAT are key figures (the Overview's tiles); the Surveys page adds customer effort
    survey_tiles = [_survey_tile(r, s.confidence, s.alpha, s.min_cell_n) for r in _records(fig.surveys)
                    if r["metric"] in ("ces", "ces_easy")]
    if fig.followup is not None:  # closing the loop: the Overview's follow-up tile
        value, detail = describe_summary(fig.followup, s)
        survey_tiles.append(Tile(metric="followup_coverage", label=catalog.label("followup_coverage"), value=value,
                                 delta="closed in time", tone="noise", detail=detail, note="",
                                 small_n=0 < int(fig.followup["due"]) < s.min_cell_n))
    flagged = fig.anomalies[fig.anomalies["is_anomaly"]]
    anomalies = [f"{r['dimension']}, week of {pd.Timestamp(r['period_start']):%d %b %Y}: {int(r['complaints']):,} "
                 f"complaints, {r['description']}" for r in _records(flagged)]
    movers = [{
        "dimension": str(r["dimension"]), "complaints": f"{int(r['complaints']):,}",
        "prev_complaints": f"{int(r['prev_complaints']):,}", "per_1000": f"{r['per_1000']:.1f}",
        "prev_per_1000": f"{r['prev_per_1000']:.1f}",
        "change": "new" if r["direction"] == "new" else f"{float(r['change']):+.0%}",
        "p_value": f"{float(r['p_value']):.2g}", "verdict": "real change" if r["significant"] else "within noise",
        "tone": ("bad" if r["direction"] in ("up", "new") else "good") if r["significant"] else "noise",
    } for r in _records(fig.movers.head(8))]
    themes = []
    for mover, frame in fig.themes.items():
        rows = []
        for t in _records(frame):
            share = float(t["share_of_change"])
            examples = fig.verbatims.get(int(t["theme_key"]))
            rows.append({
                "theme": str(t["theme"]), "complaints": f"{int(t['complaints']):,}",
                "prev_complaints": f"{int(t['prev_complaints']):,}", "difference": f"{int(t['difference']):+,}",
                "share": "–" if math.isnan(share) else f"{share:.0%}",
                "verbatims": [] if examples is None else [
                    str(v) for v in examples["text"].fillna(examples["subject"]).dropna().head(2)],
            })
        themes.append({"mover": mover, "themes": rows})
    if not fig.themes:
        themes_note = "No category's complaint rate moved beyond noise, so there are no themes to explain."
    elif all(not block["themes"] for block in themes):
        themes_note = "No themes are fitted yet (`cx themes fit`), so the reasons behind the movers are not shown."
    else:
        themes_note = ""
    ticket_rows: list[dict[str, str]] = []
    if fig.rows is not None:
        ticket_rows = [{"ticket": str(r.get("ticket_id", "")),
                        "created": f"{pd.Timestamp(r['created_at']):%d %b %H:%M}",
                 "channel": str(r.get("channel") or ""), "priority": str(r.get("priority") or ""),
                 "subject": str(r.get("subject") or "")} for r in _records(fig.rows)]
    span = fig.span
    freshness = ""
    if span is None:
        freshness = "The database holds no data."
    elif span[1] < period.end:
        freshness = (f"The data ends on {span[1]:%d %b %Y}, before this period ends: the last "
                     f"{(period.end - span[1]).days} day(s) have no data yet.")
    title = ("CX digest · week of " if period.days == 7 else "CX digest · ") + period.label()
    definitions = [(t.label, str(r["definition"])) for t, r in zip(tiles, _records(fig.kpis), strict=True)]
    definitions += [(str(r["label"]), str(r["definition"])) for r in _records(fig.surveys)
                    if r["metric"] in ("ces", "ces_easy")]
    if fig.followup is not None:
        definitions += [(catalog.label(m), catalog.definition(m)) for m in ("followup_coverage", "followup_effect")]
    return DigestModel(
        title=title,
        subtitle=f"{period.label()} ({period.days} days) compared with {prev.label()}",
        period_label=period.label(), previous_label=prev.label(), window_label=fig.window.label(),
        filters=fig.filters.describe(), role=fig.role, role_text=ROLE_TEXT.get(fig.role, ""),
        generated=f"{(generated or dt.datetime.now(dt.UTC)):%d %b %Y %H:%M} UTC",
        freshness=freshness, tiles=tiles, survey_tiles=survey_tiles, anomalies=anomalies, movers=movers,
        themes=themes, themes_note=themes_note, rows=ticket_rows,
        movers_note=" ".join(fig.movers.attrs.get("notes", []) or [
            "Not enough data in this and the previous period to compare."]),
        rows_label=fig.rows_label, definitions=definitions,
        link=link,
    )
