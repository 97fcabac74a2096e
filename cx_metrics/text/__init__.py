"""Free-text helpers: PII redaction and multilingual tokenisation for the theme model."""
