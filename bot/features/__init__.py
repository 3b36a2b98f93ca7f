"""One package per feature: its tables, texts, domain actions and CLI. Its conversations are in
handlers/, its pages in webhooks/dashboard/.
"""
