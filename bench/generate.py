"""Vendor-shaped exports (and a ready database) from the seeded demo generator, at any size.

    python bench/generate.py --tickets 1000000 --out /tmp/cx-1m [--seed 7] [--no-db]

Writes, from one :func:`cx_metrics.demo.generate` run (so every file describes the same customers):

* ``zendesk_tickets.csv`` - a Zendesk UI/Explore ticket export (its column names, "Via", "Satisfaction Score"
  Good/Bad/Offered, "... in minutes" columns, a ``[list]`` custom field);
* ``qualtrics_<survey>.csv`` - one Qualtrics export per survey, with its three header rows (ids, question text,
  ImportId JSON), the customer in ExternalReference and the ticket as embedded data;
* ``crm_customers.csv`` - a CRM customer list (signup date, birth year, plan, segment, region, status, churn date,
  and the extra attributes as their own columns);
* ``activity.csv`` - logins and orders;
* ``cx.duckdb`` - the same data loaded directly (unless ``--no-db``).

Importing the files with ``cx import`` gives the same tickets, responses and customers as the database.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from cx_metrics import db, demo  # noqa: E402
from cx_metrics.config import Settings  # noqa: E402

QUESTIONS = {
    "nps": ("QID1", "How likely are you to recommend us to a friend or colleague?"),
    "csat": ("QID2", "How satisfied were you with the support you received?"),
    "ces": ("QID3", "How easy was it to get your issue resolved?"),
}
_ZENDESK_STATUS = {"new": "New", "open": "Open", "pending": "Pending", "hold": "On-hold", "solved": "Solved",
                   "closed": "Closed"}


def _minutes(start: pd.Series, end: pd.Series) -> pd.Series:
    return ((end - start).dt.total_seconds() / 60).round()


def zendesk_tickets(data: demo.DemoData) -> pd.DataFrame:
    """Tickets as a Zendesk UI export. Satisfaction is surveyed in Qualtrics here, so Zendesk's own rating shows
    "Offered" for surveyed tickets (not a second answer) and "Not Offered" for the rest."""
    t = data.tickets
    surveyed = set(data.survey_responses["ticket_id"].dropna())
    rating = t["ticket_id"].isin(surveyed).map({True: "Offered", False: "Not Offered"})
    return pd.DataFrame({
        "Id": t["ticket_id"],
        "Requester id": t["customer_id"],
        "Subject": t["subject"],
        "Status": t["status"].map(_ZENDESK_STATUS).fillna(t["status"]),
        "Priority": t["priority"].str.capitalize(),
        "Via": t["channel"].str.capitalize(),
        "Ticket type": t["ticket_type"].str.capitalize(),
        "Created at": t["created_at"],
        "Solved at": t["solved_at"],
        "Group": t["group_name"],
        "Assignee": t["assignee"],
        "Tags": t["tags"].map(" ".join),
        "Reopens": t["reopens"],
        "Replies": t["replies"],
        "Group stations": t["group_stations"],
        "Assignee stations": t["assignee_stations"],
        "Satisfaction Score": rating,
        "First reply time in minutes": _minutes(t["created_at"], t["first_response_at"]),
        "First resolution time in minutes": _minutes(t["created_at"], t["first_solved_at"]),
        "Full resolution time in minutes": _minutes(t["created_at"], t["solved_at"]),
        "Category [list]": t["category"],
    })


def qualtrics(responses: pd.DataFrame, survey: str) -> str:
    """One survey's responses as a Qualtrics CSV export (three header rows)."""
    part = responses[responses["survey_name"] == survey].sort_values("responded_at")
    metric = str(part["metric"].iloc[0])
    qid, text = QUESTIONS[metric]
    recorded = part["responded_at"]
    body = pd.DataFrame({
        "StartDate": (recorded - pd.Timedelta(minutes=2)).dt.strftime("%Y-%m-%d %H:%M:%S"),
        "EndDate": recorded.dt.strftime("%Y-%m-%d %H:%M:%S"),
        "Status": "IP Address",
        "ResponseId": part["response_id"],
        "RecordedDate": recorded.dt.strftime("%Y-%m-%d %H:%M:%S"),
        "ExternalReference": part["customer_id"],
        "TicketId": part["ticket_id"],
        "Q1": part["score"].astype(int),
        "Q2_TEXT": part["comment"],
    })
    labels = ["Start Date", "End Date", "Response Type", "Response ID", "Recorded Date", "External Data Reference",
              "TicketId", text, "Why did you give this score?"]
    imports = [json.dumps({"ImportId": i}) for i in ("startDate", "endDate", "status", "_recordId", "recordedDate",
                                                       "externalDataReference", "TicketId", qid, f"{qid}_TEXT")]
    head = pd.DataFrame([labels, imports], columns=body.columns)
    return pd.concat([head, body], ignore_index=True).to_csv(index=False)


def crm_customers(data: demo.DemoData) -> pd.DataFrame:
    c = data.customers
    extra = pd.json_normalize(c["attributes"].map(json.loads).tolist())
    extra.columns = [str(col).replace("_", " ").title() for col in extra.columns]
    frame = pd.DataFrame({
        "Customer ID": c["customer_id"], "Signup Date": c["signup_at"].dt.strftime("%Y-%m-%d"),
        "Birth Year": c["birth_year"], "Plan": c["plan"], "Segment": c["segment"], "Region": c["region"],
        "Country": c["country"], "Acquisition Channel": c["acquisition_channel"], "Status": c["status"],
        "Churn Date": c["churned_at"].dt.strftime("%Y-%m-%d"),
    })
    return pd.concat([frame, extra.set_index(frame.index)], axis=1)


def activity(data: demo.DemoData) -> pd.DataFrame:
    a = data.customer_activity
    return pd.DataFrame({"Customer ID": a["customer_id"], "Event Time": a["occurred_at"], "Event": a["kind"],
                         "Amount": a["amount"]})


def write_all(data: demo.DemoData, out: Path) -> dict[str, int]:
    """Write every vendor-shaped file; return rows per file."""
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    tickets = zendesk_tickets(data)
    tickets.to_csv(out / "zendesk_tickets.csv", index=False)
    rows["zendesk_tickets.csv"] = len(tickets)
    for survey in sorted(data.survey_responses["survey_name"].unique()):
        slug = "".join(ch if ch.isalnum() else "_" for ch in str(survey).lower()).strip("_")
        (out / f"qualtrics_{slug}.csv").write_text(qualtrics(data.survey_responses, str(survey)))
        rows[f"qualtrics_{slug}.csv"] = int((data.survey_responses["survey_name"] == survey).sum())
    customers = crm_customers(data)
    customers.to_csv(out / "crm_customers.csv", index=False)
    rows["crm_customers.csv"] = len(customers)
    events = activity(data)
    events.to_csv(out / "activity.csv", index=False)
    rows["activity.csv"] = len(events)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--customers", type=int, help="default: tickets / 5")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--no-db", action="store_true", help="write only the CSV files")
    args = parser.parse_args()
    start = time.perf_counter()
    size = demo.DemoSize(customers=args.customers or max(args.tickets // 5, 1_000), tickets=args.tickets)
    data = demo.generate(seed=args.seed, size=size)
    rows = write_all(data, args.out.resolve())
    if not args.no_db:
        conn = db.connect(Settings().with_db(args.out.resolve() / "cx.duckdb"))
        demo.load(conn, data, seed=args.seed)
        conn.close()
    for name, n in rows.items():
        print(f"{name:40s} {n:>12,} rows")
    print(f"done in {time.perf_counter() - start:.1f} s -> {args.out}")


if __name__ == "__main__":
    main()
