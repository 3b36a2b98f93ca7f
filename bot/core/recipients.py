"""SP/CCM recipients of alerts and digests, and queuing a message to any address.

A recipient is a Telegram chat or group, or a phone number, with a language and the
subscriptions it receives (``alerts``, ``daily``, ``weekly``). Its address is encrypted like a
contact's; ``core`` marks SP/CCM core staff (they see small counts unsuppressed).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import phonenumbers
from sqlalchemy import Boolean, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.core.channel_registry import channel_for_address
from bot.core.crypto import Vault
from bot.core.messages import Outgoing
from bot.core.models import Base, OutboxMessage, utcnow

# What a recipient can receive: urgent alerts, and each digest kind (each registers its own,
# bot/features/digests/kinds/).
SUBSCRIPTIONS: list[str] = ["alerts"]
DEFAULT_PHONE_REGION = "NE"  # a number typed without its country code is a Niger number
# Lanes of the outbox, lower first: an SOS (the person's reply and the duty team's alert) ahead
# of everything, then a person waiting, then alerts, then digests. The SOS lane is below the
# replies' 0 so that rows queued before it kept their number (no migration).
PRIORITY_SOS, PRIORITY_REPLY, PRIORITY_ALERT, PRIORITY_DIGEST = -1, 0, 5, 9
# What a message is, when nobody gave its kind: by its lane (a channel with rules about
# unprompted messages, WhatsApp's 24 hours, picks its template by it).
KIND_OF_PRIORITY = {PRIORITY_ALERT: "alert", PRIORITY_DIGEST: "digest"}


class Recipient(Base):
    __tablename__ = "recipients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))  # e.g. "SP/CCM duty officer"
    channel: Mapped[str] = mapped_column(String(16))  # an installed channel's name
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    address_enc: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="fr")
    subscriptions: Mapped[str] = mapped_column(String(80), default="alerts,daily,weekly")
    core: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def receives(self, subscription: str) -> bool:
        return subscription in self.subscriptions.split(",")


def parse_address(text: str) -> str:
    """``telegram:<chat id>`` as is, a valid phone number as ``tel:+<E.164>`` (or
    ``whatsapp:+<E.164>`` when written so).

    A number may be typed with or without ``tel:``, spaces, or its +227 country code.
    Raises ``ValueError`` for anything else.
    """
    text = text.strip()
    if text.startswith("telegram:") and text.removeprefix("telegram:").lstrip("-").isdigit():
        return text
    if text.startswith("whatsapp:"):  # a WhatsApp number: the same number, its own scheme
        return "whatsapp:" + parse_address(text.removeprefix("whatsapp:")).removeprefix("tel:")
    try:
        number = phonenumbers.parse(text.removeprefix("tel:"), DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("write telegram:<chat id> or tel:+<country code><number>")
    return "tel:" + phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def add_subscription(name: str) -> None:
    """Make ``name`` a subscription a recipient can have (a digest kind registering)."""
    if name not in SUBSCRIPTIONS:
        SUBSCRIPTIONS.append(name)


def subscriptions_text(subscriptions: list[str]) -> str:
    """The stored form of a list of subscriptions (known ones only, in a stable order)."""
    unknown = set(subscriptions) - set(SUBSCRIPTIONS)
    if unknown:
        raise ValueError(f"unknown subscription(s): {', '.join(sorted(unknown))}")
    return ",".join(name for name in SUBSCRIPTIONS if name in subscriptions)


def add_recipient(session: Session, vault: Vault, *, name: str, address: str, language: str,
                  subscriptions: list[str], core: bool = True,
                  channel: str | None = None) -> Recipient:
    """Create (or update) the recipient at ``address`` (``telegram:<chat>`` or ``tel:+...``),
    reached on ``channel`` (default: the first installed channel for that address)."""
    stored = subscriptions_text(subscriptions)
    chosen = channel_for_address(address, channel)
    pseudonym = vault.pseudonym(address)
    recipient = session.scalars(select(Recipient).where(Recipient.pseudonym == pseudonym)).first()
    if recipient is None:
        recipient = Recipient(pseudonym=pseudonym, address_enc=vault.encrypt(address),
                              channel=chosen)
        session.add(recipient)
    recipient.name, recipient.language, recipient.core = name, language, core
    recipient.subscriptions, recipient.active = stored, True
    if channel is not None:  # an update keeps the channel it had unless told otherwise
        recipient.channel = chosen
    session.flush()
    return recipient


def recipients_for(session: Session, subscription: str) -> list[Recipient]:
    rows = session.scalars(select(Recipient).where(Recipient.active.is_(True))
                           .order_by(Recipient.id))
    return [r for r in rows if r.receives(subscription)]


def route_of(pseudonym: str | None) -> str | None:
    """The outbox pacing key of a destination: its pseudonym, shortened."""
    return pseudonym[:16] if pseudonym else None


def enqueue(session: Session, vault: Vault, *, channel: str, address_enc: str,
            message: Outgoing, priority: int, contact_id: int | None = None,
            route: str | None = None, kind: str | None = None,
            language: str | None = None) -> OutboxMessage:
    """Queue one message in the caller's transaction (sent after commit by the sender).

    ``route`` (``route_of(pseudonym)``) lets the sender pace per chat without decrypting;
    ``kind`` (by default the lane's: alert, digest) and ``language`` go with the message.
    """
    kind = kind or message.kind or KIND_OF_PRIORITY.get(priority)
    if kind or language:
        message = replace(message, kind=kind, language=language or message.language)
    row = OutboxMessage(channel=channel, address_enc=address_enc, contact_id=contact_id,
                        payload_enc=message.seal(vault), priority=priority, route=route)
    session.add(row)
    return row
