"""Logging policy: our records never carry addresses or bodies; libraries' chatty loggers do.

httpx logs every request URL, and a Telegram URL contains the bot token; python-telegram-bot
logs parameters (chat ids, texts) at DEBUG; twilio's client logs request bodies (numbers,
texts) at INFO. They are capped at WARNING, where they report failures without payloads.
"""

from __future__ import annotations

import logging

CHATTY = ("httpx", "httpcore", "telegram", "twilio", "hpack", "apscheduler.executors")


def quiet_third_party_loggers(level: int = logging.WARNING) -> None:
    for name in CHATTY:
        logging.getLogger(name).setLevel(level)


def configure(level: int = logging.INFO) -> None:
    """Process-wide logging for the service and the CLI."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    quiet_third_party_loggers()
