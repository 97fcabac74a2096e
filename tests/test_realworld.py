"""The corpus of real exports (tests/fixtures/realworld, see its README): each file loads with no hand-made
mapping, as the right kind, with the figures computed independently (plain pandas/csv/openpyxl, recorded in the
README). Held out while the rules were written and tried once at the end: nyc_311_service_requests.csv and
uci_online_retail_orders.csv (both loaded the first time, as the right kind, with these figures); earlier
otrs_znuny_tickets_de.csv, hubspot_tickets.csv, limesurvey_responses_de.csv."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from cx_metrics import db
from cx_metrics.cli import main
from cx_metrics.config import Settings
from cx_metrics.ingest import load as ingest
from cx_metrics.ingest.errors import ImportRefused, NeedsConfirmation
from cx_metrics.ingest.normalize import Options

CORPUS = Path(__file__).resolve().parent / "fixtures" / "realworld"
SOLVED = "SELECT count(*) FROM tickets WHERE status IN ('solved', 'closed')"

# file, kind, rows loaded, (SQL, expected) figures computed without the importer
CASES = [
    ("cfpb_consumer_complaints.csv", "tickets", 5,
     [("SELECT min(created_at)::DATE::VARCHAR, max(created_at)::DATE::VARCHAR FROM tickets",
       ("2019-09-19", "2020-01-06")),
      ("SELECT count(DISTINCT category) FROM tickets", (2,)),
      # the status is the company's response (4 closed, 1 in progress), not `State` (US states)
      (SOLVED, (4,)), ("SELECT count(*) FROM tickets WHERE status = 'open'", (1,))]),
    ("glpi_tickets_fr.csv", "tickets", 30,
     [(SOLVED, (10,)), ("SELECT min(created_at)::VARCHAR FROM tickets", ("2026-01-09 00:15:00",))]),
    ("google_forms_es.csv", "surveys", 40, [("SELECT count(*) FILTER (WHERE metric = 'nps') FROM survey_responses",
                                            (40,)),
                                           ("SELECT min(responded_at)::VARCHAR FROM survey_responses",
                                            ("2024-03-02 17:41:48",))]),
    ("consumidor_gov_br_reclamacoes_pt.csv", "tickets", 30,
     [(SOLVED, (15,)), ("SELECT min(created_at)::DATE::VARCHAR FROM tickets", ("2025-04-01",)),
      ("SELECT count(*), min(score), max(score) FROM survey_responses", (30, 1.0, 5.0))]),
    ("hubspot_tickets.csv", "tickets", 35, [(SOLVED, (11,))]),
    ("jira_service_desk_es.csv", "tickets", 30,
     [(SOLVED, (17,)), ("SELECT count(*) FILTER (WHERE category = 'Cuentas') FROM tickets", (14,))]),
    ("kaggle_airline_passenger_satisfaction.csv", "surveys", 60,
     [("SELECT count(DISTINCT response_id) FROM survey_answers", (60,))]),
    ("kaggle_bank_churn_modelling.csv", "customers", 200,
     [("SELECT count(*) FILTER (WHERE status = 'churned') FROM customers", (33,))]),
    ("limesurvey_responses_de.csv", "surveys", 37,
     [("SELECT count(DISTINCT response_id), min(responded_at)::VARCHAR FROM survey_answers",
       (37, "2024-09-01 02:27:16"))]),
    ("nyc_311_service_requests.csv", "tickets", 24,
     [("SELECT min(created_at)::VARCHAR, max(created_at)::VARCHAR, count(*) FILTER (WHERE status = 'closed'), "
       "count(DISTINCT ticket_type) FROM tickets", ("2011-03-01 08:15:00", "2011-03-01 21:12:53", 24, 7))]),
    ("osticket_tickets.csv", "tickets", 30, [("SELECT count(*) FROM tickets WHERE status = 'open'", (7,))]),
    ("otrs_znuny_tickets_de.csv", "tickets", 30, [("SELECT count(*) FROM tickets WHERE status = 'closed'", (7,))]),
    ("pwc_call_centre_semicolon.csv", "tickets", 80,
     [(SOLVED, (60,)), ("SELECT date_trunc('second', created_at)::VARCHAR FROM tickets WHERE ticket_id = 'ID0001'",
                        ("2021-01-01 10:23:03",))]),
    ("pwc_call_centre_pivot_first.xlsx", "tickets", 80, []),
    ("salesforce_case_report.csv", "tickets", 30,
     [(SOLVED, (12,)), ("SELECT count(*) FROM import_rejects", (0,))]),
    ("servicenow_incident_event_log.csv", "tickets", 5,
     [(SOLVED, (5,)), ("SELECT count(*) FROM ticket_events WHERE field = 'status'", (18,))]),
    ("uci_online_retail_orders.csv", "activity", 49,
     [("SELECT count(DISTINCT customer_id), min(occurred_at)::VARCHAR FROM customer_activity",
       (4, "2010-12-01 08:26:00"))]),
    ("zammad_ticket_report.xlsx", "tickets", 25, [("SELECT count(*) FROM tickets WHERE status = 'closed'", (8,))]),
]


@pytest.fixture
def conn(tmp_path: Path) -> db.Connection:
    c = db.connect(Settings().with_db(tmp_path / "corpus.duckdb"))
    yield c
    c.close()


@pytest.mark.parametrize(("name", "kind", "rows", "figures"), CASES, ids=[c[0] for c in CASES])
def test_corpus_file_loads_with_its_figures(conn: db.Connection, name: str, kind: str, rows: int,
                                            figures: list[tuple[str, tuple[object, ...]]]) -> None:
    pv = ingest.preview(CORPUS / name, options=Options(reference_date=None))
    assert pv.prepared.kind == kind, pv.detection.reasons
    result = ingest.load(conn, pv)
    assert result.rows_loaded == rows
    for sql, expected in figures:
        assert conn.execute(sql).fetchone() == expected, sql


def test_the_corpus_spans_fifteen_tools_and_five_languages() -> None:
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    listed = [line for line in readme.splitlines() if line.startswith("| `")]
    assert len(listed) >= 15
    assert {"en", "de", "fr", "es", "pt"} <= {cell.strip() for line in listed for cell in line.split("|")[3:4]
                                              for cell in cell.split(",")}


def test_every_field_has_a_confidence_and_a_reason() -> None:
    det = ingest.preview(CORPUS / "glpi_tickets_fr.csv").detection
    assert det.mapping["created_at"] == "Date d'ouverture" and det.field_confidence["created_at"] >= 0.9
    assert any("Date d'ouverture" in r and "-> created_at: its name speaks of create + date" in r
               and "read as dates" in r for r in det.reasons)


def test_an_unsure_reading_is_a_proposal_the_cli_shows_and_accept_loads(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("Ref,Opened on,Kanal\nA1,2026-03-02 10:00,Chat\nA2,2026-03-03 10:00,E-Mail\n", encoding="utf-8")
    with pytest.raises(NeedsConfirmation, match="Proposed mapping"):
        ingest.preview(path, confirm=True)
    database = tmp_path / "cx.duckdb"
    assert main(["import", str(path), "--db", str(database)]) != 0
    assert "--accept" in capsys.readouterr().err
    assert main(["import", str(path), "--db", str(database), "--accept"]) == 0
    c = db.connect(Settings().with_db(database), read_only=True)
    assert c.execute("SELECT count(*) FROM tickets").fetchone() == (2,)
    c.close()


def test_a_forced_kind_that_does_not_fit_gives_a_sentence_not_a_traceback() -> None:
    data = b"colour,size\nred,3\nblue,4\n"
    with pytest.raises(ImportRefused, match="creation time") as info:
        ingest.preview(data, name="x.csv", kind="tickets")
    assert "KeyError" not in str(info.value)


def test_a_survey_without_dates_carries_the_stated_fieldwork_date(conn: db.Connection) -> None:
    path = CORPUS / "kaggle_airline_passenger_satisfaction.csv"
    pv = ingest.preview(path, options=Options(fieldwork_date=dt.date(2019, 6, 30)))
    assert any("2019-06-30 (the fieldwork date you gave)" in w for w in pv.prepared.warnings)
    ingest.load(conn, pv)
    assert conn.execute("SELECT DISTINCT responded_at::DATE::VARCHAR FROM survey_answers").fetchall() == [
        ("2019-06-30",)]
    default = ingest.preview(path)
    assert any("the import day, by default" in w for w in default.prepared.warnings)


def test_an_event_log_becomes_one_ticket_each_with_its_history(conn: db.Connection) -> None:
    pv = ingest.preview(CORPUS / "servicenow_incident_event_log.csv")
    assert pv.detection.event_log and len(pv.rejects()) == 0
    ingest.load(conn, pv)
    # "?" is ServiceNow's missing value, not a customer or a problem id
    history = conn.execute("SELECT value FROM ticket_events WHERE ticket_id = 'INC0000047' AND field = 'status' "
                           "ORDER BY occurred_at").fetchall()
    assert [v for (v,) in history] == ["new", "open", "pending", "solved", "closed"]


def test_a_workbook_date_at_midnight_next_to_a_time_column_keeps_the_time() -> None:
    """Excel stores a date cell as a datetime at midnight; the time of day is in its own column (a time cell or a
    day fraction). The date carries no clock of its own, so the time column gives it one."""
    book = Workbook()
    sheet = book.active
    sheet.append(["Call Id", "Date", "Time", "Agent", "Topic", "Resolved"])
    for i in range(12):
        sheet.append([f"ID{i:04d}", dt.datetime(2021, 1, 1 + i), dt.time(9 + i % 8, 15, 30), "Dan", "Billing",
                      "Y" if i % 2 else "N"])
        sheet.cell(row=i + 2, column=2).number_format = "yyyy-mm-dd hh:mm"  # shown with its (midnight) clock
    buffer = io.BytesIO()
    book.save(buffer)
    pv = ingest.preview(buffer.getvalue(), name="calls.xlsx")
    assert pv.detection.mapping.get("created_at_time") == "Time"
    created = pv.prepared.tables["tickets"].to_pandas().set_index("ticket_id")["created_at"]
    assert str(created["ID0000"]) == "2021-01-01 09:15:30" and str(created["ID0011"]) == "2021-01-12 12:15:30"
