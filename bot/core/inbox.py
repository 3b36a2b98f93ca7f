"""From one inbound message to stored state and queued replies, in one transaction.

The provider's message id is inserted first under a unique key: a second delivery of the same
message fails that insert and is answered as a duplicate, in any process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core import guard, texts, turn_writes
from bot.core.channel_registry import ChannelTraits
from bot.core.content import Content
from bot.core.crypto import Vault, short_ref
from bot.core.engine import Engine, Turn
from bot.core.messages import MsgIn, Outgoing
from bot.core.models import Contact, utcnow
from bot.core.recipients import PRIORITY_REPLY, PRIORITY_SOS, route_of
from bot.core.render import render
from bot.core.settings import Settings
from bot.core.sms_encoding import sms_cost
from bot.core.store import Store
from bot.core.turn_writes import TurnWrites

log = logging.getLogger(__name__)


class Outcome(Enum):
    PROCESSED = "processed"
    DUPLICATE = "duplicate"


@dataclass
class Result:
    outcome: Outcome
    queued: int = 0  # replies written to the outbox
    forgot: bool = False  # the person said DELETE: their spooled SMS go after the commit


class ContentHolder(Protocol):
    """Holds the current content bundle (``bot.app.runtime.ContentSource`` swaps it on reload)."""

    @property
    def current(self) -> Content: ...


@dataclass
class Inbox:
    """Everything a message needs to be handled, shared by every channel adapter."""

    store: Store
    vault: Vault
    engine: Engine
    settings: Settings
    traits: dict[str, ChannelTraits]
    content_source: ContentHolder
    # DELETE's erasure reaches every feature's rows, so the app hands it in (bot/app/erasure.py):
    # the person's rows in the turn's transaction, then their spooled SMS once it committed.
    erase_person: Callable[[Session, Vault, Contact, str], object]
    erase_spooled: Callable[[Path, Vault, str], int]

    @property
    def content(self) -> Content:
        return self.content_source.current

    def process(self, msg: MsgIn, also: Callable[[Session], object] | None = None) -> Result:
        """Handle ``msg`` exactly once; say how many replies it queued.

        ``also`` runs in the same transaction once the message is handled (the intake deletes
        its row there, so a message is never both handled and still waiting).
        """
        for _attempt in range(2):  # a second try only when two first messages race
            try:
                return self._process_once(msg, also)
            except _ContactRace:
                continue
        return self._process_once(msg, also)

    def _process_once(self, msg: MsgIn, also: Callable[[Session], object] | None) -> Result:
        try:
            with self.store.session() as session:
                result = self._handle(session, msg, also)
            spool = self.settings.spool_dir
            if result.forgot and spool is not None:
                self.erase_spooled(spool, self.vault, msg.address)
        except IntegrityError as exc:
            if _is_duplicate(exc):
                log.info("duplicate %s message %s ignored", msg.channel, msg.external_id)
                return Result(Outcome.DUPLICATE)
            raise _ContactRace() from exc
        return result

    def _handle(self, session: Session, msg: MsgIn,
                also: Callable[[Session], object] | None = None) -> Result:
        contact = self._contact(session, msg)
        content = self.content
        turn = Turn(msg, contact, content, self.traits[msg.channel], self.settings, self.vault,
                    session)
        flood = self._flood(contact, msg)
        if flood.allowed:
            self.engine.handle(turn)
        elif flood.notify:
            turn.say_text(turn.t(texts.THROTTLED))
        rendered = render(turn.replies, turn.channel, turn.language, turn.t)
        rendered.messages = self._guarded(session, contact, msg, rendered.messages)
        new_pages = not all(r.preformatted for r in turn.replies)
        if turn.channel.max_segments is not None and turn.replies and new_pages:
            contact.state_data = {**contact.state_data, "more": rendered.more}
        contact.last_seen_at = now = utcnow()
        # The record's unique (channel, external_id) key decides here: a second delivery fails
        # this write and the whole transaction, the handlers' own writes included, rolls back.
        writes = TurnWrites(
            inbound={"channel": msg.channel, "external_id": msg.external_id, "kind": msg.kind,
                     "received_at": msg.received_at, "contact_id": contact.id},
            contact_id=contact.id,
            contact_changes={} if turn.forget else _contact_changes(session, contact),
            requests=self._requests(turn),
            outbox=self._outbox(turn, rendered.messages, now,
                                PRIORITY_SOS if self.is_sos(msg) else PRIORITY_REPLY),
            also=also)
        turn_writes.write(session, writes, postgres=self.store.is_postgres)
        queued = len(writes.outbox)
        if turn.forget:  # everything that leads back to them goes (bot/app/erasure.py)
            erased = self.erase_person(session, self.vault, contact, msg.address)
            log.info("contact %s erased on request: %s", short_ref(contact.pseudonym), erased)
        return Result(Outcome.PROCESSED, queued, forgot=turn.forget)

    @staticmethod
    def _requests(turn: Turn) -> list[dict[str, Any]]:
        """The topics served, as info_requests rows (no person in them)."""
        contact, point = turn.contact, turn.content.points.get(turn.contact.point_id or "")
        return [{"at": turn.msg.received_at, "channel": turn.msg.channel,
                 "language": turn.language.code, "point_id": contact.point_id,
                 "region": point.region if point else None, "topic": topic}
                for topic in turn.topics_served]

    @staticmethod
    def _outbox(turn: Turn, messages: list[Outgoing], now: datetime,
                priority: int) -> list[dict[str, Any]]:
        """The replies as outbox rows, every column a new row needs set (PostgreSQL writes
        them from JSON, where no Python-side default applies). No ids come back: nothing on
        the hot path reads them (``hanya chat`` finds its rows by route). The reply to an SOS
        goes in the SOS lane, ahead of every other reply queued (``PRIORITY_SOS``)."""
        if not messages:
            return []
        forget = turn.forget  # the confirmation of a DELETE: no link, no route, gone once sent
        contact_id = None if forget else turn.contact.id
        route = None if forget else route_of(turn.contact.pseudonym)
        return [{"channel": turn.msg.channel, "address_enc": turn.contact.address_enc,
                 "contact_id": contact_id, "payload_enc": m.seal(turn.vault), "priority": priority,
                 "route": route, "status": "pending", "attempts": 0, "next_attempt_at": now,
                 "created_at": now, "forget_after_send": forget}
                for m in messages]

    def is_sos(self, msg: MsgIn) -> bool:
        """An SOS: its keyword in any language, or the SOS button. Never throttled, and
        handled before the messages waiting ahead of it (bot/core/intake.py)."""
        if msg.kind == "choice":
            return msg.choice == "cmd:sos"
        return msg.kind == "text" and self.content.keywords.leading(msg.text)[0] == "sos"

    def _flood(self, contact: Contact, msg: MsgIn) -> guard.FloodVerdict:
        if self.is_sos(msg):
            return guard.FloodVerdict(True)  # an SOS is never throttled
        s = self.settings
        return guard.flood_check(contact, msg.received_at, max_messages=s.flood_max_messages,
                                 window=s.flood_window_seconds)

    def _guarded(self, session: Session, contact: Contact, msg: MsgIn,
                 messages: list[Outgoing]) -> list[Outgoing]:
        """Drop replies that would feed a loop, or spend a foreign prefix's SMS budget."""
        s = self.settings
        kept = [m for m in messages if guard.loop_allows(
            contact, m.text, msg.received_at, max_repeats=s.loop_max_repeats,
            window=s.loop_window_seconds)]
        if len(kept) < len(messages):
            log.warning("loop guard: %s repeated replies to %s dropped",
                        len(messages) - len(kept), short_ref(contact.pseudonym))
        if self.traits[msg.channel].max_segments is not None and kept:  # SMS-like
            prefix = guard.foreign_prefix(msg.address, s.sms_home_countries)
            if prefix is not None:
                segments = sum(sms_cost(m.text).segments for m in kept)
                if not guard.spend_sms_budget(session, prefix, msg.received_at.date(),
                                              segments, s.sms_foreign_daily_segments):
                    return []
        return kept

    def _contact(self, session: Session, msg: MsgIn) -> Contact:
        candidates = self.vault.pseudonyms(msg.address)
        # One message of a person at a time on PostgreSQL (SQLite already has one writer).
        if len(candidates) == 1:  # no retired key: a plain equality, no IN list to expand
            query = _FIND_ONE_LOCKED if self.store.is_postgres else _FIND_ONE
            contact = session.scalars(query, {"pseudonym": candidates[0]}).first()
        else:
            query = _FIND_CONTACT_LOCKED if self.store.is_postgres else _FIND_CONTACT
            contact = session.scalars(query, {"pseudonyms": candidates}).first()
        if contact is None:
            contact = Contact(channel=msg.channel, pseudonym=candidates[0],
                              address_enc=self.vault.encrypt(msg.address), state_data={})
            session.add(contact)
            session.flush()
        elif contact.pseudonym != candidates[0]:  # found under a rotated key: move it forward
            contact.pseudonym = candidates[0]
            contact.address_enc = self.vault.rotate(contact.address_enc)
        return contact


# The mapped tables, typed as tables (``__table__`` is declared as a FromClause).
_CONTACTS = cast(Table, Contact.__table__)
_CONTACT_COLUMNS = tuple(c.key for c in _CONTACTS.columns if c.key != "id")


def _contact_changes(session: Session, contact: Contact) -> dict[str, Any]:
    """The turn's changes to the contact, then the session forgets the object: they are
    written with the turn's other rows (``turn_writes``), where the ORM's flush of this one
    row was a fifth of a message's CPU.

    The changes are those the session itself would flush (each attribute's history since the
    last flush), so a value changed and flushed mid-turn, then changed back, is written too.
    """
    attrs = inspect(contact).attrs
    changed = {key: getattr(contact, key) for key in _CONTACT_COLUMNS
               if attrs[key].history.has_changes()}
    session.expunge(contact)  # nothing left for the unit of work to find dirty
    return changed


# Built once: constructing the statement per message cost more than running it.
_FIND_CONTACT = select(Contact).where(
    Contact.pseudonym.in_(bindparam("pseudonyms", expanding=True)))
_FIND_CONTACT_LOCKED = _FIND_CONTACT.with_for_update()
_FIND_ONE = select(Contact).where(Contact.pseudonym == bindparam("pseudonym"))
_FIND_ONE_LOCKED = _FIND_ONE.with_for_update()


class _ContactRace(Exception):
    """Two first messages of one person created the contact at once; the loser retries."""


def _is_duplicate(exc: IntegrityError) -> bool:
    text = str(exc.orig).lower()
    return "uq_inbound_channel_ext" in text or "inbound_messages.channel" in text
