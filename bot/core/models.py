"""Tables. Addresses are never stored in clear: a keyed hash finds a contact, a ciphertext
lets us answer. Information requests carry no link to any person."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Contact(Base):
    """A person reached on one channel, known by a pseudonym of their address."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    address_enc: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    # Read when a text is missing in ``language``, before French (FALLBACK EN); None: French.
    fallback_language: Mapped[str | None] = mapped_column(String(8))
    point_id: Mapped[str | None] = mapped_column(String(40))
    # Conversation state lives here, not in process memory: any process serves the next message.
    conversation: Mapped[str] = mapped_column(String(32), default="info")
    step: Mapped[str] = mapped_column(String(40), default="start")
    state_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    stopped: Mapped[bool] = mapped_column(Boolean, default=False)
    notice_version: Mapped[str | None] = mapped_column(String(16))
    notice_at: Mapped[datetime | None]
    # "Listen" chosen once for all: answers come as voice notes where a recording exists.
    listen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboundMessage(Base):
    """One row per provider message: its unique key makes processing exactly-once.

    No body and no address: only what deduplication and the usage counts need.
    """

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_inbound_channel_ext"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class InfoRequest(Base):
    """A topic served: counted by channel, language, point and topic, never by person."""

    __tablename__ = "info_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    point_id: Mapped[str | None] = mapped_column(String(40))
    region: Mapped[str | None] = mapped_column(String(8))
    topic: Mapped[str] = mapped_column(String(40))


class OutboxMessage(Base):
    """Every message Hanya sends, written in the transaction that decided to send it."""

    __tablename__ = "outbox"
    # The sender's claim walks pending rows in this order and stops at its limit.
    __table_args__ = (Index("ix_outbox_claim_order", "status", "priority", "next_attempt_at",
                            "id"),
                      Index("ix_outbox_route_status", "route", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    # Own encrypted copy of the address: a DELETE must still get its confirmation.
    address_enc: Mapped[str] = mapped_column(Text)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    # The destination's keyed hash, shortened (never the address): one chat's messages share
    # it, so the sender can keep to one message at a time per chat in SQL. Null: no pacing key.
    route: Mapped[str | None] = mapped_column(String(16))
    # The provider-shaped message (``Outgoing.to_payload()`` as JSON), sealed: ``payloads``.
    payload_enc: Mapped[str] = mapped_column(Text)
    # The reply to a DELETE: the person is gone, and so is this row once it is sent.
    forget_after_send: Mapped[bool] = mapped_column(Boolean, default=False)
    # Lower goes first: -1 an SOS, 0 a person waiting, 5 alerts, 9 digests (recipients.py).
    priority: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    delivery_status: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class IntakeMessage(Base):
    """An inbound message accepted from its provider and not yet handled (bot/core/intake.py).

    Written before the webhook answers, deleted in the transaction that handles it: a row here
    is a message the provider no longer holds and we have not yet acted on.
    """

    __tablename__ = "intake"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_intake_channel_ext"),
                      Index("ix_intake_route_id", "route", "id"),
                      Index("ix_intake_urgent", "id", sqlite_where=text("urgent"),
                            postgresql_where=text("urgent")))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    # The sender's keyed hash, shortened (as the outbox's route): one person's messages are
    # handled one at a time and in order, in any process.
    route: Mapped[str] = mapped_column(String(16))
    # The neutral message (address and text included), encrypted.
    payload_enc: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # An SOS, marked when accepted: claimed before the rows ahead of it (a burst must not
    # delay it), after its own sender's earlier ones.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class DeadLetter(Base):
    """An inbound message that failed for good: kept aside (encrypted) instead of blocking."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    payload_enc: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = [
    "Base", "Contact", "DeadLetter", "InboundMessage", "InfoRequest", "IntakeMessage",
    "OutboxMessage", "utcnow",
]
