"""A message its channel refused, handed on instead of failed in silence.

WhatsApp takes a free-form message only within 24 hours of the person's last one; outside, the
channel's adapter raises ``OutOfReach`` (or Twilio's status callback reports 63016). The
channel's ``fallback`` (bot/core/channel_registry.py) says where the message goes next (its
template on the same channel, SMS to the same number); the first candidate that a set-up
channel reaches gets a copy in the outbox, in the same transaction that marks the refused row
``rerouted`` with where it went. Nothing fits: the row is ``failed``, said so in
``last_error``, and counted (``hanya_rerouted_total{to="none"}``, the operations page).
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import channel_registry, metrics
from bot.core.crypto import Vault
from bot.core.messages import Outgoing
from bot.core.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)
__all__ = ["REROUTED", "reroute", "reroute_by_provider_id"]

REROUTED = "rerouted"  # the start of last_error on a row handed on


def reroute(session: Session, vault: Vault, row: OutboxMessage, available: Collection[str],
            code: str) -> str | None:
    """Queue ``row``'s message where its channel's fallback says; return the channel it went
    to (None: nowhere). ``row`` becomes ``rerouted`` (or ``failed``), saying why."""
    row.lease_until, row.next_attempt_at = None, utcnow()
    channel = channel_registry.find(row.channel)
    address = vault.decrypt(row.address_enc)
    message = Outgoing.unseal(vault, row.payload_enc)
    for other_address, other in (channel.fallback(address, message, code)
                                 if channel is not None and channel.fallback else []):
        name = _reaching(other_address, available)
        if name is None:
            continue
        session.add(OutboxMessage(
            channel=name, address_enc=vault.encrypt(other_address), contact_id=row.contact_id,
            route=(vault.pseudonym(other_address)[:16] if other_address != address
                   else row.route),
            payload_enc=other.seal(vault), priority=row.priority,
            forget_after_send=row.forget_after_send))
        row.status, row.last_error = REROUTED, f"{REROUTED} ({code}) to {name}"[:200]
        metrics.rerouted.labels(row.channel, code, name).inc()
        log.info("outbox %s: %s refused it (%s), handed to %s", row.id, row.channel, code, name)
        return name
    row.status = "failed"
    row.last_error = f"refused ({code}), no other channel reaches the person"[:200]
    metrics.rerouted.labels(row.channel, code, "none").inc()
    log.warning("outbox %s: %s refused it (%s) and no other channel reaches the person",
                row.id, row.channel, code)
    return None


def reroute_by_provider_id(session: Session, vault: Vault, provider_id: str, code: str,
                           available: Collection[str]) -> bool:
    """A status callback's refusal (e.g. Twilio's 63016 after the send was accepted): hand the
    message on once, however often the callback comes. False: not a refusal to act on."""
    row = session.scalars(select(OutboxMessage).where(
        OutboxMessage.provider_id == provider_id)).first()
    channel = channel_registry.find(row.channel) if row is not None else None
    if row is None or channel is None or code not in channel.refused_codes:
        return False
    if row.status not in (REROUTED, "failed"):  # else handed on (or given up) already
        reroute(session, vault, row, available, code)
    return True


def _reaching(address: str, available: Collection[str]) -> str | None:
    """The set-up channel (first by rank) that reaches ``address``."""
    for channel in channel_registry.installed():
        if address.startswith(channel.scheme) and channel.name in available:
            return channel.name
    return None
