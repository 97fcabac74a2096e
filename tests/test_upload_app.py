"""The Upload page's reading of a file through AppTest: a low-confidence reading is a proposal the person checks
field by field (column, confidence, why), changes (a column, the category candidate, the kind) and confirms; a
file without dates gets a fieldwork date, the default stated; surveys are read and corrected the same way."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cx_ui import upload_state
from tests.conftest import app_db, as_shown

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "realworld"
UNSURE = b"Ref,Opened on,Kanal\nA1,2026-03-02 10:00,Chat\nA2,2026-03-03 10:00,E-Mail\n"


def _upload(monkeypatch: pytest.MonkeyPatch, db_path: Path, name: str, data: bytes) -> AppTest:
    monkeypatch.setenv("CX_DB_PATH", str(db_path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=300)
    at.run()
    at.switch_page("views/upload.py").run()
    at.file_uploader(key="upload_file").set_value((name, data, "text/csv")).run()
    assert not at.exception, at.exception
    return at


def _reading(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "why" in d.value.columns)


def _count(path: Path, sql: str) -> object:
    with app_db(path) as conn:  # through the app's own connection in this process
        row = conn.execute(sql).fetchone()
        return row[0] if row else None


def test_an_unsure_reading_is_a_proposal_to_check_and_confirm(monkeypatch: pytest.MonkeyPatch,
                                                               empty_db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "cx.duckdb"
    path.write_bytes(empty_db_path.read_bytes())
    at = _upload(monkeypatch, path, "crm.csv", UNSURE)
    assert "Not sure enough to load without you" in at.warning[0].value and "62%" in at.warning[0].value
    reading = _reading(at).set_index("field")
    assert reading.loc["ticket_id", "column"] == "Ref" and reading.loc["ticket_id", "confidence"] == 0.75
    assert "its name speaks of id" in reading.loc["ticket_id", "why"]
    assert reading.loc["created_at", "column"] == "Opened on" and "read as dates" in reading.loc["created_at", "why"]
    assert reading.loc["channel", "column"] == "Kanal"
    assert at.button(key="upload_load").label == "Confirm this reading and load"
    assert _count(path, "SELECT count(*) FROM tickets") == 0  # nothing is written before the confirmation
    at.button(key="upload_load").click().run()
    assert not at.exception, at.exception
    assert "2 rows loaded (2 new, 0 updated, 0 unchanged), 0 rejected" in at.success[0].value
    assert _count(path, "SELECT count(*) FROM tickets WHERE channel = 'email'") == 1


def test_the_kind_can_be_changed_and_the_columns_are_proposed_again(monkeypatch: pytest.MonkeyPatch,
                                                                    empty_db_path: Path) -> None:
    at = _upload(monkeypatch, empty_db_path, "crm.csv", UNSURE)
    at.selectbox(key="upload_kind").set_value("customers").run()
    assert not at.exception and not at.warning  # a kind the person chose is no guess
    assert at.subheader[0].value == "Detected: customers · generic"
    assert _reading(at).set_index("field").loc["customer_id", "column"] == "Ref"
    assert at.button(key="upload_load").label == "Load"
    # a kind whose reading fails says why and still shows the reading, so the failing column can be set
    at.selectbox(key="upload_kind").set_value("activity").run()
    assert not at.exception, at.exception
    assert "none of its 2 rows can be loaded: 2 x no customer id" in as_shown(at.error[0].value)
    reading = _reading(at).set_index("field")
    assert reading.loc["customer_id", "column"] == "" and reading.loc["occurred_at", "column"] == "Opened on"
    at.session_state[f"mapping_{hashlib.sha256(UNSURE).hexdigest()}"] = {"customer_id": "Ref"}
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.subheader[0].value == "Detected: activity · generic"


def test_the_category_candidate_is_stated_and_another_one_can_be_picked(monkeypatch: pytest.MonkeyPatch,
                                                                         empty_db_path: Path) -> None:
    data = (CORPUS / "cfpb_consumer_complaints.csv").read_bytes()
    at = _upload(monkeypatch, empty_db_path, "complaints.csv", data)
    statement = next(as_shown(m.value) for m in at.markdown if m.value.startswith("**Category**"))
    assert "taken from **Product**" in statement and "Other candidates: 'Issue'" in statement
    picker = at.selectbox(key=f"upload_category_{hashlib.sha256(data).hexdigest()}_tickets")
    assert picker.options[:2] == ["Product — chosen: its name is a usual name for category; 2 distinct values "
                                  "('Credit reporting, credi…', 'Debt collection')",
                                  "Issue — candidate, 87%: its name speaks of category; 2 distinct values "
                                  "('Incorrect information o…', 'Attempts to collect deb…')"]
    picker.set_value("Issue").run()
    assert not at.exception, at.exception
    sample = next(d.value for d in at.dataframe if "Category" in d.value.columns and "Ticket" in d.value.columns)
    assert set(sample["Category"]) == {"Incorrect information on your report", "Attempts to collect debt not owed"}
    assert _reading(at).set_index("field").loc["category", "why"] == "chosen by you"


def test_a_survey_without_dates_takes_the_fieldwork_date_or_period_stated(monkeypatch: pytest.MonkeyPatch,
                                                                          empty_db_path: Path,
                                                                          tmp_path: Path) -> None:
    path = tmp_path / "cx.duckdb"
    path.write_bytes(empty_db_path.read_bytes())
    data = (CORPUS / "kaggle_airline_passenger_satisfaction.csv").read_bytes()
    at = _upload(monkeypatch, path, "airline.csv", data)
    assert at.subheader[0].value.startswith("Detected: surveys")
    assert any("No NPS, CSAT or CES question found" in c.value for c in at.caption)
    today = dt.date.today()
    assert any(c.value == f"Dated **{today:%d %b %Y}** (the import day, by default)." for c in at.caption)
    at.date_input(key="upload_fieldwork").set_value((dt.date(2019, 6, 1), dt.date(2019, 6, 30))).run()
    assert not at.exception, at.exception
    assert any(c.value == "Dated **30 Jun 2019** (as you stated)." for c in at.caption)
    assert any("every answer is dated 2019-06-30 (the fieldwork date you gave)" in as_shown(i.value) for i in at.info)
    at.button(key="upload_load").click().run()
    assert not at.exception, at.exception
    assert _count(path, "SELECT DISTINCT responded_at::DATE::VARCHAR FROM survey_answers") == "2019-06-30"


def test_a_survey_field_the_person_sets_wins_over_the_usual_name(monkeypatch: pytest.MonkeyPatch,
                                                                 empty_db_path: Path) -> None:
    """Google Forms' 'Marca temporal' is read as the response date; a person who says the file has none gets the
    fieldwork date input instead (their choice beats the usual name)."""
    data = (CORPUS / "google_forms_es.csv").read_bytes()
    at = _upload(monkeypatch, empty_db_path, "forms.csv", data)
    assert _reading(at).set_index("field").loc["responded_at", "column"] == "Marca temporal"
    assert "upload_fieldwork" not in {d.key for d in at.date_input}  # (the sidebar's date range is drawn too)
    questions = next(d.value for d in at.dataframe if "Measured as" in d.value.columns)
    assert list(questions["Measured as"]) == ["NPS", "CSAT"]
    at.session_state[f"mapping_{hashlib.sha256(data).hexdigest()}"] = {"responded_at": ""}
    at.run()
    assert not at.exception, at.exception
    assert _reading(at).set_index("field").loc["responded_at", "why"] == "chosen by you"
    assert at.date_input(key="upload_fieldwork")


def test_changed_columns_are_the_rows_the_person_edited() -> None:
    reading = pd.DataFrame({"field": ["ticket_id", "created_at", "category"], "column": ["Ref", "Opened", ""]})
    edited = reading.assign(column=["Ref", "Closed", "Topic"])
    assert upload_state.changed_columns(reading, edited) == {"created_at": "Closed", "category": "Topic"}
    assert upload_state.changed_columns(reading, reading.assign(column=["", "Opened", None])) == {"ticket_id": ""}
    assert upload_state.fieldwork_day(None) is None
    assert upload_state.fieldwork_day((dt.date.today(), dt.date.today())) is None  # the untouched default
    assert upload_state.fieldwork_day((dt.date(2024, 3, 1),)) == dt.date(2024, 3, 1)  # a period half chosen
    assert upload_state.fieldwork_day((dt.date(2024, 3, 1), dt.date(2024, 3, 31))) == dt.date(2024, 3, 31)
