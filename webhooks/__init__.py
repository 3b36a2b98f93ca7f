"""The FastAPI app and one adapter module per channel (parse, verify, render, send)."""
