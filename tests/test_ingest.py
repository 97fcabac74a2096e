"""Imports: file mechanics, vendor formats, validation with rejects, atomicity, upsert and undo."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.ingest import load as ingest
from cx_metrics.ingest.errors import ImportRefused
from cx_metrics.ingest.normalize import Options
from cx_metrics.ingest.reader import read_table
from tests.conftest import REALDATA

DATA_TABLES = ["customers", "customer_activity", "tickets", "ticket_events", "survey_responses", "survey_answers",
               "imports", "import_rejects", "tickets_replaced", "customers_replaced", "survey_responses_replaced"]


@pytest.fixture
def conn(tmp_path: Path) -> db.Connection:
    c = db.connect(Settings().with_db(tmp_path / "imports.duckdb"))
    yield c
    c.close()


def checksum(conn: db.Connection) -> str:
    """Content fingerprint of every data table (order-independent)."""
    parts = []
    for table in DATA_TABLES:
        rows = conn.execute(f"SELECT * FROM {table}").fetchall()
        parts.append(f"{table}:{sorted(map(repr, rows))}")
    parts.append(str(db.data_version(conn)))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def imp(conn: db.Connection, data: bytes | Path, name: str = "file.csv", **kw: object) -> ingest.ImportResult:
    options = kw.pop("options", None) or Options()
    pv = ingest.preview(data, name=name, options=options, **kw)  # type: ignore[arg-type]
    return ingest.load(conn, pv)


# --- the real public exports ------------------------------------------------------------------------------

REAL = [
    ("ibm_telco_customer_churn.csv", "customers", "IBM Telco customer churn", 7043, 0),
    ("kaggle_customer_support_tickets_isodates_rewritten_text.csv", "tickets", "Kaggle customer support tickets",
     8469, 0),
    ("qualtrics_ropensci_sample_german_labels.csv", "surveys", "Qualtrics", 1, 0),
    ("qualtrics_ropensci_sample_legacy_export.csv", "surveys", "Qualtrics (legacy)", 1, 0),
    ("surveymonkey_fivethirtyeight_steak_risk_survey_prefix.csv", "surveys", "SurveyMonkey", 48, 0),
    ("zendesk_fivetran_seed_ticket_data.csv", "tickets", "Zendesk (API / Fivetran)", 8, 2),
    ("zendesk_fivetran_seed_ticket_field_history.csv", "ticket_events", "Zendesk (ticket field history)", 38, 0),
]


@pytest.mark.realdata
@pytest.mark.parametrize(("name", "kind", "vendor", "loaded", "rejected"), REAL)
def test_real_exports_import_with_the_right_kind_vendor_and_rows(
    conn: db.Connection, name: str, kind: str, vendor: str, loaded: int, rejected: int
) -> None:
    path = REALDATA / name
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared/realdata is absent)")
    pv = ingest.preview(path)
    assert (pv.prepared.kind, pv.prepared.vendor) == (kind, vendor)
    result = ingest.load(conn, pv)
    assert (result.rows_loaded, result.rows_rejected) == (loaded, rejected)
    assert ingest.load(conn, ingest.preview(path)).status == "already imported"


@pytest.mark.realdata
def test_real_quirks_are_handled(conn: db.Connection) -> None:
    if not REALDATA.exists():
        pytest.skip("../shared/realdata is absent")
    # Telco: TotalCharges is a lone space for new customers -> missing, not an error; Churn Yes -> churned
    imp(conn, REALDATA / "ibm_telco_customer_churn.csv", name="ibm_telco_customer_churn.csv")
    churned = conn.execute("SELECT count(*) FROM customers WHERE status = 'churned'").fetchone()
    assert churned == (1869,)
    blank = conn.execute(
        "SELECT count(*) FROM customers WHERE json_extract_string(attributes, '$.TotalCharges') IS NULL").fetchone()
    assert blank == (11,)
    # Zendesk/Fivetran: deleted tickets are rejected with their line, CRLF and no final newline handled
    result = imp(conn, REALDATA / "zendesk_fivetran_seed_ticket_data.csv", name="ticket_data.csv")
    rejects = ingest.rejects_of(conn, int(result.import_id or 0))
    assert list(rejects["line_number"]) == [2, 7]
    assert rejects["reason"].str.contains("deleted").all()
    # Legacy Qualtrics starts with a BOM and has an empty last column
    raw = read_table(REALDATA / "qualtrics_ropensci_sample_legacy_export.csv")
    assert raw.encoding == "utf-8-sig" and raw.columns[0] == "ResponseID"
    # Kaggle: ratings become CSAT responses on a 1-5 scale; open tickets without any time are kept
    imp(conn, REALDATA / "kaggle_customer_support_tickets_isodates_rewritten_text.csv", name="kaggle.csv")
    csat = conn.execute("SELECT count(*), min(score), max(score), any_value(scale_max) FROM survey_responses "
                        "WHERE source = 'kaggle_customer_support_tickets'").fetchone()
    assert csat == (2769, 1.0, 5.0, 5.0)
    undated = conn.execute("SELECT count(*) FROM tickets WHERE created_at IS NULL").fetchone()
    assert undated == (2819,)


# --- file mechanics -----------------------------------------------------------------------------------------

TICKETS_CSV = (
    "Ticket ID,Created at,Solved at,Status,Channel,Priority,Category,Subject\n"
    "1,2026-03-02 09:00,2026-03-02 11:00,solved,Email,High,Billing,Refund please\n"
    "2,2026-03-03 10:00,,open,Chat,Normal,Bug,\"Crash when I\nupload, twice\"\n"
    "3,2026-03-04 08:30,2026-03-05 08:30,closed,Phone,Low,How-to,Question\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_encodings_and_delimiters(conn: db.Connection, encoding: str, delimiter: str) -> None:
    text = TICKETS_CSV.replace("Refund please", "Remboursement été €").replace("\n", "\r\n")
    if delimiter != ",":
        text = text.replace(",", delimiter).replace(f"upload{delimiter} twice", "upload, twice")
    result = imp(conn, text.encode(encoding), name="t.csv")
    assert result.rows_loaded == 3 and result.rows_rejected == 0
    subjects = dict(conn.execute("SELECT ticket_id, subject FROM tickets").fetchall())
    assert subjects["1"] == "Remboursement été €"
    assert subjects["2"] == "Crash when I\r\nupload, twice"  # the line break inside quotes survives


def test_day_first_is_inferred_from_the_file(conn: db.Connection) -> None:
    csv = "Ticket ID,Created at\n1,03/04/2026 10:00\n2,25/04/2026 11:00\n"
    pv = ingest.preview(csv.encode(), name="t.csv")
    assert pv.prepared.ambiguous_dates == []
    ingest.load(conn, pv)
    assert conn.execute("SELECT created_at::DATE::VARCHAR FROM tickets ORDER BY ticket_id").fetchall() == [
        ("2026-04-03",), ("2026-04-25",)]


def test_ambiguous_dates_are_flagged_and_the_user_decides(conn: db.Connection) -> None:
    csv = b"Ticket ID,Created at\n1,03/04/2026\n2,05/06/2026\n"
    pv = ingest.preview(csv, name="t.csv")
    assert pv.prepared.ambiguous_dates == ["Created at"]
    assert pv.prepared.frame("tickets")["created_at"].dt.month.tolist() == [3, 5]  # MM/DD unless told
    pv = ingest.preview(csv, name="t.csv", options=Options(day_first=True))
    assert pv.prepared.ambiguous_dates == []
    assert pv.prepared.frame("tickets")["created_at"].dt.month.tolist() == [4, 6]


def test_missing_tokens_and_numbers_as_text(conn: db.Connection) -> None:
    csv = ("customer_id,signup_date,age,plan,MonthlyCharges\n"
           "a,2025-01-05,NA,Pro,\" 1,234.50\"\n"
           "b,N/A,41, ,\n"
           "c,2025-02-01, ,Basic,n/a\n")
    result = imp(conn, csv.encode(), name="crm.csv")
    assert result.rows_loaded == 3
    rows = conn.execute("SELECT customer_id, signup_at IS NULL, plan, json_extract_string(attributes, "
                        "'$.MonthlyCharges') FROM customers ORDER BY 1").fetchall()
    assert rows == [("a", False, "Pro", "1,234.50"), ("b", True, None, None), ("c", False, "Basic", None)]


def test_ragged_rows_are_rejected_with_their_line(conn: db.Connection) -> None:
    csv = b"Ticket ID,Created at,Status\n1,2026-03-02,open\n2,2026-03-03,open,EXTRA\n3,2026-03-04,open\n"
    result = imp(conn, csv, name="t.csv")
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    rej = ingest.rejects_of(conn, int(result.import_id or 0))
    assert rej.loc[0, "line_number"] == 3 and "4 fields" in rej.loc[0, "reason"]


@pytest.mark.parametrize("block_size", [300, 4096, 16 << 20])
def test_line_breaks_inside_quoted_values_across_parse_blocks(conn: db.Connection, block_size: int,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks split at any line break first; one that cuts a quoted value makes the reader track quotes."""
    from cx_metrics.ingest import reader

    monkeypatch.setattr(reader, "BLOCK_SIZE", block_size)
    rows = [b"Ticket ID,Created at,Status,Subject"]
    for i in range(300):
        subject = b'"first line\r\nsecond, with a comma"' if i % 7 == 3 else b"one line"
        rows.append(b"%d,2026-03-02 10:%02d:00,open,%s" % (i, i % 60, subject))
    rows.insert(40, b"999,2026-03-02 10:00:00,open,one line,EXTRA")  # ragged: line 41
    result = imp(conn, b"\n".join(rows) + b"\n", name="multiline.csv")
    assert (result.rows_loaded, result.rows_rejected) == (300, 1)
    rej = ingest.rejects_of(conn, int(result.import_id or 0))
    assert len(rej) == 1 and "5 fields" in rej.loc[0, "reason"]
    assert rej.loc[0, "line_number"] == 41 + sum(1 for i in range(39) if i % 7 == 3)  # CRLF inside counts too
    multi = conn.execute("SELECT count(*) FROM tickets WHERE subject LIKE 'first line%second, with a comma'")
    assert multi.fetchone() == (sum(1 for i in range(300) if i % 7 == 3),)


def test_bad_values_are_rejected_with_line_field_and_reason(conn: db.Connection) -> None:
    csv = (b"Ticket ID,Created at,Solved at,Reopens\n"
           b"1,2026-03-02 10:00,2026-03-02 12:00,0\n"
           b",2026-03-02 10:00,,0\n"
           b"3,2026-03-02 10:00,yesterday,0\n"
           b"4,2026-03-02 10:00,,many\n")
    pv = ingest.preview(csv, name="t.csv")
    rej = pv.rejects()
    assert list(rej["line"]) == [3, 4, 5]
    assert list(rej["field"]) == ["Ticket ID", "Solved at", "Reopens"]
    assert "not a date" in rej.loc[1, "reason"] and "'yesterday'" in rej.loc[1, "reason"]
    assert rej.loc[2, "raw"] == "4,2026-03-02 10:00,,many"
    result = ingest.load(conn, pv)
    assert (result.rows_loaded, result.rows_rejected) == (1, 3)


def test_xlsx_with_several_sheets(conn: db.Connection, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Notes"
    book.active.append(["exported by", "someone"])
    sheet = book.create_sheet("Tickets")
    sheet.append(["Ticket ID", "Created at", "Priority"])
    sheet.append([101, pd.Timestamp("2026-03-02 09:15").to_pydatetime(), "Urgent"])
    sheet.append([102, pd.Timestamp("2026-03-03 10:00").to_pydatetime(), "low"])
    path = tmp_path / "export.xlsx"
    book.save(path)
    pv = ingest.preview(path, sheet="Tickets")
    assert pv.raw.sheets == ["Notes", "Tickets"]
    ingest.load(conn, pv)
    assert conn.execute("SELECT ticket_id, created_at::VARCHAR, priority FROM tickets ORDER BY 1").fetchall() == [
        ("101", "2026-03-02 09:15:00", "urgent"), ("102", "2026-03-03 10:00:00", "low")]
    with pytest.raises(ImportRefused, match="no sheet named"):
        ingest.preview(path, sheet="Nope")


# --- vendor formats -----------------------------------------------------------------------------------------

ZENDESK_UI = (
    "Id,Requester,Requester email,Assignee,Group,Subject,Tags,Status,Priority,Via,Ticket type,Created at,"
    "Updated at,Solved at,Satisfaction Score,Group stations,Assignee stations,Reopens,Replies,"
    "First reply time in minutes,First reply time in minutes within business hours,"
    "First resolution time in minutes,Full resolution time in minutes,"
    "Full resolution time in minutes within business hours,Product [list],Contact reason [list]\n"
    "501,Ann Lee,ann@example.com,Bo,Billing,Charged twice,billing vip,Solved,High,Web Form,Incident,"
    "2026-03-02 09:00:00,2026-03-03 09:00:00,2026-03-02 21:00:00,Good,1,2,0,3,30,30,720,720,600,Pro,billing\n"
    "502,Cy Diaz,cy@example.com,Bo,Tier 1,How do I export,,Open,Normal,Chat,Question,"
    "2026-03-04 10:00:00,2026-03-04 10:05:00,,Offered,1,1,0,1,5,5,,,,Basic,how_to\n"
    "503,Di Ng,di@example.com,Ed,Tier 2,App crashes,bug,Closed,Urgent,Email,Problem,"
    "2026-03-05 08:00:00,2026-03-09 08:00:00,1900-01-01 00:00:00,Bad,3,4,1,7,90,60,1440,2880,1200,Pro,bug\n"
)


def test_zendesk_ui_export(conn: db.Connection) -> None:
    pv = ingest.preview(ZENDESK_UI.encode(), name="zendesk.csv")
    assert pv.prepared.vendor == "Zendesk (UI/Explore export)"
    ingest.load(conn, pv)
    rows = conn.execute(
        "SELECT ticket_id, first_response_at::VARCHAR, solved_at::VARCHAR, status, channel, is_complaint, "
        "satisfaction_scale, satisfaction_score, vendor_full_resolution_minutes, reopens, customer_id "
        "FROM tickets ORDER BY ticket_id").fetchall()
    assert rows[0][:10] == ("501", "2026-03-02 09:30:00", "2026-03-02 21:00:00", "solved", "web", True,
                            "good_bad", 1.0, 720.0, 0.0)
    assert rows[1][5] is False and rows[1][6] == "offered" and rows[1][7] is None
    assert rows[2][2] is None  # 1900-01-01 means "never", not a date in 1900
    assert rows[0][10].startswith("email:")  # the email is not stored in clear
    stored = conn.execute("SELECT count(*) FROM tickets WHERE attributes::VARCHAR LIKE '%@example.com%' "
                          "OR attributes::VARCHAR LIKE '%Ann Lee%'").fetchone()
    assert stored == (0,)
    assert conn.execute("SELECT json_extract_string(attributes, '$.\"Product [list]\"') FROM tickets "
                        "WHERE ticket_id = '501'").fetchone() == ("Pro",)
    csat = conn.execute("SELECT count(*), sum(score) FROM survey_responses WHERE metric = 'csat'").fetchone()
    assert csat == (2, 1.0)  # Good and Bad are responses; Offered is not
    categories = conn.execute("SELECT ticket_id, category FROM tickets ORDER BY 1").fetchall()
    assert categories == [("501", "billing"), ("502", "how_to"), ("503", "bug")]  # the "[list]" custom field


QUALTRICS_NPS = (
    'StartDate,EndDate,Status,ResponseId,ExternalReference,Q1,Q1_NPS_GROUP,Q2,Q3\n'
    '"Start Date","End Date","Response Type","Response ID","External Data Reference",'
    '"How likely are you to recommend us to a friend?","Q1 - Group","How satisfied were you with support?",'
    '"Why did you give this score?"\n'
    "{'ImportId': 'startDate'},{'ImportId': 'endDate'},{'ImportId': 'status'},{'ImportId': '_recordId'},"
    "{'ImportId': 'externalDataReference'},{'ImportId': 'QID1'},{'ImportId': 'QID1_NPS_GROUP'},"
    "{'ImportId': 'QID2'},{'ImportId': 'QID3_TEXT'}\n"
    "2026-03-01 10:00:00,2026-03-01 10:02:00,IP Address,R_1,C1,10,Promoter,5,Great support\n"
    "2026-03-01 11:00:00,2026-03-01 11:02:00,IP Address,R_2,C2,3,Detractor,2,Slow and unhelpful\n"
    "2026-03-01 12:00:00,2026-03-01 12:02:00,Survey Preview,R_3,,9,Promoter,4,test\n"
)


def test_qualtrics_with_python_dict_import_ids_nps_and_csat(conn: db.Connection) -> None:
    pv = ingest.preview(QUALTRICS_NPS.encode(), name="qualtrics.csv")
    assert pv.prepared.vendor == "Qualtrics"
    result = ingest.load(conn, pv)
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)  # the preview response is rejected
    rows = conn.execute("SELECT response_id, metric, score, scale_min, scale_max, comment, customer_id "
                        "FROM survey_responses ORDER BY response_id, metric").fetchall()
    assert rows == [
        ("R_1", "csat", 5.0, 1.0, 5.0, "Great support", "C1"), ("R_1", "nps", 10.0, 0.0, 10.0, "Great support", "C1"),
        ("R_2", "csat", 2.0, 1.0, 5.0, "Slow and unhelpful", "C2"),
        ("R_2", "nps", 3.0, 0.0, 10.0, "Slow and unhelpful", "C2")]
    answers = conn.execute("SELECT DISTINCT question_id FROM survey_answers ORDER BY 1").fetchall()
    assert answers == [("QID1_NPS_GROUP",), ("QID3_TEXT",)]


def test_surveymonkey_sub_labels_and_generic_score(conn: db.Connection) -> None:
    csv = ("Respondent ID,End Date,How likely is it that you would recommend us?,Which features do you use?,,\n"
           ",,Response,Reports,Alerts,Open-Ended Response\n"
           "11,03/01/2026 10:00:00 AM,9,Reports,,\n"
           "12,03/02/2026 11:00:00 AM,6,,Alerts,hard to set up\n")
    pv = ingest.preview(csv.encode(), name="monkey.csv")
    assert pv.prepared.vendor == "SurveyMonkey"
    assert "Which features do you use? - Alerts" in pv.raw.columns
    ingest.load(conn, pv)
    assert conn.execute("SELECT response_id, score FROM survey_responses ORDER BY 1").fetchall() == [
        ("11", 9.0), ("12", 6.0)]


def test_effort_on_a_legacy_five_point_scale_is_reversed(conn: db.Connection) -> None:
    csv = (b"Response ID,Timestamp,How much effort did you personally have to put forth?\n"
           b"x,2026-03-01,2\ny,2026-03-02,5\n")
    ingest.load(conn, ingest.preview(csv, name="ces.csv"))
    assert conn.execute("SELECT DISTINCT metric, scale_max, higher_is_better FROM survey_responses").fetchall() == [
        ("ces", 5.0, False)]


# --- refusals: clear errors, nothing written ------------------------------------------------------------

BROKEN: list[tuple[str, bytes, str]] = [
    ("empty.csv", b"", "empty"),
    ("blank.csv", b"   \n\n", "empty"),
    ("header_only.csv", b"Ticket ID,Created at\n", "no data rows"),
    ("binary.csv", bytes(range(256)) * 40, "binary"),
    ("wrong_kind.csv", b"colour,size\nred,3\nblue,4\n", "does not look like"),
    ("bad_dates.csv", b"Ticket ID,Created at\n1,someday\n2,never\n", "does not hold dates"),
    ("no_ids.csv", b"Ticket ID,Created at\n,2026-03-01\n,2026-03-02\n", "none of its 2 rows can be loaded"),
    ("truncated.xlsx", b"PK\x03\x04" + b"\x00" * 64, "not a readable spreadsheet"),
    ("bad.json", b'{"conversations": [{"id": 1,', "not valid JSON"),
    ("scores_bad_dates.csv", b"Response ID,Response Date,How likely to recommend us\na,soon,9\nb,later,7\n",
     "need a response date"),
]


@pytest.mark.parametrize(("name", "data", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_files_are_refused_and_change_nothing(
    conn: db.Connection, name: str, data: bytes, message: str
) -> None:
    imp(conn, TICKETS_CSV.encode(), name="before.csv")
    before = checksum(conn)
    with pytest.raises(ImportRefused, match=message):
        imp(conn, data, name=name)
    assert checksum(conn) == before


def test_a_failure_during_load_rolls_back_everything(conn: db.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    imp(conn, TICKETS_CSV.encode(), name="before.csv")
    before = checksum(conn)
    pv = ingest.preview(ZENDESK_UI.encode(), name="zendesk.csv")
    real_link = ingest._link_customers_by_email

    def explode(cur: object, import_id: int) -> None:
        real_link(cur, import_id)  # type: ignore[arg-type]
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest, "_link_customers_by_email", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest.load(conn, pv)
    assert checksum(conn) == before


# --- duplicates, upserts, undo ------------------------------------------------------------------------------


def test_duplicate_ids_in_one_file_keep_the_newest_and_report_the_rest(conn: db.Connection) -> None:
    csv = (b"id,created_at,updated_at,status\n"
           b"7,2026-03-01 10:00,2026-03-05 10:00,solved\n"
           b"7,2026-03-01 10:00,2026-03-02 10:00,open\n"
           b"8,2026-03-01 11:00,2026-03-01 11:00,open\n")
    result = imp(conn, csv, name="dups.csv")
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    assert conn.execute("SELECT status FROM tickets WHERE ticket_id = '7'").fetchone() == ("solved",)
    rej = ingest.rejects_of(conn, int(result.import_id or 0))
    assert rej.loc[0, "line_number"] == 3 and "duplicate" in rej.loc[0, "reason"]


@pytest.mark.parametrize(("ids", "loaded", "rejected"), [
    (["1", "2", "3"], 3, 0),          # numeric, increasing: no repeat
    (["3", "1", "2", "1"], 3, 1),     # numeric, unordered, one repeat
    (["7", "007"], 2, 0),             # one number, two distinct ids: both kept
    (["A-1", "A-2", "A-1"], 2, 1),    # text ids (Jira keys)
    (["B-2", "A-1", "C-3"], 3, 0),    # text ids, unordered, none repeated
    (["INC01", "INC02", "INC02"], 2, 1),  # text ids in order, the last repeated
    (["a-1", "A-1", "Ä-1"], 3, 0),    # text ids that differ only in case or accent: three ids
    (["10", "9", "", "10"], 2, 2),    # a missing id is its own reject, the repeat another
    ([" 7", "7"], 1, 1),              # the same id once trimmed
])
def test_repeated_ids_are_found_whatever_their_shape(conn: db.Connection, ids: list[str], loaded: int,
                                                     rejected: int) -> None:
    csv = "id,created_at,status\n" + "".join(f"{i},2026-03-0{n + 1} 10:00,open\n" for n, i in enumerate(ids))
    result = imp(conn, csv.encode(), name="ids.csv")
    assert (result.rows_loaded, result.rows_rejected) == (loaded, rejected)


def test_overlapping_exports_upsert_and_undo_restores(conn: db.Connection) -> None:
    first = imp(conn, b"id,created_at,updated_at,status\n1,2026-03-01,2026-03-01,open\n2,2026-03-01,2026-03-01,open\n",
                name="monday.csv", options=Options(source="zd"))
    after_first = checksum(conn)
    tuesday = b"id,created_at,updated_at,status\n2,2026-03-01,2026-03-03,solved\n3,2026-03-02,2026-03-02,new\n"
    second = imp(conn, tuesday, name="tuesday.csv", options=Options(source="zd"))
    assert second.replaced == 1
    assert conn.execute("SELECT ticket_id, status FROM tickets ORDER BY 1").fetchall() == [
        ("1", "open"), ("2", "solved"), ("3", "new")]
    stale = imp(conn, b"id,created_at,updated_at,status\n2,2026-03-01,2026-03-02,pending\n",
                name="old.csv", options=Options(source="zd"))
    assert conn.execute("SELECT status FROM tickets WHERE ticket_id = '2'").fetchone() == ("solved",)  # newest wins
    # one row per (source, ticket id), whatever the order of the overlapping exports
    assert conn.execute("SELECT count(*), count(DISTINCT (source, ticket_id)) FROM tickets").fetchone() == (3, 3)
    ingest.undo(conn, int(stale.import_id or 0))
    ingest.undo(conn, int(second.import_id or 0))
    assert conn.execute("SELECT ticket_id, status, import_id FROM tickets ORDER BY 1").fetchall() == [
        ("1", "open", first.import_id), ("2", "open", first.import_id)]
    statuses = dict(conn.execute("SELECT import_id, status FROM imports").fetchall())
    assert statuses[second.import_id] == "undone"
    assert checksum(conn) != after_first  # the import history records the undos; the tickets are as before
    with pytest.raises(ImportRefused, match="only a loaded import"):
        ingest.undo(conn, int(second.import_id or 0))
    with pytest.raises(ImportRefused, match="no import #999"):
        ingest.undo(conn, 999)


def test_reimporting_the_same_file_is_a_no_op(conn: db.Connection) -> None:
    first = imp(conn, TICKETS_CSV.encode(), name="t.csv")
    before = checksum(conn)
    again = imp(conn, TICKETS_CSV.encode(), name="t-copy.csv")
    assert again.status == "already imported" and again.duplicate_of == first.import_id
    assert checksum(conn) == before


def test_reimporting_the_same_tickets_from_another_format_says_nothing_changed(
        conn: db.Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same tickets as CSV, then as JSON and as an XLSX workbook: new, updated and unchanged rows, on the
    result, in the import history and from `cx import`."""
    from openpyxl import Workbook

    from cx_metrics import cli

    first = imp(conn, TICKETS_CSV.encode(), name="t.csv", options=Options(source="zd"))
    assert first.outcome() == "3 new, 0 updated, 0 unchanged"
    records = list(__import__("csv").DictReader(io.StringIO(TICKETS_CSV)))
    again = imp(conn, json.dumps(records).encode(), name="t.json", options=Options(source="zd"))
    assert again.status == "loaded" and again.outcome() == "0 new, 0 updated, 3 unchanged"
    book = Workbook()
    sheet = book.active
    sheet.append(list(records[0]))
    for record in records:
        sheet.append(list(record.values()))
    sheet.append(["4", "2026-03-06 09:00", "", "new", "Email", "High", "Billing", "Another"])
    sheet.cell(row=2, column=4, value="closed")  # ticket 1 changed
    path = tmp_path / "t.xlsx"
    book.save(path)
    third = imp(conn, path, options=Options(source="zd"))
    assert (third.summary["rows_new"], third.summary["rows_updated"], third.summary["rows_unchanged"]) == (1, 1, 2)
    history = ingest.history(conn).set_index("import_id")
    assert history.loc[again.import_id, ["rows_new", "rows_updated", "rows_unchanged"]].tolist() == [0, 0, 3]
    assert history.loc[third.import_id, ["rows_new", "rows_updated", "rows_unchanged"]].tolist() == [1, 1, 2]
    # a version older than the stored one is left alone and said so
    older = (b"Ticket ID,Created at,Updated at,Status\n"
             b"1,2026-03-02 09:00,2020-01-01 00:00,open\n5,2026-03-02 09:00,2026-03-02 09:00,open\n")
    imp(conn, older.replace(b"2020-01-01", b"2026-03-09"), name="u1.csv", options=Options(source="zd"))
    stale = imp(conn, older, name="u2.csv", options=Options(source="zd"))
    assert stale.outcome() == "0 new, 0 updated, 1 unchanged, 1 older than the stored version (kept the stored one)"
    csv_path = tmp_path / "t.csv"
    csv_path.write_text(TICKETS_CSV)
    target = tmp_path / "cli.duckdb"
    assert cli.main(["import", str(csv_path), "--db", str(target), "--source", "zd"]) == 0
    (tmp_path / "t2.json").write_text(json.dumps(records))
    capsys.readouterr()
    assert cli.main(["import", str(tmp_path / "t2.json"), "--db", str(target), "--source", "zd"]) == 0
    printed = capsys.readouterr().out
    assert "rows_unchanged: 3" in printed and "rows_new: 0" in printed


def test_values_derived_from_ticket_events_are_no_change_on_reimport(conn: db.Connection) -> None:
    tickets = b"id,created_at,updated_at,status\n7,2026-03-01 10:00,2026-03-02 10:00,solved\n"
    imp(conn, tickets, name="tickets.csv", options=Options(source="zd"))
    events = (b"field_name,ticket_id,updated,value\nstatus,7,2026-03-01 10:00,open\n"
              b"status,7,2026-03-02 09:00,solved\n")
    imp(conn, events, name="history.csv", options=Options(source="zd"))
    assert conn.execute("SELECT solved_at IS NOT NULL FROM tickets").fetchone() == (True,)  # filled from events
    again = imp(conn, tickets.replace(b"\n7,", b"\n7 ,"), name="tickets-again.csv", options=Options(source="zd"))
    assert again.outcome() == "0 new, 0 updated, 1 unchanged"


def test_import_bumps_the_data_version_and_metrics_see_it(conn: db.Connection) -> None:
    from cx_metrics.filters import Period
    from cx_metrics.metrics import overview

    v0 = db.data_version(conn)
    imp(conn, TICKETS_CSV.encode(), name="t.csv")
    assert db.data_version(conn) == v0 + 1
    import datetime as dt

    tiles = overview.kpis(conn, period=Period(dt.date(2026, 3, 2), dt.date(2026, 3, 8))).set_index("metric")
    assert tiles.loc["complaints", "value"] == 1  # ticket 2 is in the "Bug" category
    assert tiles.loc["resolution", "n"] == 3  # Kaplan-Meier: the open ticket counts, as still waiting


def test_customers_link_tickets_by_hashed_email(conn: db.Connection) -> None:
    imp(conn, b"customer_id,email,plan\nC-9,Ann@Example.com,Pro\n", name="crm.csv")
    imp(conn, ZENDESK_UI.encode(), name="zendesk.csv")
    assert conn.execute("SELECT customer_id FROM tickets WHERE ticket_id = '501'").fetchone() == ("C-9",)
    assert conn.execute("SELECT count(*) FROM customers WHERE attributes::VARCHAR LIKE '%Example%'").fetchone() == (0,)


def test_intercom_conversations_json(conn: db.Connection) -> None:
    doc = {"type": "conversation.list", "conversations": [
        {"id": "c1", "created_at": 1772442000, "updated_at": 1772449200, "state": "closed",
         "source": {"type": "conversation", "delivered_as": "customer_initiated", "subject": "Refund",
                    "body": "<p>I want my money back</p>", "author": {"id": "u1", "email": "x@y.z"}},
         "statistics": {"first_contact_reply_at": 1772442600, "first_close_at": 1772446000,
                        "last_close_at": 1772449000, "count_reopens": 1, "count_assignments": 2},
         "conversation_rating": {"rating": 4, "remark": "ok"}, "tags": {"tags": [{"name": "billing"}]}},
        {"id": "c2", "created_at": 1772528400, "updated_at": 1772528400, "state": "open",
         "source": {"type": "chat", "delivered_as": "customer_initiated", "subject": "", "body": "hi",
                    "author": {"id": "u2", "email": "q@y.z"}},
         "statistics": {"first_contact_reply_at": None, "first_close_at": None, "last_close_at": None,
                        "count_reopens": 0, "count_assignments": 1},
         "conversation_rating": {"rating": None, "remark": None}, "tags": {"tags": []}},
    ]}
    pv = ingest.preview(json.dumps(doc).encode(), name="intercom.json")
    assert (pv.prepared.kind, pv.prepared.vendor) == ("tickets", "Intercom (conversations JSON)")
    ingest.load(conn, pv)
    row = conn.execute("SELECT created_at::VARCHAR, first_response_at::VARCHAR, reopens, status, customer_id "
                       "FROM tickets WHERE ticket_id = 'c1'").fetchone()
    assert row == ("2026-03-02 09:00:00", "2026-03-02 09:10:00", 1.0, "closed", "u1")


def test_reader_is_exposed_for_streams() -> None:
    raw = read_table(io.BytesIO(TICKETS_CSV.encode()).getvalue(), name="x.csv")
    assert raw.columns[:2] == ["Ticket ID", "Created at"] and len(raw.data) == 3


def test_jira_service_management_export(conn: db.Connection) -> None:
    csv = ("Issue key,Issue id,Summary,Issue Type,Status,Priority,Resolution,Assignee,Reporter,Created,Updated,"
           "Resolved,Time to first response,Time to resolution\n"
           "SUP-1,1001,VPN down,Incident,Done,Highest,Done,Kim,Lee,05/Mar/26 9:15 AM,06/Mar/26 10:00 AM,"
           "06/Mar/26 9:00 AM,0:45,-1:30\n"
           "SUP-2,1002,New laptop,Service request,Waiting for customer,Medium,,Kim,Ray,06/Mar/26 2:00 PM,"
           "06/Mar/26 3:00 PM,,-0:10,7:00\n")
    pv = ingest.preview(csv.encode(), name="jira.csv")
    assert pv.prepared.vendor == "Jira Service Management"
    assert any("1 tickets breached" in w for w in pv.prepared.warnings)
    ingest.load(conn, pv)
    rows = conn.execute(
        "SELECT ticket_id, created_at::VARCHAR, solved_at::VARCHAR, status, priority, is_complaint, "
        "json_extract_string(attributes, '$.\"Time to resolution\"') FROM tickets ORDER BY 1").fetchall()
    assert rows == [
        ("SUP-1", "2026-03-05 09:15:00", "2026-03-06 09:00:00", "solved", "urgent", True, "-1:30"),
        ("SUP-2", "2026-03-06 14:00:00", None, "pending", "normal", False, "7:00")]


def test_freshdesk_export(conn: db.Connection) -> None:
    csv = ("Ticket ID,Subject,Status,Priority,Source,Type,Agent,Group,Created time,Due by Time,Resolved time,"
           "Closed time,Last update time,Initial response time,Survey results,Agent interactions\n"
           "77,Where is my order,Closed,Medium,Email,Problem,Ana,Logistics,2026-03-05 09:00:00,"
           "2026-03-06 09:00:00,2026-03-05 17:00:00,2026-03-07 17:00:00,2026-03-07 17:00:00,"
           "2026-03-05 09:30:00,Extremely Unhappy,3\n"
           "78,Invoice copy,Pending,Low,Portal,Question,Ana,Billing,2026-03-06 10:00:00,2026-03-07 10:00:00,,,"
           "2026-03-06 12:00:00,2026-03-06 11:00:00,,1\n")
    pv = ingest.preview(csv.encode(), name="freshdesk.csv")
    assert pv.prepared.vendor == "Freshdesk"
    ingest.load(conn, pv)
    rows = conn.execute("SELECT ticket_id, first_response_at::VARCHAR, solved_at::VARCHAR, status, channel, "
                        "satisfaction_score, replies FROM tickets ORDER BY 1").fetchall()
    assert rows == [("77", "2026-03-05 09:30:00", "2026-03-05 17:00:00", "closed", "email", 1.0, 3.0),
                    ("78", "2026-03-06 11:00:00", None, "pending", "web", None, 1.0)]
    assert conn.execute("SELECT metric, score, scale_max FROM survey_responses").fetchall() == [("csat", 1.0, 5.0)]


SURVEY_EXPORTS = [
    (  # Typeform: "#" token, question columns, UTC submit date, network id
        "typeform.csv",
        "#,How likely are you to recommend Acme to a friend?,What is the main reason for your score?,"
        "Start Date (UTC),Submit Date (UTC),Network ID,Tags\n"
        "tok1,10,Fast delivery,2026-03-01 09:59:00,2026-03-01 10:00:00,n1,\n"
        "tok2,4,Support never answered,2026-03-02 11:00:00,2026-03-02 11:01:30,n2,\n",
        "Typeform",
        [("tok1", "nps", 10.0, 10.0, "Fast delivery"), ("tok2", "nps", 4.0, 10.0, "Support never answered")],
    ),
    (  # Google Forms: US timestamps without leading zeros, a 1-5 satisfaction question, an email column
        "google.csv",
        "Timestamp,Email Address,How satisfied are you with our support?,Anything else?\n"
        "3/1/2026 10:00:00,a@x.org,5,\n"
        "3/14/2026 16:45:10,b@x.org,2,Too slow\n",
        "Google Forms", [("row2", "csat", 5.0, 5.0, None), ("row3", "csat", 2.0, 5.0, "Too slow")],
    ),
    (  # Delighted: Score 0-10 with offsets in the timestamp
        "delighted.csv",
        "Response ID,Score,Comment,Response Timestamp,Person ID,Email,Survey Type\n"
        "901,9,Love it,2026-03-01 10:00:00 -0800,p1,c@x.org,nps\n"
        "902,0,Cancelled,2026-03-02 10:00:00 +0100,p2,d@x.org,nps\n",
        "Delighted", [("901", "nps", 9.0, 10.0, "Love it"), ("902", "nps", 0.0, 10.0, "Cancelled")],
    ),
]


@pytest.mark.parametrize(("name", "text", "vendor", "expected"), SURVEY_EXPORTS, ids=[s[0] for s in SURVEY_EXPORTS])
def test_survey_vendor_exports(
    conn: db.Connection, name: str, text: str, vendor: str, expected: list[tuple[object, ...]]
) -> None:
    pv = ingest.preview(text.encode(), name=name)
    assert (pv.prepared.kind, pv.prepared.vendor) == ("surveys", vendor)
    ingest.load(conn, pv)
    rows = conn.execute("SELECT response_id, metric, score, scale_max, comment FROM survey_responses "
                        "ORDER BY response_id").fetchall()
    assert rows == expected
    assert conn.execute("SELECT count(*) FROM survey_responses WHERE responded_at IS NULL").fetchone() == (0,)


def test_survey_timestamps_with_offsets_are_stored_in_utc(conn: db.Connection) -> None:
    ingest.load(conn, ingest.preview(SURVEY_EXPORTS[2][1].encode(), name="delighted.csv"))
    assert conn.execute("SELECT response_id, responded_at::VARCHAR FROM survey_responses ORDER BY 1").fetchall() == [
        ("901", "2026-03-01 18:00:00"), ("902", "2026-03-02 09:00:00")]


def test_a_fixed_mapping_is_saved_per_source_and_reused(conn: db.Connection) -> None:
    csv = b"Ref,Opened on,Kanal\nA1,2026-03-02 10:00,Chat\nA2,2026-03-03 10:00,E-Mail\n"
    # names no list holds are understood from their words and values (German "Kanal" = channel)
    guess = ingest.preview(csv, name="crm-tickets.csv", conn=conn).detection
    assert guess.kind == "tickets" and guess.mapping["created_at"] == "Opened on"
    assert guess.mapping["channel"] == "Kanal"
    mapping = {"ticket_id": "Ref", "created_at": "Opened on", "channel": "Kanal"}
    pv = ingest.preview(csv, name="crm-tickets.csv", kind="tickets", mapping=mapping,
                        options=Options(source="legacy_crm"), conn=conn)
    ingest.load(conn, pv, save_mapping=True)
    nxt = b"Ref,Opened on,Kanal\nA3,2026-03-04 10:00,Phone\n"
    pv = ingest.preview(nxt, name="next-week.csv", conn=conn)  # recognised by the saved mapping's columns
    assert pv.detection.mapping["ticket_id"] == "Ref" and pv.detection.mapping["channel"] == "Kanal"
    assert "column mapping saved for this source" in pv.detection.reasons
    assert pv.prepared.source == "legacy_crm"
    ingest.load(conn, pv)
    assert conn.execute("SELECT ticket_id, channel FROM tickets ORDER BY 1").fetchall() == [
        ("A1", "chat"), ("A2", "email"), ("A3", "phone")]


def test_cells_are_trimmed_of_any_whitespace_and_decimal_commas_read(conn: db.Connection) -> None:
    csv = ("Ticket ID;Created at;Reopens;Full resolution time in minutes;Status\n"
           "\u00a0T1\t;02.03.2026 10:00;1;1.234,5; Solved \n"
           "T2;03.03.2026 11:00; - ;12,0;N/A\n").encode("utf-8")
    pv = ingest.preview(csv, name="eu.csv")
    assert pv.raw.delimiter == ";"
    ingest.load(conn, pv)
    rows = conn.execute("SELECT ticket_id, created_at::VARCHAR, reopens, vendor_full_resolution_minutes, status, "
                        "status_raw FROM tickets ORDER BY 1").fetchall()
    assert rows == [("T1", "2026-03-02 10:00:00", 1.0, 1234.5, "solved", "Solved"),
                    ("T2", "2026-03-03 11:00:00", None, 12.0, "open", None)]


def test_local_times_are_converted_to_utc(conn: db.Connection) -> None:
    csv = (b"Ticket ID,Created at,Solved at\n"
           b"1,2026-07-01 10:00,2026-07-01 12:00:00+00:00\n"   # summer: Paris is UTC+2; an explicit offset wins
           b"2,2026-01-15 10:00,\n")                            # winter: UTC+1
    ingest.load(conn, ingest.preview(csv, name="paris.csv", options=Options(timezone="Europe/Paris")))
    assert conn.execute("SELECT ticket_id, created_at::VARCHAR, solved_at::VARCHAR FROM tickets ORDER BY 1"
                        ).fetchall() == [("1", "2026-07-01 08:00:00", "2026-07-01 12:00:00"),
                                         ("2", "2026-01-15 09:00:00", None)]
    us = b"Ticket ID,Created at\n7,07/01/2026 10:00 AM\n"
    pv = ingest.preview(us, name="ny.csv", options=Options(timezone="America/New_York", source="ny"))
    assert str(pv.prepared.frame("tickets").loc[0, "created_at"]) == "2026-07-01 14:00:00"
    survey = b"Response ID,Timestamp,How likely are you to recommend us?\nr1,2026-01-15 10:00,9\n"
    pv = ingest.preview(survey, name="s.csv", options=Options(timezone="Europe/Paris"))
    assert str(pv.prepared.frame("survey_responses").loc[0, "responded_at"]) == "2026-01-15 09:00:00"
    with pytest.raises(ImportRefused, match="not a time zone"):
        Options(timezone="Mars/Olympus")


def test_zendesk_ui_export_as_xlsx(conn: db.Connection, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for line in ZENDESK_UI.strip().splitlines():
        sheet.append(next(iter(__import__("csv").reader([line]))))
    path = tmp_path / "zendesk-export.xlsx"
    book.save(path)
    pv = ingest.preview(path)
    assert pv.prepared.vendor == "Zendesk (UI/Explore export)"
    result = ingest.load(conn, pv)
    assert (result.rows_loaded, result.rows_rejected) == (3, 0)
    assert conn.execute("SELECT solved_at FROM tickets WHERE ticket_id = '503'").fetchone() == (None,)


def test_help_scout_export(conn: db.Connection) -> None:
    csv = ("Conversation ID,Number,Subject,Status,Customer,Customer Email,Mailbox,Assigned To,Created At,"
           "Closed At,First Response At,Tags,Type\n"
           "9001,1201,Cannot export,closed,Ann Lee,ann@example.com,Support,Bo,2026-03-02T09:00:00Z,"
           "2026-03-02T15:00:00Z,2026-03-02T09:20:00Z,\"bug, export\",email\n"
           "9002,1202,Pricing question,active,Cy Diaz,cy@example.com,Sales,,2026-03-03T10:00:00Z,,,,chat\n")
    pv = ingest.preview(csv.encode(), name="helpscout.csv")
    assert pv.prepared.vendor == "Help Scout"
    ingest.load(conn, pv)
    rows = conn.execute("SELECT ticket_id, status, channel, group_name, solved_at::VARCHAR, tags, is_complaint "
                        "FROM tickets ORDER BY 1").fetchall()
    assert rows == [("1201", "closed", "email", "Support", "2026-03-02 15:00:00", ["bug", "export"], True),
                    ("1202", "open", "chat", "Sales", None, None, False)]


def test_nps_on_a_one_to_ten_scale_and_choice_text_csat(conn: db.Connection) -> None:
    csv = ("Response ID,Submitted,On a scale of 1 to 10 how likely are you to recommend us?,"
           "Overall how satisfied are you with our service?\n"
           "a,2026-03-01,10,Very satisfied\nb,2026-03-02,1,Dissatisfied\nc,2026-03-03,7,Neutral\n")
    ingest.load(conn, ingest.preview(csv.encode(), name="s.csv"))
    rows = conn.execute("SELECT metric, response_id, score, scale_min, scale_max FROM survey_responses "
                        "ORDER BY 1, 2").fetchall()
    assert rows == [("csat", "a", 5.0, 1.0, 5.0), ("csat", "b", 2.0, 1.0, 5.0), ("csat", "c", 3.0, 1.0, 5.0),
                    ("nps", "a", 10.0, 1.0, 10.0), ("nps", "b", 1.0, 1.0, 10.0), ("nps", "c", 7.0, 1.0, 10.0)]


def test_customer_activity_log(conn: db.Connection) -> None:
    csv = (b"customer_id,order date,event type,order total\n"
           b"C1,2026-03-01,order,19.90\nC1,2026-04-01,order,\nC2,,login,\n")
    result = imp(conn, csv, name="orders.csv")
    assert (result.summary["kind"], result.rows_loaded, result.rows_rejected) == ("activity", 2, 1)
    assert conn.execute("SELECT customer_id, occurred_at::DATE::VARCHAR, kind, amount FROM customer_activity "
                        "ORDER BY 2").fetchall() == [("C1", "2026-03-01", "order", 19.9), ("C1", "2026-04-01",
                                                                                              "order", None)]


def test_a_one_megabyte_cell_loads_safely(conn: db.Connection) -> None:
    huge = "x" * 1_000_000
    csv = f'Ticket ID,Created at,Description\n1,2026-03-02 10:00,"{huge}"\n2,2026-03-02 11:00,short\n'.encode()
    result = imp(conn, csv, name="huge.csv")
    assert result.rows_loaded == 2
    assert conn.execute("SELECT length(description) FROM tickets WHERE ticket_id = '1'").fetchone() == (1_000_000,)


def test_mixed_encodings_load_with_a_warning(conn: db.Connection) -> None:
    text = "Ticket ID,Created at,Subject\n1,2026-03-02,caf\u00e9 cr\u00e8me\n".encode()
    data = text + "2,2026-03-03,na\u00efve\n".encode("cp1252")  # a UTF-8 file with one Windows-1252 line
    pv = ingest.preview(data, name="mixed.csv")
    assert any("not UTF-8 throughout" in w for w in pv.prepared.warnings)
    ingest.load(conn, pv)
    subjects = dict(conn.execute("SELECT ticket_id, subject FROM tickets").fetchall())
    assert subjects == {"1": "caf\u00e9 cr\u00e8me", "2": "na\u00efve"}  # each line in its own encoding


def test_random_binary_is_refused_not_decoded() -> None:
    import random

    rng = random.Random(5)
    noise = bytes(rng.randrange(256) for _ in range(50_000))
    with pytest.raises(ImportRefused, match="binary"):
        ingest.preview(noise, name="photo.csv")


def test_a_legacy_encoding_far_into_a_big_file_is_still_detected(conn: db.Connection) -> None:
    """UTF-8 files are validated by the parser; a Windows-1252 byte after the first megabytes sends the file
    back through encoding detection instead of failing or garbling it."""
    rows = "".join(f"{i},2026-03-01 10:00,open,email,plain subject {i}\n" for i in range(60_000))
    tail = "X1,2026-03-02 10:00,open,email,Déjà vu 20 €\n"
    data = ("Ticket ID,Created at,Status,Channel,Subject\n" + rows).encode() + tail.encode("cp1252")
    assert len(data) > 2_000_000
    pv = ingest.preview(data, name="big.csv")
    assert pv.raw.encoding == "cp1252"
    assert any("not UTF-8" in w for w in pv.prepared.warnings)
    ingest.load(conn, pv)
    assert conn.execute("SELECT subject FROM tickets WHERE ticket_id = 'X1'").fetchone() == ("Déjà vu 20 €",)


def test_labels_written_over_several_lines_are_stored_on_one_line(conn: db.Connection) -> None:
    """A label cell over several lines (GLPI's several technicians, a workbook cell's Alt+Enter; CRLF or LF) is
    stored with its lines joined by ", ", and so is the value of an unmapped column kept as an attribute (a filter
    and a column of its own); a header over several lines names its kept column on one line."""
    data = (b"Id,Subject,Status,Created at,Category,Assignee,\"Customer\r\n  Segment\"\r\n"
            b"1,Refund,Solved,2026-03-01 10:00,\"Billing\r\nRefunds\",\"DUPONT Marie\nBERNARD Anne\",Gold\r\n"
            b"2,Login,Open,2026-03-02 10:00,Access,\"MARTIN Luc \r\n\r\n BERNARD Anne\",\"Silver\r\ntier\"\r\n"
            b"3,Other,Open,2026-03-03 10:00,Access,MARTIN Luc,Bronze\r\n")
    pv = ingest.preview(data, name="tickets.csv", options=Options(source="zd"))
    assert pv.detection.kind == "tickets" and len(pv.rejects()) == 0
    ingest.load(conn, pv)
    rows = conn.execute("SELECT ticket_id, category, assignee, attributes FROM tickets ORDER BY ticket_id").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [("1", "Billing, Refunds", "DUPONT Marie, BERNARD Anne"),
                                                  ("2", "Access", "MARTIN Luc, BERNARD Anne"),
                                                  ("3", "Access", "MARTIN Luc")]
    assert [json.loads(r[3]) for r in rows] == [{"Customer Segment": "Gold"}, {"Customer Segment": "Silver, tier"},
                                               {"Customer Segment": "Bronze"}]


def test_a_previews_rejects_are_built_once_and_handed_out_as_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    """The import writes a preview's rejects and its caller shows them: their lines' text is rebuilt and redacted
    once, and what one reader does to its frame does not reach the next."""
    csv = b"id,created_at,status,email\n1,2026-03-01,open,a@b.org\n2,not a date,open,c@d.org\n3,2026-03-02,open,\n"
    pv = ingest.preview(csv, name="rej.csv")
    built: list[int] = []
    original = ingest.Preview._build_rejects
    monkeypatch.setattr(ingest.Preview, "_build_rejects", lambda self: built.append(1) or original(self))
    first = pv.rejects()
    assert list(first["line"]) == [3] and first.loc[0, "raw"] == "2,not a date,open,[personal data]"
    first.loc[0, "reason"] = "changed by a reader"
    again = pv.rejects()
    assert again.loc[0, "reason"] != "changed by a reader" and built == [1]
