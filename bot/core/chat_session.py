"""A conversation through the real inbox, without a provider: what would be sent is returned
(and printed for ``hanya chat``). The terminal, ``/preview`` and ``hanya content stats`` use it.

``hanya chat --store`` talks to the configured store and shows every send waiting in its outbox
(alerts, idea answers, digests, replies to others), not only its own replies: each row it shows
is marked ``sent`` with ``delivery_status`` ``terminal`` in the transaction that takes it, so no
sender delivers it later (a sender claims only ``pending`` rows) and the retention purge removes
it like any sent row. A row a sender has already claimed (``sending``) is left to that sender.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import channel_registry
from bot.core.crypto import Vault
from bot.core.inbox import Inbox
from bot.core.messages import MsgIn, Outgoing
from bot.core.models import OutboxMessage, utcnow
from bot.core.recipients import (
    PRIORITY_ALERT,
    PRIORITY_DIGEST,
    PRIORITY_REPLY,
    PRIORITY_SOS,
    route_of,
)
from bot.core.sms_encoding import sms_cost
from bot.core.store import Store

console = Console()


class ChatRuntime(Protocol):
    """What a chat session needs of a running Hanya (``Runtime`` has it)."""

    inbox: Inbox
    vault: Vault
    store: Store


class ChatSession:
    """One terminal conversation through the real inbox, printing what would be sent."""

    def __init__(self, runtime: ChatRuntime, channel: str, echo: bool = True,
                 show_all: bool = False) -> None:
        # show_all: also take every other send waiting in the outbox (``hanya chat --store``).
        self.runtime, self.channel, self.echo, self.show_all = runtime, channel, echo, show_all
        self.counter = 0

    def send(self, text: str) -> list[Outgoing]:
        self.counter += 1
        traits = self.runtime.inbox.traits[self.channel]
        return self.deliver(_terminal_msg(self.channel, self.counter, text, traits.location))

    def deliver(self, msg: MsgIn) -> list[Outgoing]:
        """Process any inbound message (a button press too) and return what would be sent."""
        self.runtime.inbox.process(msg)
        # What waits for this address is what this turn queued: the terminal "sends" each
        # reply at once (alerts to other people have other routes).
        vault = self.runtime.vault
        pseudonym = vault.pseudonyms(msg.address)[0]
        with self.runtime.store.session() as session:
            rows = session.scalars(select(OutboxMessage).where(
                (OutboxMessage.route == route_of(pseudonym))
                | OutboxMessage.forget_after_send.is_(True),  # a DELETE's confirmation
                OutboxMessage.status == "pending").order_by(OutboxMessage.id)).all()
            # A confirmation has no route: only this address's (another person's is theirs).
            rows = [row for row in rows if not row.forget_after_send
                    or vault.decrypt(row.address_enc) == msg.address]
            messages = [Outgoing.unseal(vault, row.payload_enc) for row in rows]
            _mark_sent_to_terminal(session, rows)
        if self.echo:
            for message in messages:
                print_outgoing(message, self.channel)
        if self.show_all:
            self.show_others()
        return messages

    def show_others(self) -> list[TerminalSend]:
        """Every other send waiting in the outbox, shown (when echoing) and marked as sent to
        the terminal: nothing queued while this session runs ever reaches a provider."""
        sends = take_for_terminal(self.runtime.store, self.runtime.vault)
        if self.echo:
            for send in sends:
                console.print(f"[bold magenta]to {send.to}[/bold magenta] [dim]({send.kind}, "
                              f"{send.channel}; shown here, not delivered)[/dim]",
                              highlight=False)
                print_outgoing(send.message, send.channel)
        return sends


@dataclass(frozen=True)
class TerminalSend:
    """One outbox row shown in the terminal instead of being delivered."""

    channel: str
    to: str  # the address, masked to its last three characters
    kind: str  # the row's lane: a reply, an alert or answer, a digest
    message: Outgoing


_KINDS = {PRIORITY_SOS: "sos", PRIORITY_REPLY: "reply", PRIORITY_ALERT: "alert or answer",
          PRIORITY_DIGEST: "digest"}


def take_for_terminal(store: Store, vault: Vault) -> list[TerminalSend]:
    """Take every pending outbox row (due or not) in one transaction, as a sender would claim
    it, and mark it sent to the terminal; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL leaves a row
    another process is claiming at this instant to it."""
    with store.session() as session:
        rows = session.scalars(select(OutboxMessage)
                               .where(OutboxMessage.status == "pending")
                               .order_by(OutboxMessage.priority, OutboxMessage.id)
                               .with_for_update(skip_locked=True)).all()
        sends = [TerminalSend(row.channel, _masked(vault.decrypt(row.address_enc)),
                              _KINDS.get(row.priority, f"priority {row.priority}"),
                              Outgoing.unseal(vault, row.payload_enc)) for row in rows]
        _mark_sent_to_terminal(session, rows)
    return sends


def _mark_sent_to_terminal(session: Session, rows: Sequence[OutboxMessage]) -> None:
    # Shown here: count it as delivered (and forget a DELETE's confirmation, as the sender
    # does). A provider id of its own, so no provider's status callback can ever match it.
    now = utcnow()
    for row in rows:
        row.status, row.sent_at, row.lease_until = "sent", now, None
        row.provider_id, row.delivery_status = f"terminal-{row.id}", "terminal"
        if row.forget_after_send:
            session.delete(row)


def _masked(address: str) -> str:
    scheme, _, value = address.partition(":")
    return f"{scheme}:…{value[-3:]}"


def _terminal_msg(channel: str, counter: int, text: str, location: bool) -> MsgIn:
    # Each channel's made-up address (a Niger number for SMS: the SMS-pumping budget for
    # foreign numbers must not silence the terminal; it never reaches a provider).
    address = channel_registry.get(channel).terminal_address
    external_id = f"terminal-{counter}-{id(text)}"
    if location and text.startswith("@") and "," in text:
        lat, lon = (float(x) for x in text[1:].split(",", 1))
        return MsgIn(channel, address, external_id, kind="location", location=(lat, lon))
    return MsgIn(channel, address, external_id, text=text)


def print_outgoing(message: Outgoing, channel: str) -> None:
    if channel_registry.get(channel).sms_like:
        cost = sms_cost(message.text)
        console.print(f"[bold green]hanya>[/bold green] [dim]({cost.segments} SMS, "
                      f"{cost.encoding}, {cost.units} units)[/dim]")
        console.print(message.text, markup=False, highlight=False)
        return
    console.print("[bold green]hanya>[/bold green]")
    if message.voice_path:  # a recording (issue 24): the terminal names the file it would send
        console.print(f"(voice note: {message.voice_path})", markup=False, highlight=False)
    console.print(message.text, markup=False, highlight=False)
    number = 0
    for row in message.buttons or []:
        for button in row:
            number += 1
            console.print(f"  [{number}] {button['text']}", markup=False, highlight=False)
    if message.location_button:
        console.print(f"  ({message.location_button}: type @lat,lon)", markup=False)
