"""`cx metric` commands for the survey and cohort figures (registered into :data:`cx_metrics.cli.RUNNERS`).

Each entry calls the same function as the Surveys and Cohorts pages.
"""

from __future__ import annotations

import argparse
from typing import Any

from cx_metrics.metrics import cohorts, surveys

#: the default --by of each figure when the flag is not given
DEFAULT_BY = {"score-distribution": "all", "verbatims": "all", "cohort-breakdown": "generation",
              "cohort-compare": "generation", "cohort-spread": "generation", "cohort-rows": "generation"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Flags of the survey and cohort figures (added to `cx metric`)."""
    g = p.add_argument_group("surveys and cohorts")
    g.add_argument("--score", choices=[*cohorts.METRICS, "retention"], default="nps",
                   help="survey-*/cohort-*: the figure (nps, csat, ces mean, ces_easy %%, complaint_rate, "
                        "resolution_hours, churn_rate; cohort-grid also retention)")
    g.add_argument("--level", choices=list(surveys.LEVELS), default="response",
                   help="survey figures: every response, or each customer's latest per period")
    g.add_argument("--survey", action="append", default=[], help="keep responses to this survey (repeatable)")
    g.add_argument("--by2", default="all", help="cohort-*: second dimension (default: none)")
    g.add_argument("--value2", default="All", help="cohort-rows: the --by2 value of the cell")
    g.add_argument("--a", dest="cohort_a", help="cohort-compare: first cohort (a --by value)")
    g.add_argument("--b", dest="cohort_b", help="cohort-compare: second cohort (a --by value)")
    g.add_argument("--a2", default="All", help="cohort-compare: --by2 value of the first cohort")
    g.add_argument("--b2", default="All", help="cohort-compare: --by2 value of the second cohort")
    g.add_argument("--score-group", default="", help="verbatims: promoter/passive/detractor, satisfied/"
                                                       "not satisfied, easy/neutral/difficult")
    g.add_argument("--search", default="", help="verbatims: text the comment contains")
    g.add_argument("--cohort-grain", choices=list(cohorts.GRID_GRAINS), default="quarter",
                   help="cohort-grid: signup cohorts by month or quarter")


def _surveys(a: argparse.Namespace) -> tuple[str, ...]:
    return tuple(a.survey)


def _need(value: str | None, flag: str) -> str:
    if not value:
        raise ValueError(f"{flag} is required for this figure")
    return value


def _answers(c: Any, a: argparse.Namespace) -> Any:
    names = _surveys(a)
    if len(names) != 1:
        raise ValueError("survey-answers needs exactly one --survey NAME (see `cx metric survey-inventory`)")
    inventory = surveys.survey_inventory(c)
    match = inventory[inventory["survey_name"] == names[0]]
    if match.empty:
        raise ValueError(f"no survey named {names[0]!r}; `cx metric survey-inventory` lists them")
    return surveys.answer_distribution(c, source=str(match.iloc[0]["source"]), survey_name=names[0])


#: `cx metric` command -> function(conn, period, filters, settings, args) -> frame (what each command prints is in
#: :mod:`cx_metrics.catalog`, under the entries listing it)
RUNNERS: dict[str, Any] = {
    "survey-summary": lambda c, p, f, s, a: surveys.survey_summary(
        c, period=p, filters=f, settings=s, level=a.level, surveys=_surveys(a)),
    "survey-trend": lambda c, p, f, s, a: surveys.survey_trend(
        c, period=p, metric=a.score, grain=a.grain, filters=f, settings=s, level=a.level, surveys=_surveys(a)),
    "score-groups": lambda c, p, f, s, a: surveys.group_split(surveys.survey_trend(
        c, period=p, metric=a.score, grain=a.grain, filters=f, settings=s, level=a.level, surveys=_surveys(a)),
        a.score),
    "score-distribution": lambda c, p, f, s, a: surveys.score_distribution(
        c, period=p, metric=a.score, by=cohorts.parse_dimension(a.by).sql_name,
        attribute=cohorts.parse_dimension(a.by).attribute, filters=f, settings=s, level=a.level,
        surveys=_surveys(a)),
    "response-rate": lambda c, p, f, s, a: surveys.response_rate(c, period=p, filters=f,
                                                                                   settings=s),
    "verbatims": lambda c, p, f, s, a: surveys.verbatims(
        c, period=p, metric=a.score, group=a.score_group, search=a.search,
        by=cohorts.parse_dimension(a.by).sql_name, attribute=cohorts.parse_dimension(a.by).attribute,
        value=a.value, filters=f, settings=s, surveys=_surveys(a)),
    "survey-inventory": lambda c, p, f, s, a: surveys.survey_inventory(c),
    "survey-answers": lambda c, p, f, s, a: _answers(c, a),
    "cohort-breakdown": lambda c, p, f, s, a: cohorts.breakdown(
        c, period=p, metric=a.score, dim1=a.by, dim2=a.by2, filters=f, settings=s, level=a.level,
        surveys_filter=_surveys(a)),
    "cohort-compare": lambda c, p, f, s, a: cohorts.compare(
        c, period=p, metric=a.score, dim1=a.by, a=_need(a.cohort_a, "--a"), b=_need(a.cohort_b, "--b"),
        dim2=a.by2, a2=a.a2, b2=a.b2, filters=f, settings=s, level=a.level, surveys_filter=_surveys(a)),
    "cohort-spread": lambda c, p, f, s, a: cohorts.spread(
        c, period=p, metric=a.score, dim1=a.by, dim2=a.by2, filters=f, settings=s, level=a.level,
        surveys_filter=_surveys(a)),
    "cohort-grid": lambda c, p, f, s, a: cohorts.grid(
        c, metric=a.score, grain=a.cohort_grain, filters=f, settings=s),
    "cohort-rows": lambda c, p, f, s, a: cohorts.drill_rows(
        c, period=p, metric=a.score, dim1=a.by, value1=_need(a.value, "--value"), dim2=a.by2, value2=a.value2,
        filters=f, settings=s, level=a.level, surveys_filter=_surveys(a)),
    "cohort-attributes": lambda c, p, f, s, a: cohorts.attribute_keys(c),
}
