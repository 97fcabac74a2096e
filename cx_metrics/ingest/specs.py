"""What each kind of file must and may contain, and how vendors name those columns.

Header names are compared after :func:`norm` (lower case, letters and digits only), so "Created at",
"created_at" and "CREATED AT" are the same. Each canonical field lists the names vendors use for it, best
first; a vendor signature is a set of names that, together, identify the vendor's export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KINDS = ("tickets", "ticket_events", "surveys", "customers", "activity")


def norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # id, text, timestamp, number, duration, bool, tags, score
    synonyms: tuple[str, ...]
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class Vendor:
    name: str  # shown to the user
    kind: str
    signature: tuple[str, ...]  # normalised header names that identify it
    extra: dict[str, tuple[str, ...]] = field(default_factory=dict)  # vendor-specific synonyms, tried first


def _f(name: str, type_: str, *synonyms: str, required: bool = False, description: str = "") -> Field:
    return Field(name, type_, tuple(norm(s) for s in synonyms), required, description)


FIELDS: dict[str, list[Field]] = {
    "tickets": [
        _f("ticket_id", "id", "id", "ticket id", "ticket_id", "ticket number", "issue key", "conversation id",
           "number", "key", "case number", "case id", required=True),
        _f("created_at", "timestamp", "created at", "created_at", "created time", "created", "date created",
           "creation date", "opened at", "opened", "submitted at", "created date", required=True),
        _f("customer_id", "id", "requester id", "requester_id", "customer id", "contact id", "customer_id",
           "user id", "account id", "client id"),
        _f("customer_email", "text", "requester email", "customer email", "email", "contact email", "reporter email",
           "customer email address"),
        _f("customer_name", "text", "requester", "customer name", "full name", "contact name", "reporter", "name"),
        _f("first_response_at", "timestamp", "first response at", "first reply at", "initial response time",
           "first response time", "first responded at", "first_response_at"),
        _f("first_solved_at", "timestamp", "first solved at", "first resolved at", "first resolution at"),
        _f("solved_at", "timestamp", "solved at", "solved_at", "resolved time", "resolved", "resolved at",
           "resolution date", "time to resolution", "resolved date", "solved date"),
        _f("closed_at", "timestamp", "closed at", "closed time", "closed", "closed date", "closed_at"),
        _f("updated_at", "timestamp", "updated at", "updated_at", "last update time", "updated", "last updated",
           "last modified"),
        _f("status", "text", "status", "ticket status", "state", "resolution status"),
        _f("channel", "text", "via", "via_channel", "channel", "source", "ticket channel", "medium",
           "request type", "type of contact"),
        _f("category", "text", "category", "ticket category", "topic", "issue category", "reason",
           # Zendesk custom drop-down fields export as "Name [list]"
           "category [list]", "contact reason [list]", "reason [list]", "topic [list]", "issue type [list]",
           "ticket subject", "product", "product purchased", "component"),
        _f("ticket_type", "text", "ticket type", "type", "issue type", "ticket_type", "request type"),
        _f("priority", "text", "priority", "ticket priority", "urgency", "severity"),
        _f("subject", "text", "subject", "summary", "title", "ticket subject"),
        _f("description", "text", "description", "ticket description", "body", "first message", "message"),
        _f("tags", "tags", "tags", "labels", "tag"),
        _f("group_name", "text", "group", "group name", "team", "group_id", "queue", "department"),
        _f("assignee", "text", "assignee", "agent", "assignee name", "assignee_id", "owner", "assigned to"),
        _f("reopens", "number", "reopens", "reopen count", "count reopens"),
        _f("replies", "number", "replies", "agent replies", "agent interactions", "public comments"),
        _f("group_stations", "number", "group stations", "groups"),
        _f("assignee_stations", "number", "assignee stations", "assignees", "count assignments"),
        _f("satisfaction", "text", "satisfaction score", "satisfaction rating", "customer satisfaction rating",
           "survey results", "csat", "rating", "conversation rating"),
        _f("vendor_first_reply_minutes", "number", "first reply time in minutes", "first reply time"),
        _f("vendor_first_reply_minutes_business", "number", "first reply time in minutes within business hours"),
        _f("vendor_full_resolution_minutes", "number", "full resolution time in minutes"),
        _f("vendor_full_resolution_minutes_business", "number",
           "full resolution time in minutes within business hours"),
        _f("vendor_first_resolution_minutes", "number", "first resolution time in minutes"),
        _f("first_response_hours", "number", "first response time in hrs", "first response time hrs"),
        _f("resolution_hours", "number", "resolution time in hrs", "resolution time hrs"),
        _f("sla_first_response", "duration", "time to first response", "custom field time to first response"),
        _f("sla_resolution", "duration", "custom field time to resolution", "time to resolution sla"),
    ],
    "ticket_events": [
        _f("ticket_id", "id", "ticket id", "ticket_id", required=True),
        _f("occurred_at", "timestamp", "updated", "occurred at", "created at", "timestamp", "changed at", "valid from",
           required=True),
        _f("field", "text", "field name", "field_name", "field", "property", required=True),
        _f("value", "text", "value", "new value", "to"),
        _f("actor", "text", "user id", "user_id", "author", "actor", "updater id"),
    ],
    "customers": [
        _f("customer_id", "id", "customer id", "customerid", "customer_id", "id", "account id", "contact id",
           "client id", "user id", "external id", required=True),
        _f("signup_at", "timestamp", "signup date", "signup at", "sign up date", "created at", "customer since",
           "start date", "registration date", "join date", "first purchase date", "date of purchase", "created"),
        _f("birth_year", "number", "birth year", "year of birth", "yob", "birthyear"),
        _f("birth_date", "timestamp", "birth date", "date of birth", "dob", "birthday"),
        _f("age", "number", "age", "customer age"),
        _f("tenure_months", "number", "tenure months", "months as customer", "tenure in months",
           description="how long the customer has been one, in months, as of the day the data was taken"),
        _f("tenure_years", "number", "tenure years", "years as customer", "tenure in years",
           description="how long the customer has been one, in years, as of the day the data was taken"),
        _f("plan", "text", "plan", "subscription plan", "tier", "contract", "package", "subscription"),
        _f("segment", "text", "segment", "customer segment", "market segment"),
        _f("region", "text", "region", "sales region", "territory", "location census region"),
        _f("country", "text", "country", "country code", "nation"),
        _f("acquisition_channel", "text", "acquisition channel", "source", "lead source", "utm source",
           "signup channel"),
        _f("status", "text", "status", "account status", "customer status", "lifecycle stage"),
        _f("churned", "bool", "churn", "churned", "is churned", "exited", "cancelled"),
        _f("churned_at", "timestamp", "churned at", "churn date", "cancelled at", "cancellation date", "end date",
           "closed at"),
        _f("email", "text", "email", "email address", "customer email", "e mail"),
        _f("name", "text", "name", "full name", "customer name", "first name"),
    ],
    "activity": [
        _f("customer_id", "id", "customer id", "customer_id", "user id", "account id", "customerid", required=True),
        _f("occurred_at", "timestamp", "occurred at", "date", "order date", "timestamp", "event time", "created at",
           "invoice date", "login at", "event date", required=True),
        _f("kind", "text", "kind", "event", "event type", "type", "activity"),
        _f("amount", "number", "amount", "revenue", "total", "value", "price", "order total"),
    ],
}

VENDORS: list[Vendor] = [
    Vendor("Zendesk (UI/Explore export)", "tickets",
           tuple(map(norm, ("Id", "Requester", "Created at", "Solved at", "Via", "Satisfaction Score",
                            "Group stations", "Assignee stations", "Reopens", "Replies",
                            "First reply time in minutes", "Full resolution time in minutes"))),
           {"ticket_id": ("id",), "customer_name": ("requester",), "channel": ("via",)}),
    Vendor("Zendesk (API / Fivetran)", "tickets",
           tuple(map(norm, ("id", "created_at", "updated_at", "via_channel", "requester_id", "assignee_id",
                            "group_id", "status", "priority", "type", "subject", "description", "brand_id",
                            "organization_id", "_fivetran_synced"))),
           {"ticket_id": ("id",), "channel": ("viachannel",), "customer_id": ("requesterid",),
            "ticket_type": ("type",)}),
    Vendor("Zendesk (ticket field history)", "ticket_events",
           tuple(map(norm, ("field_name", "ticket_id", "updated", "value", "user_id"))),
           {"occurred_at": ("updated",)}),
    Vendor("Freshdesk", "tickets",
           tuple(map(norm, ("Ticket ID", "Subject", "Status", "Priority", "Source", "Type", "Agent", "Group",
                            "Created time", "Due by Time", "Resolved time", "Closed time", "Last update time",
                            "Initial response time", "Survey results", "Agent interactions"))),
           {"channel": ("source",), "first_response_at": ("initialresponsetime",)}),
    Vendor("Jira Service Management", "tickets",
           tuple(map(norm, ("Issue key", "Issue id", "Summary", "Issue Type", "Status", "Priority", "Resolution",
                            "Assignee", "Reporter", "Created", "Updated", "Resolved", "Time to first response",
                            "Time to resolution"))),
           {"ticket_id": ("issuekey",), "ticket_type": ("issuetype",), "subject": ("summary",),
            "channel": ("requesttype", "customfieldrequesttype"), "customer_name": ("reporter",),
            "sla_resolution": ("timetoresolution", "customfieldtimetoresolution"),
            "solved_at": ("resolved",)}),
    Vendor("Help Scout", "tickets",
           tuple(map(norm, ("Conversation ID", "Number", "Subject", "Status", "Customer", "Customer Email",
                            "Mailbox", "Assigned To", "Created At", "Closed At", "First Response At", "Tags",
                            "Type"))),
           {"ticket_id": ("number", "conversationid"), "group_name": ("mailbox",), "channel": ("type",),
            "customer_name": ("customer",)}),
    Vendor("Intercom (conversations JSON)", "tickets",
           tuple(map(norm, ("id", "created_at", "updated_at", "state", "source.delivered_as", "source.type",
                            "statistics.first_contact_reply_at", "statistics.last_close_at",
                            "conversation_rating.rating"))),
           {"ticket_id": ("id",), "status": ("state",), "channel": ("sourcetype", "sourcedeliveredas"),
            "subject": ("sourcesubject",), "description": ("sourcebody",),
            "first_response_at": ("statisticsfirstcontactreplyat", "statisticsfirstadminreplyat"),
            "first_solved_at": ("statisticsfirstcloseat",), "solved_at": ("statisticslastcloseat",),
            "reopens": ("statisticscountreopens",), "assignee_stations": ("statisticscountassignments",),
            "satisfaction": ("conversationratingrating",), "customer_id": ("sourceauthorid", "contactsid"),
            "customer_email": ("sourceauthoremail",), "tags": ("tagstags",)}),
    Vendor("Kaggle customer support tickets", "tickets",
           tuple(map(norm, ("Ticket ID", "Customer Name", "Customer Email", "Customer Age", "Customer Gender",
                            "Product Purchased", "Date of Purchase", "Ticket Type", "Ticket Subject",
                            "Ticket Description", "Ticket Status", "Resolution", "Ticket Priority", "Ticket Channel",
                            "First Response Time", "Time to Resolution", "Customer Satisfaction Rating"))),
           {"category": ("ticketsubject",), "subject": ("ticketsubject",), "solved_at": ("timetoresolution",)}),
    Vendor("IBM Telco customer churn", "customers",
           tuple(map(norm, ("customerID", "gender", "SeniorCitizen", "Partner", "Dependents", "tenure",
                            "Contract", "MonthlyCharges", "TotalCharges", "Churn"))),
           {"plan": ("contract",)}),
]

SURVEY_VENDOR_HINTS = {
    "Qualtrics": tuple(map(norm, ("StartDate", "EndDate", "Status", "Progress", "Duration (in seconds)", "Finished",
                                  "RecordedDate", "ResponseId", "DistributionChannel", "UserLanguage"))),
    "Qualtrics (legacy)": tuple(map(norm, ("ResponseID", "ResponseSet", "Name", "ExternalDataReference",
                                           "EmailAddress", "IPAddress", "Status", "StartDate", "EndDate",
                                           "Finished"))),
    "SurveyMonkey": tuple(map(norm, ("Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address",
                                     "Email Address", "First Name", "Last Name", "Custom Data 1", "RespondentID"))),
    "Typeform": tuple(map(norm, ("#", "Response Type", "Start Date (UTC)", "Stage Date (UTC)",
                                 "Submit Date (UTC)", "Network ID", "Tags"))),
    "Google Forms": tuple(map(norm, ("Timestamp", "Email Address", "Score"))),
    "Delighted": tuple(map(norm, ("Response ID", "Score", "Comment", "Response Timestamp", "Person ID", "Email",
                                  "Name", "Delighted Source", "Survey Type"))),
}
