"""Upload for CX leads: drop any vendor's export, check what was detected, load it, undo it."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from cx_metrics.export import to_safe_csv
from cx_metrics.ingest.errors import ImportRefused
from cx_metrics.ingest.specs import FIELDS, KINDS
from cx_ui import auth, state

st.title("Upload exports")
user = auth.require("upload")
st.caption(
    "Tickets (Zendesk, Freshdesk, Intercom, Jira Service Management, Help Scout, any CSV), surveys (Qualtrics, "
    "SurveyMonkey, Typeform, Google Forms, Delighted, any CSV with a score column), customers and activity. "
    "Nothing is written until you press **Load**; a load is all-or-nothing and can be undone."
)

uploaded = st.file_uploader(
    "Drop a CSV, TSV, XLSX or JSON export", type=["csv", "tsv", "txt", "xlsx", "xls", "ods", "json"],
    key="upload_file",
)
if uploaded is not None:
    data = uploaded.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    with st.expander("Import options", expanded=False):
        left, mid, right = st.columns(3)
        kind_choice = left.selectbox("Kind", ["Detect automatically", *KINDS], key="upload_kind")
        source = mid.text_input("Source name", key="upload_source",
                                help="The system the file comes from; ids are unique per source. "
                                     "Default: the vendor.") or None
        timezone = mid.text_input("Time zone of times without an offset", value="UTC", key="upload_timezone",
                                  help="Zendesk UI exports are in the account's time zone, e.g. Europe/Paris.")
        order = right.radio("Dates like 03/04/2026", ["Infer from the data", "DD/MM/YYYY", "MM/DD/YYYY"],
                            key="upload_day_order")
    kind = None if kind_choice == "Detect automatically" else kind_choice
    day_first = {"DD/MM/YYYY": True, "MM/DD/YYYY": False}.get(order)
    overrides: dict[str, str] = st.session_state.get(f"mapping_{sha}", {})
    try:
        pv = state.preview_upload(sha, data, uploaded.name, kind, source, day_first, timezone.strip() or "UTC",
                                  st.session_state.get("upload_sheet"), tuple(sorted(overrides.items())))
    except ImportRefused as exc:
        st.error(str(exc))
        st.stop()
    summary = pv.summary()
    if pv.raw.sheets and len(pv.raw.sheets) > 1:
        st.selectbox("Sheet", pv.raw.sheets, key="upload_sheet", index=pv.raw.sheets.index(pv.raw.sheet))
    st.subheader(f"Detected: {summary['kind']} · {summary['vendor']}")
    cols = st.columns(4)
    cols[0].metric("Confidence", f"{summary['confidence']:.0%}")
    cols[1].metric("Rows read", f"{summary['rows_read']:,}")
    cols[2].metric("Will load", f"{summary['rows_loadable']:,}")
    cols[3].metric("Rejected", f"{summary['rows_rejected']:,}")
    span = summary["date_range"]
    st.caption(f"Dates {span[0][:16]} → {span[1][:16]}" if span else "No dates")
    st.caption(f"Encoding {summary['encoding']} · delimiter {summary['delimiter']!r} · source `{summary['source']}`"
               + (f" · date formats {summary['date_formats']}" if summary["date_formats"] else ""))
    for column in summary["ambiguous_dates"]:
        st.warning(f"Dates in {column!r} read both as DD/MM and MM/DD (every day ≤ 12). They were read as MM/DD; "
                   "choose the order under *Import options* if that is wrong.")
    for warning in summary["warnings"]:
        st.info(warning)

    if pv.prepared.kind != "surveys":
        st.markdown("**Column mapping** — change a column and the preview updates.")
        fields = [f.name for f in FIELDS[pv.prepared.kind]]
        table = pd.DataFrame({"field": fields, "column": [pv.detection.mapping.get(f, "") for f in fields],
                              "required": [f.required for f in FIELDS[pv.prepared.kind]]})
        edited = st.data_editor(
            table, hide_index=True, disabled=["field", "required"], key=f"editor_{sha}",
            column_config={"column": st.column_config.SelectboxColumn("column", options=["", *pv.raw.columns])},
        )
        new = {r["field"]: r["column"] or "" for r in edited.to_dict("records")
               if (r["column"] or "") != pv.detection.mapping.get(r["field"], "")}
        if new:
            st.session_state[f"mapping_{sha}"] = {**overrides, **new}
            st.rerun()

    st.markdown("**Parsed sample**")
    st.dataframe(pv.sample, hide_index=True)
    rejects = pv.rejects()
    if len(rejects):
        st.markdown(f"**Rejected lines** ({len(rejects):,}) — these will not load; everything else will.")
        st.dataframe(rejects.head(500), hide_index=True)
        auth.download_button("Download rejected lines (CSV)", to_safe_csv(rejects), f"rejects-{uploaded.name}.csv",
                             key="download_preview_rejects", permission="upload")
    save = st.checkbox("Remember this mapping for this source", key="upload_save_mapping")
    if st.button("Load", type="primary", key="upload_load"):
        bar = st.progress(0.0, text="Starting")
        result = state.load_preview(pv, save_mapping=save, actor=user.label,
                                    progress=lambda fraction, message: bar.progress(fraction, text=message))
        if result.status == "already imported":
            st.info(f"This file was already imported as #{result.duplicate_of}; nothing changed.")
        else:
            changed = result.outcome()
            st.success(f"Import #{result.import_id}: {result.rows_loaded:,} rows loaded"
                       + (f" ({changed})" if changed else "")
                       + f", {result.rows_rejected:,} rejected. Every page now shows the new data.")

st.divider()
st.subheader("Import history")
path, version = state.key()
history = state.imports(path, version)
if history.empty:
    st.info("Nothing imported yet.")
else:
    st.dataframe(history, hide_index=True)
    loaded = history[history["status"] == "loaded"]["import_id"].tolist()
    if loaded:
        left, right = st.columns(2)
        chosen = left.selectbox("Import", loaded, key="history_import")
        if left.button("Undo this import", key="history_undo"):
            removed = state.undo_import(int(chosen), actor=user.label)
            st.success(f"Import #{chosen} undone: " + ", ".join(f"{n:,} {t}" for t, n in removed.items() if n))
            st.rerun()
        rejected = state.import_rejects(path, version, int(chosen))
        with right:
            auth.download_button(f"Rejected lines of #{chosen} ({len(rejected):,})", to_safe_csv(rejected),
                                 f"import-{chosen}-rejects.csv", key="history_rejects", permission="upload")
