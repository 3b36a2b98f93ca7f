"""Benchmarks: ``make bench`` (``python -m bench``). See docs/BENCHMARKS.md for the last table."""
