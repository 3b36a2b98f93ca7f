"""Logging policy: our records never carry addresses or bodies; libraries' chatty loggers do.

httpx logs every request URL, and a Telegram URL contains the bot token; python-telegram-bot
logs parameters (chat ids, texts) at DEBUG; twilio's client logs request bodies (numbers,
texts) at INFO. They are capped at WARNING, where they report failures without payloads.
"""

from __future__ import annotations

import json
import logging

CHATTY = ("httpx", "httpcore", "telegram", "twilio", "hpack", "apscheduler.executors")


def quiet_third_party_loggers(level: int = logging.WARNING) -> None:
    for name in CHATTY:
        logging.getLogger(name).setLevel(level)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, DropQueryStrings) for f in access.filters):
        access.addFilter(DropQueryStrings())


class DropQueryStrings(logging.Filter):
    """uvicorn's access log writes each path with its query string, where a client may put a
    token or a search (``?next=``, ``?start=``, a bearer token pasted in a URL): the path is
    kept, the query dropped. uvicorn logs ``'%s - "%s %s HTTP/%s" %d'``, the path third."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


class JsonLines(logging.Formatter):
    """One JSON object a line (HANYA_LOG_FORMAT=json), for journald, Loki or an ELK stack.

    The same records as the text format, so the same rule holds: no address, chat id or body.
    """

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
                "level": record.levelname, "logger": record.name,
                "message": record.getMessage()}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(level: int = logging.INFO, *, json_lines: bool = False) -> None:
    """Process-wide logging for the service and the CLI."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if json_lines:
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonLines())
    quiet_third_party_loggers()
