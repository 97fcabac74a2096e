"""Delivery: secrets, the outbox that keeps every message until it is sent, e-mail over SMTP with STARTTLS, and
Slack and Microsoft Teams incoming webhooks."""
