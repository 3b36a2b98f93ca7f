"""The small tree of errors Hanya raises on purpose.

HanyaError
 ├── InboundError                 a webhook request we will not process
 │    ├── Rejected (403/4xx)      forged, malformed: the provider must not retry
 │    └── Ignored (200)           valid but not for us: answered 200 so it is not retried
 ├── StoreUnavailable             the database cannot be reached: try again later
 ├── ContentError                 content or catalogs are broken (file, line, language)
 └── SendError                    a provider refused or failed an outbound message
      ├── Throttled               retry after ``retry_after`` seconds
      ├── TemporarySendError      5xx, network: retry with backoff
      └── PermanentSendError      invalid address and the like: never retry
           ├── ContactStopped     the person blocked the bot or replied STOP to the carrier
           └── OutOfReach         not on this channel now, another may (WhatsApp's 24 hours)
"""

from __future__ import annotations


class HanyaError(Exception):
    """Base of every error Hanya raises on purpose."""


class InboundError(HanyaError):
    status_code = 400

    def __init__(self, reason: str, status_code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        if status_code is not None:
            self.status_code = status_code


class Rejected(InboundError):
    status_code = 403


class Ignored(InboundError):
    status_code = 200


class StoreUnavailable(HanyaError):
    """The store could not be reached; the caller should ask the provider to retry."""


class ContentError(HanyaError):
    def __init__(self, message: str, *, file: str = "", line: int | None = None,
                 language: str | None = None) -> None:
        where = file + (f":{line}" if line else "")
        prefix = f"{where}: " if where else ""
        lang = f" [{language}]" if language else ""
        super().__init__(f"{prefix}{message}{lang}")
        self.file, self.line, self.language = file, line, language
        self.problem = message  # without where: for a finding that has its own file and line


class SendError(HanyaError):
    retryable = True

    def __init__(self, message: str, *, code: str | int | None = None) -> None:
        super().__init__(message)
        self.code = code


class Throttled(SendError):
    def __init__(self, message: str, *, retry_after: float, code: str | int | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class TemporarySendError(SendError):
    pass


class PermanentSendError(SendError):
    retryable = False


class ContactStopped(PermanentSendError):
    pass


class OutOfReach(PermanentSendError):
    """This channel cannot deliver this message now, though the person may be reached on
    another (WhatsApp outside its 24-hour window, no template fitting): the outbox hands the
    message to the channel's fallback (bot/core/reroute.py) instead of failing silently."""
