"""Channel-neutral messages: what comes in from any channel, and what the engine says back.

An address reads like ``telegram:3527065`` or ``tel:+22790000000`` (as in courier).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # annotations only: rendering a reply needs no cryptography (issue #23)
    from bot.core.crypto import Vault

Kind = Literal["text", "choice", "location", "media", "blocked"]


@dataclass(frozen=True)
class MsgIn:
    channel: str
    address: str
    external_id: str
    kind: Kind = "text"
    text: str = ""
    # A button's payload (Telegram callback data), already one of the options we offered.
    choice: str | None = None
    location: tuple[float, float] | None = None
    # A photo or voice note: (kind, provider file id). Kept as the provider's id, not downloaded.
    media: tuple[str, str] | None = None
    # Provider hint of the person's language (Telegram language_code); stored only in the
    # intake's encrypted copy until the message is handled.
    language_hint: str | None = None
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class Option:
    key: str  # stable payload, e.g. "topic:rights" (within Telegram's 64-byte callback limit)
    label: str  # label for a button or a numbered SMS line
    sms_label: str | None = None  # GSM-7-friendly label when it differs


@dataclass
class Reply:
    """One thing to say: a text, optionally with choices, for any channel."""

    text: str
    options: list[Option] = field(default_factory=list)
    sms_text: str | None = None  # shorter variant for SMS
    request_location: bool = False  # offer Telegram's "share location" button
    # Whether the SMS rendering appends "reply with a number".
    numbered_hint: bool = True
    # A "menu" button under the text on channels with buttons (not a step option).
    menu_button: bool = False
    # An "SOS" button on channels with buttons: raises the SOS (alert + numbers), as the word does.
    sos_button: bool = False
    # Already shaped for SMS (a MORE page): sent as it is, not paginated again.
    preformatted: bool = False
    # A recording to send as a voice note, with the text as its caption or just after, on
    # channels that play voice notes (elsewhere only the text goes): (file path, digest).
    voice: tuple[str, str] | None = None
    # Buttons after the options on channels with buttons, not options of the step (a topic's
    # "listen" buttons: the menu's options stay the ones offered).
    extra_buttons: list[Option] = field(default_factory=list)
    # On a chat without buttons the extra buttons are numbered lines from this number on
    # (after the options in play; set by ``Turn.say``).
    first_extra: int | None = None
    # What the reply is, for a channel that may send it as a provider's template ("menu":
    # the main menu, as WhatsApp's list picker where editors configured one).
    template: str | None = None


@dataclass(frozen=True)
class Outgoing:
    """One provider message, already shaped for its channel; stored as the outbox payload."""

    text: str
    buttons: list[list[dict[str, str]]] | None = None  # inline keyboard: rows of {text, data}
    location_button: str | None = None  # reply-keyboard button that asks for a location
    remove_keyboard: bool = False
    photo_path: str | None = None
    # A recording (bot/core/audio.py) sent as a voice note, ``text`` its caption (may be
    # empty); ``voice_digest`` names the file for the provider's file id after one upload.
    voice_path: str | None = None
    voice_digest: str | None = None
    # What it is ("alert", "digest", "idea"; None: a reply to the person's own message) and in
    # which language: a channel with rules about unprompted messages (WhatsApp's 24 hours)
    # picks its pre-approved template by them.
    kind: str | None = None
    language: str | None = None
    # Only as a pre-approved template (the free-form copy was refused outside the window).
    template_only: bool = False
    # The main menu (``Reply.template`` "menu"): its title and its numbered options' labels in
    # order, for a channel that can send it as an interactive template (WhatsApp's list
    # picker); ``text`` still holds the numbered form, sent when no template fits.
    menu_title: str | None = None
    menu_options: list[str] | None = None

    def to_payload(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, False)}

    @classmethod
    def from_payload(cls, payload: dict[str, object]) -> Outgoing:
        return cls(**payload)  # type: ignore[arg-type]

    def seal(self, vault: Vault) -> str:
        """The outbox's ``payload_enc``: what is sent is personal data, encrypted at rest
        (AES-GCM, the cheap kind: a reply is sealed once and opened once)."""
        return vault.seal(json.dumps(self.to_payload(), ensure_ascii=False,
                                     separators=(",", ":")))

    @classmethod
    def unseal(cls, vault: Vault, payload_enc: str) -> Outgoing:
        return cls.from_payload(json.loads(vault.decrypt(payload_enc)))
