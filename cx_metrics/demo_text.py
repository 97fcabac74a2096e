"""Text templates for the demo data (subjects, descriptions, survey comments)."""

from __future__ import annotations

CATEGORIES = [
    "Billing",
    "Account access",
    "Bug report",
    "Shipping & delivery",
    "How-to",
    "Feature request",
    "Performance",
    "Cancellation",
]

SUBJECTS: dict[str, list[str]] = {
    "Billing": [
        "Question about my invoice",
        "Refund not received",
        "Wrong amount on my bill",
        "How do I update my payment card?",
        "VAT number missing on invoice",
    ],
    "Account access": [
        "Cannot log in to my account",
        "Password reset email never arrives",
        "Two-factor code not accepted",
        "Locked out after too many attempts",
    ],
    "Bug report": [
        "Export to CSV fails with an error",
        "Dashboard shows blank charts",
        "App crashes when I upload a file",
        "Notifications are sent twice",
        "Search returns no results",
    ],
    "Shipping & delivery": [
        "Where is my order?",
        "Package arrived damaged",
        "Delivery is two weeks late",
        "Wrong item delivered",
    ],
    "How-to": [
        "How do I add a team member?",
        "How can I change my plan?",
        "Setting up the integration",
        "Where do I find my API key?",
        "How do I schedule a report?",
    ],
    "Feature request": [
        "Please add dark mode",
        "Feature request: bulk edit",
        "Could you support SSO with our provider?",
        "Would love a mobile app widget",
    ],
    "Performance": [
        "Pages are very slow to load",
        "Sync takes hours",
        "Timeouts during busy hours",
    ],
    "Cancellation": [
        "I want to cancel my subscription",
        "Please close my account",
        "Downgrade before renewal",
    ],
}

SPIKE_SUBJECT = "Charged twice for my subscription this month"

DETAILS = [
    "This has happened more than once now.",
    "I already contacted you last week about this.",
    "Please get back to me as soon as possible.",
    "Our whole team is affected.",
    "Screenshots attached.",
    "Thanks in advance for your help.",
]

COMMENTS_NEG = [
    "I had to explain my problem three times to different people.",
    "It took far too long to get an answer.",
    "Still not fixed, and nobody followed up.",
    "I was transferred between departments and nobody owned the issue.",
    "The phone wait was terrible and the agent could not help.",
    "I was charged twice and the refund took weeks.",
    "Nobody told me what the next step was or when to expect it.",
    "The answer was copy-pasted and did not address my question.",
    "Impossible de joindre quelqu'un, personne ne m'a rappelé.",
    "Le problème n'est toujours pas résolu après deux semaines.",
]
COMMENTS_NEUTRAL = [
    "Okay in the end, but it took a while.",
    "The agent was polite but I had to chase for an update.",
    "Fine, nothing special.",
    "Solved, though I would have liked a clearer explanation.",
    "Correct, mais un peu lent.",
]
COMMENTS_POS = [
    "Quick and friendly, problem solved on the first contact.",
    "The agent explained the next steps and the timeline clearly.",
    "Great support, they followed up without me asking.",
    "Fast answer on chat, thank you!",
    "Very helpful, fixed in minutes.",
    "Excellent service, rapide et efficace.",
]
NPS_NEG = [
    "Support is slow and I keep getting handed off.",
    "Too many billing mistakes lately.",
    "The product is fine but the service has gone downhill.",
    "Missing features we asked for a year ago.",
    "Prices went up and quality went down.",
]
NPS_PASSIVE = [
    "Does the job, some rough edges.",
    "Good product, support could be faster.",
    "Decent value for money.",
]
NPS_POS = [
    "Reliable product and a support team that actually cares.",
    "I recommend it to everyone on my team.",
    "Easy to use and the support is great.",
    "Best tool we use, keep it up!",
]

AGENTS = [
    "Alice Moreau", "Ben Carter", "Chloé Dubois", "Daniel Kim", "Elena Rossi", "Farid Haddad",
    "Grace Liu", "Hugo Martin", "Isla Novak", "Jonas Berg", "Kavya Rao", "Liam O'Brien",
    "Maya Cohen", "Noah Fischer", "Olivia Santos", "Pablo Ortega", "Quinn Walsh", "Rina Sato",
    "Sam Okafor", "Tara Singh", "Umar Sheikh", "Vera Ivanova", "Will Turner", "Ximena Cruz",
]

INDUSTRIES = ["Retail", "Software", "Healthcare", "Education", "Finance", "Manufacturing", "Media", "Travel"]

COUNTRIES = {
    "North America": (["United States", "Canada", "Mexico"], [0.78, 0.17, 0.05]),
    "EMEA": (["United Kingdom", "Germany", "France", "Netherlands", "Spain", "South Africa"],
             [0.28, 0.24, 0.2, 0.1, 0.1, 0.08]),
    "APAC": (["Australia", "Japan", "India", "Singapore"], [0.35, 0.25, 0.3, 0.1]),
    "LATAM": (["Brazil", "Argentina", "Chile", "Colombia"], [0.5, 0.2, 0.15, 0.15]),
}
