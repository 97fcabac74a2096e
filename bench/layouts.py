"""Real export layouts scaled up for the import benchmark, with seeded synthetic values (no real file is copied).

Each generator reproduces the layout of a public export in tests/fixtures or /work/shared/realdata: the header
row, column order, delimiter, line endings, quoting, date and number formats and the quirks that make it hard
(multi-line quoted text, empty cells, sentinels), with values drawn from one ``numpy.random.Generator(seed)``.

* ``kaggle`` - the Kaggle "customer support tickets" layout (17 columns): long multi-line ticket descriptions
  (paragraphs separated by blank lines, commas and quoted phrases), about 435 bytes a row;
* ``fivetran`` - a Zendesk API ticket table as synced by Fivetran (36 columns, CRLF, millisecond sync times, JSON
  arrays, multi-line descriptions);
* ``field_history`` - Zendesk ticket field history (one row per field change: ticket events);
* ``telco`` - the IBM Telco customer churn table (21 columns, Yes/No flags, a blank TotalCharges at tenure 0).

    python bench/layouts.py kaggle --rows 1000000 --out /tmp/kaggle-1m.csv
"""

from __future__ import annotations

import argparse
import csv
import string
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

CHUNK = 100_000

_FIRST = ("Marisa Jessica Christopher Christina Alexander Rebecca Jacqueline Denise Nicolas William Joseph Brandon "
          "Tamara Kevin Laura Miguel Aisha Oliver Priya Hannah Tomasz Sofia Daniel Grace Ahmed Chloe Mateo Emily "
          "Ryan Nora Lucas Zoe Ethan Mia Noah Ava Liam Isla Owen Ruby").split()
_LAST = ("Obrien Rios Robbins Dillon Carroll Fleming Wright Lee Wilson Dawson Moreno Arnold Nguyen Patel Garcia "
         "Kowalski Schmidt Rossi Dubois Okafor Tanaka Silva Murphy Johansson Novak Haddad Kim Lopez Meyer "
         "Evans").split()
_DOMAINS = ["example.com", "example.org", "example.net"]
_PRODUCTS = ["GoPro Hero", "LG Smart TV", "Dell XPS", "Microsoft Office", "Autodesk AutoCAD", "Microsoft Surface",
             "Philips Hue Lights", "Fitbit Versa Smartwatch", "Dyson Vacuum Cleaner", "Nintendo Switch",
             "Microsoft Xbox Controller", "Canon EOS", "Sony PlayStation", "Amazon Kindle", "Apple AirPods",
             "Google Pixel", "Samsung Galaxy", "Bose SoundLink Speaker", "Nest Thermostat", "Roomba Robot Vacuum",
             "Adobe Photoshop", "HP Pavilion", "Lenovo ThinkPad", "Garmin Forerunner", "iPhone", "MacBook Pro",
             "Asus ROG", "Sony Xperia", "Xbox", "Canon DSLR Camera", "Nikon D", "Bose QuietComfort",
             "Fitbit Charge", "Samsung Soundbar", "LG OLED", "Apple iPad", "Amazon Echo", "Sony 4K HDR TV",
             "Google Nest", "Garmin GPS", "Philips Shaver", "Blender"]
_TYPES = {"Technical issue": ["Technical Problem", "Software Bug", "Hardware Issue", "Network Problem",
                              "Display Issue", "Battery Life", "Peripheral Compatibility"],
          "Billing inquiry": ["Billing Question", "Payment Issue"],
          "Cancellation request": ["Cancel Order", "Account Access"],
          "Product inquiry": ["Product Info", "Product Setup", "Product Compatibility", "Installation Support"],
          "Refund request": ["Refund Needed", "Delivery Problem", "Data Loss"]}
_OPENINGS = [
    "I'm having an issue with the {p}. Please assist.",
    "The {p} won't turn on. Please help.",
    "I'm facing a problem with my {p}. The {p} is not turning on. It was working fine until yesterday, but now "
    "it doesn't respond.",
    "I'm unable to access my {p} account. It keeps displaying an 'Invalid Credentials' error, even though I'm "
    "using the correct login information.",
    "There seems to be a hardware problem with my {p}. The screen flickers, and sometimes it goes completely "
    "black.",
    "I've noticed a sudden decrease in battery life on my {p}. It used to last much longer, but now it drains "
    "quickly, even with minimal usage.",
    "My {p} is making strange noises and not functioning properly. I suspect there might be a hardware issue.",
    "Incorrect amount on invoice for {p}.",
    "Where is my receipt for {p}?",
    "I no longer need the {p}. Cancel it.",
    "How do I use the {p}?",
    "The {p} did not meet expectations. Refund please.",
    "I'm having an issue with the {product_purchased}. Please assist.",  # the original keeps unfilled templates
]
_CLOSINGS = [
    "I've tried troubleshooting steps mentioned in the user manual, but the issue persists.",
    "I've checked for software updates, and my {p} is already running the latest version.",
    "I've performed a factory reset on my {p}, hoping it would resolve the problem, but it didn't help.",
    "The issue I'm facing is intermittent. Sometimes it works fine, but other times it acts up unexpectedly.",
    "I've tried clearing the cache and data for the {p}, but the issue persists.",
    "I'm using the original charger that came with my {p}, but it's not charging properly.",
    "I've already contacted customer support multiple times, but the issue remains unresolved.",
    "I've noticed a peculiar error message popping up on my {p} screen. It says \"{w}\" - what does it mean?",
]
_WORDS = ("account address after again answer billing bit case change check clearly color computer data decision "
          "device different early email enough evidence example fact feel follow forward glitch home important "
          "invoice issue last later manual maybe measure message minute money never number office order page "
          "payment perhaps phone plan point problem question receipt recently refund report request reset "
          "screen service setting shipment show simply soon story support surface system thing tonight toward "
          "try update user usually version wait website week window work year zip").split()
_STATUSES = ["Open", "Pending Customer Response", "Closed"]
_PRIORITIES = ["Low", "Medium", "High", "Critical"]
_CHANNELS = ["Email", "Phone", "Social media", "Chat"]


def _sentences(rng: np.random.Generator, n: int, words: tuple[int, int]) -> list[str]:
    """``n`` random sentences of ``words`` words from a small vocabulary (a faker-like filler)."""
    lengths = rng.integers(words[0], words[1] + 1, n)
    vocab = np.array(_WORDS)
    picks = vocab[rng.integers(0, len(vocab), int(lengths.sum()))]
    out, pos = [], 0
    for length in lengths:
        chunk = picks[pos:pos + length]
        pos += length
        out.append(" ".join(chunk).capitalize() + ".")
    return out


def _times(rng: np.random.Generator, n: int, start: str, days: int) -> pd.Series:
    base = pd.Timestamp(start)
    return pd.Series(base + pd.to_timedelta(rng.integers(0, days * 86_400, n), unit="s"))


def kaggle(rng: np.random.Generator, first_id: int, n: int) -> pd.DataFrame:
    """The Kaggle customer-support-tickets layout: multi-line descriptions of two to five paragraphs."""
    product = np.array(_PRODUCTS)[rng.integers(0, len(_PRODUCTS), n)]
    ticket_type = np.array(list(_TYPES))[rng.integers(0, len(_TYPES), n)]
    subject = np.array([_TYPES[t][i % len(_TYPES[t])] for t, i in zip(ticket_type, rng.integers(0, 7, n),
                                                                          strict=True)])
    filler = _sentences(rng, 4 * n, (4, 10))
    openings = rng.integers(0, len(_OPENINGS), n)
    closings = rng.integers(0, len(_CLOSINGS), n)
    paragraphs = rng.integers(1, 3, n)
    zips = rng.integers(10_000, 99_999, n)
    words = np.array(_WORDS)[rng.integers(0, len(_WORDS), n)]
    descriptions = []
    for i in range(n):
        p = str(product[i])
        body = [_OPENINGS[openings[i]].format(p=p, product_purchased="{product_purchased}")]
        body += filler[4 * i: 4 * i + paragraphs[i]]
        if i % 3 == 0:
            body.append(f"Your billing zip code is: {zips[i]}.")
        body.append(_CLOSINGS[closings[i]].format(p=p, w=words[i]))
        descriptions.append("\n\n".join(body))
    status = np.array(_STATUSES)[rng.integers(0, 3, n)]
    closed, opened = status == "Closed", status != "Open"
    first_response = _times(rng, n, "2023-05-31 21:00:00", 1)
    resolution = first_response + pd.to_timedelta(rng.integers(-20 * 3600, 24 * 3600, n), unit="s")
    fmt = "%Y-%m-%d %H:%M:%S"
    first_name = np.array(_FIRST)[rng.integers(0, len(_FIRST), n)]
    last_name = np.array(_LAST)[rng.integers(0, len(_LAST), n)]
    handles = [f"{a.lower()}{b.lower()}{k}" for a, b, k in zip(first_name, last_name, rng.integers(0, 99, n),
                                                               strict=True)]
    return pd.DataFrame({
        "Ticket ID": np.arange(first_id, first_id + n),
        "Customer Name": [f"{a} {b}" for a, b in zip(first_name, last_name, strict=True)],
        "Customer Email": [f"{h}@{d}" for h, d in zip(handles, np.array(_DOMAINS)[rng.integers(0, 3, n)],
                                                       strict=True)],
        "Customer Age": rng.integers(18, 71, n),
        "Customer Gender": np.array(["Male", "Female", "Other"])[rng.integers(0, 3, n)],
        "Product Purchased": product,
        "Date of Purchase": _times(rng, n, "2020-01-01", 730).dt.strftime("%Y-%m-%d"),
        "Ticket Type": ticket_type,
        "Ticket Subject": subject,
        "Ticket Description": descriptions,
        "Ticket Status": status,
        "Resolution": np.where(closed, _sentences(rng, n, (3, 8)), ""),
        "Ticket Priority": np.array(_PRIORITIES)[rng.integers(0, 4, n)],
        "Ticket Channel": np.array(_CHANNELS)[rng.integers(0, 4, n)],
        "First Response Time": np.where(opened, first_response.dt.strftime(fmt), ""),
        "Time to Resolution": np.where(closed, resolution.dt.strftime(fmt), ""),
        "Customer Satisfaction Rating": np.where(closed, rng.integers(1, 6, n).astype(float).astype(str), ""),
    })


_FIVETRAN_COLUMNS = [
    "id", "_fivetran_synced", "allow_channelback", "assignee_id", "brand_id", "created_at", "description", "due_at",
    "external_id", "forum_topic_id", "group_id", "has_incidents", "is_public", "organization_id", "priority",
    "problem_id", "recipient", "requester_id", "status", "subject", "submitter_id", "system_client",
    "ticket_form_id", "type", "updated_at", "url", "via_channel", "via_source_from_id", "via_source_from_title",
    "via_source_rel", "via_source_to_address", "via_source_to_name", "merged_ticket_ids", "via_source_from_address",
    "followup_ids", "via_followup_source_id"]


def fivetran(rng: np.random.Generator, first_id: int, n: int) -> pd.DataFrame:
    """A Zendesk ticket table synced by Fivetran: e-mail bodies as descriptions, mostly empty optional columns."""
    ids = first_id + rng.permutation(n)  # synced in update order, not by id
    created = _times(rng, n, "2020-01-01", 730)
    updated = created + pd.to_timedelta(rng.integers(60, 30 * 86_400, n), unit="s")
    synced = updated + pd.to_timedelta(rng.integers(1_000, 90 * 86_400_000, n), unit="ms")
    filler = _sentences(rng, 3 * n, (5, 14))
    lines = rng.integers(1, 4, n)
    descriptions = ["Hi,\n\n" + "\n".join(filler[3 * i: 3 * i + lines[i]]) + "\n\nThanks" for i in range(n)]
    status = np.array(["new", "open", "pending", "hold", "solved", "closed", "deleted"])[
        rng.choice(7, n, p=[0.03, 0.12, 0.08, 0.02, 0.35, 0.39, 0.01])]
    requester = rng.integers(360_000_000_000, 1_500_000_000_000, n)
    agents = rng.integers(360_000_000_000, 420_000_000_000, 60)
    groups = rng.integers(360_000_000_000, 361_000_000_000, 8)
    channel = np.array(["web", "email", "api", "chat", "voice"])[rng.choice(5, n, p=[0.3, 0.45, 0.1, 0.1, 0.05])]
    fmt = "%Y-%m-%d %H:%M:%S"
    empty = np.full(n, "", dtype=object)
    merged = np.where(rng.random(n) < 0.02, [f"[{k}]" for k in rng.integers(1, 1_000_000, n)], "[]")
    return pd.DataFrame({
        "id": ids,
        "_fivetran_synced": synced.dt.strftime("%Y-%m-%d %H:%M:%S.%f").str.slice(0, 23),
        "allow_channelback": "FALSE",
        "assignee_id": np.where(status == "new", "", agents[rng.integers(0, len(agents), n)].astype(str)),
        "brand_id": "360003529474",
        "created_at": created.dt.strftime(fmt),
        "description": descriptions,
        "due_at": empty, "external_id": empty, "forum_topic_id": empty,
        "group_id": groups[rng.integers(0, len(groups), n)],
        "has_incidents": "FALSE", "is_public": "TRUE",
        "organization_id": rng.integers(370_000_000_000, 371_000_000_000, n),
        "priority": np.array(["", "low", "normal", "high", "urgent"])[rng.choice(5, n, p=[0.4, 0.1, 0.35, 0.1, 0.05])],
        "problem_id": empty,
        "recipient": "support@example.com",
        "requester_id": requester,
        "status": status,
        "subject": _sentences(rng, n, (3, 8)),
        "submitter_id": requester,
        "system_client": empty,
        "ticket_form_id": "360002048693",
        "type": np.array(["", "incident", "question", "problem", "task"])[rng.integers(0, 5, n)],
        "updated_at": updated.dt.strftime(fmt),
        "url": [f"https://example.zendesk.com/api/v2/tickets/{i}.json" for i in ids],
        "via_channel": channel,
        "via_source_from_id": empty, "via_source_from_title": empty, "via_source_rel": empty,
        "via_source_to_address": np.where(channel == "email", "support@example.com", ""),
        "via_source_to_name": np.where(channel == "email", "Support", ""),
        "merged_ticket_ids": merged,
        "via_source_from_address": empty,
        "followup_ids": np.where(rng.random(n) < 0.5, "[]", ""),
        "via_followup_source_id": empty,
    })[_FIVETRAN_COLUMNS]


def field_history(rng: np.random.Generator, first_id: int, n: int) -> pd.DataFrame:
    """Zendesk ticket field history: status, assignee, priority and group changes of about n / 4 tickets."""
    tickets = first_id // 4 + rng.integers(0, max(n // 4, 1), n)
    field = np.array(["status", "assignee_id", "priority", "group_id"])[rng.choice(4, n, p=[0.5, 0.2, 0.15, 0.15])]
    status_values = np.array(["new", "open", "pending", "hold", "solved", "closed"])[rng.integers(0, 6, n)]
    value = np.where(field == "status", status_values,
                     np.where(field == "priority", np.array(["low", "normal", "high", "urgent"])[rng.integers(0, 4, n)],
                              rng.integers(360_000_000_000, 420_000_000_000, n).astype(str)))
    updated = _times(rng, n, "2020-01-01", 730)
    synced = updated + pd.to_timedelta(rng.integers(-86_400_000, 90 * 86_400_000, n), unit="ms")
    order = np.argsort(updated.to_numpy(), kind="stable")
    return pd.DataFrame({
        "field_name": field[order],
        "ticket_id": tickets[order],
        "updated": updated.dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy()[order],
        "_fivetran_synced": synced.dt.strftime("%Y-%m-%d %H:%M:%S.%f").str.slice(0, 23).to_numpy()[order],
        "user_id": np.where(rng.random(n) < 0.6, "", rng.integers(360_000_000_000, 420_000_000_000, n).astype(str))[
            order],
        "value": value[order],
    })


def telco(rng: np.random.Generator, first_id: int, n: int) -> pd.DataFrame:
    """The IBM Telco churn table: one row per customer, ids like 7590-VHVEG, a blank TotalCharges at tenure 0."""
    index = first_id + np.arange(n)
    letters = np.array(list(string.ascii_uppercase))
    code = ["".join(letters[(k // 26 ** j) % 26] for j in range(5)) for k in index // 10_000]
    ids = [f"{k % 10_000:04d}-{c}" for k, c in zip(index, code, strict=True)]
    tenure = rng.integers(0, 73, n)
    internet = np.array(["DSL", "Fiber optic", "No"])[rng.choice(3, n, p=[0.34, 0.44, 0.22])]
    phone = np.where(rng.random(n) < 0.9, "Yes", "No")
    monthly = np.round(rng.uniform(18.25, 118.75, n), 2)

    def service() -> np.ndarray:
        return np.where(internet == "No", "No internet service", np.where(rng.random(n) < 0.4, "Yes", "No"))

    yes_no = np.array(["No", "Yes"])
    return pd.DataFrame({
        "customerID": ids,
        "gender": np.array(["Female", "Male"])[rng.integers(0, 2, n)],
        "SeniorCitizen": (rng.random(n) < 0.16).astype(int),
        "Partner": yes_no[rng.integers(0, 2, n)],
        "Dependents": yes_no[(rng.random(n) < 0.3).astype(int)],
        "tenure": tenure,
        "PhoneService": phone,
        "MultipleLines": np.where(phone == "No", "No phone service", yes_no[rng.integers(0, 2, n)]),
        "InternetService": internet,
        "OnlineSecurity": service(), "OnlineBackup": service(), "DeviceProtection": service(),
        "TechSupport": service(), "StreamingTV": service(), "StreamingMovies": service(),
        "Contract": np.array(["Month-to-month", "One year", "Two year"])[rng.choice(3, n, p=[0.55, 0.21, 0.24])],
        "PaperlessBilling": yes_no[(rng.random(n) < 0.59).astype(int)],
        "PaymentMethod": np.array(["Electronic check", "Mailed check", "Bank transfer (automatic)",
                                   "Credit card (automatic)"])[rng.integers(0, 4, n)],
        "MonthlyCharges": monthly,
        "TotalCharges": np.where(tenure == 0, " ", np.round(monthly * tenure, 2).astype(str)),
        "Churn": yes_no[(rng.random(n) < 0.265).astype(int)],
    })


#: name -> (generator, line terminator, what the file is)
LAYOUTS: dict[str, tuple[Callable[[np.random.Generator, int, int], pd.DataFrame], str, str]] = {
    "kaggle": (kaggle, "\n", "Kaggle support tickets, long multi-line descriptions (17 columns)"),
    "fivetran": (fivetran, "\r\n", "Zendesk API tickets via Fivetran, CRLF, multi-line descriptions (36 columns)"),
    "field_history": (field_history, "\n", "Zendesk ticket field history, one row per change (6 columns)"),
    "telco": (telco, "\n", "IBM Telco customer churn (21 columns)"),
}


def chunks(layout: str, rows: int, seed: int = 7) -> Iterator[pd.DataFrame]:
    make = LAYOUTS[layout][0]
    for i, start in enumerate(range(0, rows, CHUNK)):
        yield make(np.random.default_rng([seed, i]), start + 1, min(CHUNK, rows - start))


def write(layout: str, rows: int, path: Path, seed: int = 7) -> Path:
    """Write ``rows`` rows of ``layout`` to ``path`` (CSV, quoted as the source quotes: only where needed)."""
    ending = LAYOUTS[layout][1]
    with path.open("w", encoding="utf-8", newline="") as out:
        for i, frame in enumerate(chunks(layout, rows, seed)):
            frame.to_csv(out, index=False, header=i == 0, lineterminator=ending, quoting=csv.QUOTE_MINIMAL)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("layout", choices=sorted(LAYOUTS))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    write(args.layout, args.rows, args.out, args.seed)
    print(f"{args.out}: {args.rows:,} rows, {args.out.stat().st_size / 1e6:,.0f} MB")


if __name__ == "__main__":
    main()
