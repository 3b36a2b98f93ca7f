"""Hanya's code in three layers: ``core`` (channel-neutral), ``features`` (one package per
feature), ``app`` (the wiring). See docs/ARCHITECTURE.md.
"""
