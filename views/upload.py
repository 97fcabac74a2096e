"""Upload for CX leads: drop any vendor's export, check what was detected, load it, undo it."""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
import streamlit as st

from cx_metrics.columns import column, display_name
from cx_metrics.export import to_safe_csv
from cx_metrics.ingest import load as ingest
from cx_metrics.ingest.detect import Detection
from cx_metrics.ingest.errors import ImportRefused
from cx_metrics.ingest.parse import describe_format
from cx_metrics.ingest.specs import KINDS
from cx_metrics.metrics import base
from cx_metrics.text.escape import md
from cx_ui import auth, data_state, state, tables, upload_state

AUTO = "Detect automatically"


def read_as(det: Detection, sha: str, overrides: dict[str, str]) -> None:
    """The reading of the file, field by field (column, confidence, why), for the person to check and change: a
    changed column, or another category candidate, reruns the preview with it."""
    st.markdown("**How the file is read** — each field, the column it comes from, how sure the reading is and "
                "why. Change a column and the preview updates.")
    reading = det.reading()
    edited = st.data_editor(
        reading, hide_index=True, key=f"editor_{sha}_{det.kind}", disabled=["label", "confidence", "why"],
        column_order=["label", "column", "confidence", "why"],
        column_config={
            "label": st.column_config.TextColumn("Field"),
            "column": st.column_config.SelectboxColumn("Column in the file", options=["", *det.columns]),
            "confidence": st.column_config.ProgressColumn("Confidence", format="percent", min_value=0, max_value=1),
            "why": st.column_config.TextColumn("Why", width="large"),
        },
    )
    new = upload_state.changed_columns(reading, edited)
    if "category" in reading["field"].tolist():
        choice = upload_state.category_choice(det, det.columns)
        st.markdown(choice.statement)
        picked = st.selectbox("Category from", choice.options, index=choice.options.index(choice.current),
                              format_func=choice.labels.__getitem__, key=f"upload_category_{sha}_{det.kind}")
        if picked != choice.current:
            new["category"] = picked
    if new:
        st.session_state[f"mapping_{sha}"] = {**overrides, **new}
        st.rerun()

st.title("Upload exports")
user = auth.require("upload")
found = state.contents()
st.caption(
    "Tickets (Zendesk, Freshdesk, Intercom, Jira Service Management, Help Scout, any CSV), surveys (Qualtrics, "
    "SurveyMonkey, Typeform, Google Forms, Delighted, any CSV with a score column), customers and activity. "
    "Nothing is written until you press **Load**; a load is all-or-nothing and can be undone."
)

limit_mb = state.settings().max_upload_mb
# the widget enforces the importer's own limit ([imports] max_upload_mb); its own line would round it for display
# (512 MB reads "1GB per file"), so that line is hidden (dashboard.py) and the limit is said here in full
uploaded = st.file_uploader(
    "Drop a CSV, TSV, XLSX or JSON export", type=["csv", "tsv", "txt", "xlsx", "xls", "ods", "json"],
    key="upload_file", max_upload_size=limit_mb,
    help=f"Up to {limit_mb:,} MB per file ([imports] max_upload_mb in cx.toml). A larger file imports with "
         "`cx import FILE`, which reads it in parts.",
)
st.caption(f"Up to **{limit_mb:,} MB per file** · CSV, TSV, TXT, XLSX, XLS, ODS or JSON · a larger file imports with "
           "`cx import FILE`.")
if uploaded is None:
    state.show_flash("load")
else:
    data = uploaded.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    with st.expander("Import options", expanded=False):
        mid, right = st.columns(2)
        source = mid.text_input("Source name", key="upload_source",
                                help="The system the file comes from; ids are unique per source. "
                                     "Default: the vendor.") or None
        timezone = mid.text_input("Time zone of times without an offset", value="UTC", key="upload_timezone",
                                  help="Zendesk UI exports are in the account's time zone, e.g. Europe/Paris.")
        order = right.radio("Dates like 03/04/2026", ["Infer from the data", "DD/MM/YYYY", "MM/DD/YYYY"],
                            key="upload_day_order")
    kind_choice = st.selectbox("Read the file as", [AUTO, *KINDS], key="upload_kind",
                               help="What the file holds. Detected from its column names and values; choose "
                                    "another kind if the detection is wrong, and the columns are proposed again.")
    kind = None if kind_choice == AUTO else kind_choice
    day_first = {"DD/MM/YYYY": True, "MM/DD/YYYY": False}.get(order)
    overrides: dict[str, str] = st.session_state.get(f"mapping_{sha}", {})
    fieldwork = upload_state.fieldwork_day(st.session_state.get("upload_fieldwork"))
    try:
        pv = data_state.preview_upload(sha, data, uploaded.name, kind, source, day_first, timezone.strip() or "UTC",
                                  st.session_state.get("upload_sheet"), tuple(sorted(overrides.items())), fieldwork)
    except ImportRefused as exc:
        st.error(md(str(exc)))
        if isinstance(exc.detection, Detection):  # read, but the reading fails: change a column or the kind
            read_as(exc.detection, sha, overrides)
        st.stop()
        raise  # unreachable
    det = pv.detection
    summary = pv.summary()
    if pv.raw.sheets and len(pv.raw.sheets) > 1:
        st.selectbox("Sheet", pv.raw.sheets, key="upload_sheet",
                     index=pv.raw.sheets.index(pv.raw.sheet) if pv.raw.sheet in pv.raw.sheets else 0)
    st.subheader(f"Detected: {summary['kind']} · {summary['vendor']}")
    unsure = det.needs_confirmation and not overrides and kind is None
    if unsure:
        st.warning(f"Not sure enough to load without you: this file looks like **{det.kind}** with "
                   f"{det.confidence:.0%} confidence. Check how each field is read below, change a column (or the "
                   "kind above) where it is wrong, then press **Confirm this reading and load**.",
                   icon=":material/help:")
    cols = st.columns(4)
    cols[0].metric("Confidence", f"{summary['confidence']:.0%}")
    cols[1].metric("Rows read", f"{summary['rows_read']:,}")
    cols[2].metric("Will load", f"{summary['rows_loadable']:,}")
    cols[3].metric("Rejected", f"{summary['rows_rejected']:,}")
    span = summary["date_range"]
    st.caption(f"Dates {span[0][:16]} → {span[1][:16]}" if span else "No dates")
    formats = "; ".join(f"{column}: {describe_format(fmt)}" for column, fmt in summary["date_formats"].items())
    st.caption(f"Encoding {summary['encoding']} · delimiter {summary['delimiter']!r} · source {md(summary['source'])}"
               + (f" · dates read as {md(formats)}" if formats else ""))
    for column in summary["ambiguous_dates"]:
        st.warning(f"Dates in {md(repr(column))} read both as DD/MM and MM/DD (every day ≤ 12). They were read as "
                   "MM/DD; choose the order under *Import options* if that is wrong.")
    for warning in summary["warnings"]:
        st.info(md(warning))

    read_as(det, sha, overrides)
    if det.kind == "surveys":
        questions = upload_state.survey_questions(pv.raw)
        if len(questions):
            st.markdown("**Questions scored** (NPS, CSAT, CES, found from their question texts and answer scales)")
            tables.show(questions, key="upload_questions", labels={
                "question": "Question", "column": "Column in the file", "measured as": "Measured as",
                "scale": "Scale"})
        else:
            st.caption("No NPS, CSAT or CES question found: the answers load as they are and show on the Surveys "
                       "page among the imported surveys.")
    if upload_state.undated(pv):
        today = dt.date.today()
        st.date_input(
            "Fieldwork date or period", value=(today, today), key="upload_fieldwork",
            help="The file has no date per row. Every answer (or the customer snapshot) is dated the day you give, "
                 "or the last day of the period. Default: the import day.")
        st.caption(f"Dated **{(fieldwork or today):%d %b %Y}**"
                   + (" (the import day, by default)." if fieldwork is None else " (as you stated)."))

    st.markdown("**Parsed sample**")
    sample = pv.sample.drop(columns=["source"], errors="ignore")
    empty = [str(c) for c in sample.columns if sample[c].isna().all()]
    tables.show(sample.drop(columns=empty), key="upload_sample")
    if empty:
        st.caption("Not in this file (empty in the first rows, so no figure that needs them is shown): "
                   + md(", ".join(display_name(c) if column(c) else c for c in empty)) + ".")
    rejects = pv.rejects()
    if len(rejects):
        st.markdown(f"**Rejected lines** ({len(rejects):,}) — these will not load; everything else will.")
        tables.show(rejects.head(500), key="upload_rejects")
        auth.download_button("Download rejected lines (CSV)", to_safe_csv(rejects), f"rejects-{uploaded.name}.csv",
                             key="download_preview_rejects", permission="upload")
    save = st.checkbox("Remember this mapping for this source", key="upload_save_mapping")
    replace_demo = False
    if found.has_demo:
        choice = st.radio(
            f"This database holds the demo dataset ({base.Contents.describe(found.demo_rows)})",
            ["Remove the demo data: start with my data only", "Keep the demo data beside mine"],
            index=1 if found.has_own else 0, key="upload_demo",
            help="Kept, the demo's customers and tickets count in every figure beside yours (churn and rates per "
                 "1,000 customers included), and every page says so.")
        replace_demo = choice.startswith("Remove")
    confirming = st.session_state.get("upload_confirm") == sha
    if confirming and replace_demo:
        st.warning(f"Load **{md(uploaded.name)}** and remove the demo dataset "
                   f"({base.Contents.describe(found.demo_rows)})? Both happen in one transaction: if the load fails, "
                   "the demo stays. Theme models fitted on its texts go with it; your own imports stay. The removal is "
                   "recorded in the audit log.")
        yes, no = st.columns([2, 3])
        go = yes.button("Remove the demo and load", type="primary", key="upload_confirm_yes")
        if no.button("Cancel", key="upload_confirm_no"):
            st.session_state.pop("upload_confirm", None)
            st.rerun()
    else:
        go = False
        if st.button("Confirm this reading and load" if unsure else "Load", type="primary", key="upload_load"):
            if replace_demo:
                st.session_state["upload_confirm"] = sha  # ask first: this removes data
                st.rerun()
            go = True
    if go:
        st.session_state.pop("upload_confirm", None)
        bar = st.progress(0.0, text="Starting")
        result = data_state.load_preview(pv, save_mapping=save, actor=user.label, replace_demo=replace_demo,
                                    progress=lambda fraction, message: bar.progress(fraction, text=message))
        if result.status == "already imported":
            st.info(f"This file was already imported as #{result.duplicate_of}; nothing changed.")
        else:
            assert result.import_id is not None
            plan = data_state.import_footprint(result.import_id)
            changed = result.outcome()
            message = (f"Import #{result.import_id}: {result.rows_loaded:,} rows loaded"
                       + (f" ({changed})" if changed else "") + f", {result.rows_rejected:,} rejected"
                       + (", and the demo dataset removed" if replace_demo else "") + ". ")
            if plan["span"]:
                first, last = plan["span"]
                period = base.period_for_span(plan["span"])
                state.follow_period(period)
                whole = period.start <= first and period.end >= last
                message += (f"Every page now shows **{period.label()}**: "
                            + ("all of this file's data" if whole else
                               f"the last whole weeks (at most {base.DEFAULT_WEEKS}) of this file's data, which "
                               f"runs from {first:%d %b %Y} to {last:%d %b %Y}")
                            + ". Change it under *Filters*.")
            else:
                message += "It has no dated rows, so the period stays; its rows count in every figure they belong to."
            st.session_state["cx.last_import"] = result.import_id
            state.flash("success", message, "load")
            st.rerun()
    state.show_flash("load")

st.divider()
st.subheader("Import history")
state.show_flash("undo")
history = data_state.imports()
if history.empty:
    st.info("Nothing imported yet.")
else:
    tables.show(history, key="upload_history")
    own = history[(history["status"] == "loaded") & (history["kind"] != "demo")]
    if own.empty:
        st.caption("No import of yours to undo. The demo dataset is removed on *Data status* or with "
                   "`cx demo --remove`.")
    else:
        labels = {int(r["import_id"]): f"#{r['import_id']} · {r['file_name']} · {r['kind']} · {r['rows_loaded']:,} "
                                       f"rows · {pd.Timestamp(r['started_at']):%d %b %Y %H:%M} UTC"
                  for r in own.to_dict("records")}
        last = st.session_state.get("cx.last_import")
        if last in labels and st.session_state.get("cx.last_import_shown") != last:
            st.session_state["history_import"] = last  # the import just loaded, not whatever was picked before
            st.session_state["cx.last_import_shown"] = last
        elif st.session_state.get("history_import") not in labels:
            st.session_state["history_import"] = next(iter(labels))  # the newest
        left, right = st.columns(2)
        chosen = int(left.selectbox("Import", list(labels), key="history_import", format_func=labels.__getitem__))
        if st.session_state.get("undo_confirm") == chosen:
            plan = data_state.import_footprint(chosen)
            left.warning(f"Undo? {md(ingest.describe_undo(plan))} The undo is recorded in the audit log.")
            yes, no = left.columns(2)
            if yes.button(f"Undo import #{chosen}", type="primary", key="history_undo_yes"):
                removed = data_state.undo_import(chosen, actor=user.label)
                st.session_state.pop("undo_confirm", None)
                state.flash("success", f"Import #{chosen} undone: removed {base.Contents.describe(removed)}"
                            + (f", restored {base.Contents.describe(plan['restores'])}" if plan["restores"] else "")
                            + ". Every page now shows the data without it.", "undo")
                st.rerun()
            if no.button("Cancel", key="history_undo_no"):
                st.session_state.pop("undo_confirm", None)
                st.rerun()
        elif left.button("Undo this import…", key="history_undo"):
            st.session_state["undo_confirm"] = chosen
            st.rerun()
        rejected = data_state.import_rejects(chosen)
        with right:
            auth.download_button(f"Rejected lines of #{chosen} ({len(rejected):,})", to_safe_csv(rejected),
                                 f"import-{chosen}-rejects.csv", key="history_rejects", permission="upload")
