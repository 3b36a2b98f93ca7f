"""Digests: figures, rendering per recipient, chart, schedule."""
