"""Digests: the figures a scheduled e-mail or PDF shows (figures.py), its model, rendering and sending."""
