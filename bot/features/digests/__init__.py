"""Digests: figures, rendering per recipient, chart, schedule; one module per kind (kinds/)."""

from bot.features.digests import kinds as _kinds

# Each kind registers its recipients' subscription: whoever uses the digests sees them all.
_kinds.load()
