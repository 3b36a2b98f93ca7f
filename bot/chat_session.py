"""A conversation through the real inbox, without a provider: what would be sent is returned
(and printed for ``hanya chat``). The terminal, ``/preview`` and ``hanya content stats`` use it."""

from __future__ import annotations

from typing import Protocol

from rich.console import Console
from sqlalchemy import select

from bot.crypto import Vault
from bot.inbox import Inbox
from bot.messages import MsgIn, Outgoing
from bot.models import OutboxMessage
from bot.recipients import route_of
from bot.sms_encoding import sms_cost
from bot.store import Store

console = Console()
TERMINAL_NUMBER = "tel:+22799999999"


class ChatRuntime(Protocol):
    """What a chat session needs of a running Hanya (``Runtime`` has it)."""

    inbox: Inbox
    vault: Vault
    store: Store


class ChatSession:
    """One terminal conversation through the real inbox, printing what would be sent."""

    def __init__(self, runtime: ChatRuntime, channel: str, echo: bool = True) -> None:
        self.runtime, self.channel, self.echo = runtime, channel, echo
        self.counter = 0

    def send(self, text: str) -> list[Outgoing]:
        self.counter += 1
        return self.deliver(_terminal_msg(self.channel, self.counter, text))

    def deliver(self, msg: MsgIn) -> list[Outgoing]:
        """Process any inbound message (a button press too) and return what would be sent."""
        self.runtime.inbox.process(msg)
        # What waits for this address is what this turn queued: the terminal "sends" each
        # reply at once (alerts to other people have other routes).
        pseudonym = self.runtime.vault.pseudonyms(msg.address)[0]
        with self.runtime.store.session() as session:
            rows = session.scalars(select(OutboxMessage)
                                   .where(OutboxMessage.route == route_of(pseudonym),
                                          OutboxMessage.status == "pending")
                                   .order_by(OutboxMessage.id)).all()
            for row in rows:  # shown here: count it as delivered
                row.status, row.provider_id = "sent", "terminal"
            messages = [Outgoing.from_payload(row.payload) for row in rows]
        if self.echo:
            for message in messages:
                print_outgoing(message, self.channel)
        return messages


def _terminal_msg(channel: str, counter: int, text: str) -> MsgIn:
    # A made-up Niger number: the SMS-pumping budget for foreign numbers must not silence
    # the terminal (it never reaches a provider).
    address = "telegram:0" if channel == "telegram" else TERMINAL_NUMBER
    external_id = f"terminal-{counter}-{id(text)}"
    if channel == "telegram" and text.startswith("@") and "," in text:
        lat, lon = (float(x) for x in text[1:].split(",", 1))
        return MsgIn(channel, address, external_id, kind="location", location=(lat, lon))
    return MsgIn(channel, address, external_id, text=text)


def print_outgoing(message: Outgoing, channel: str) -> None:
    if channel == "sms":
        cost = sms_cost(message.text)
        console.print(f"[bold green]hanya>[/bold green] [dim]({cost.segments} SMS, "
                      f"{cost.encoding}, {cost.units} units)[/dim]")
        console.print(message.text, markup=False, highlight=False)
        return
    console.print("[bold green]hanya>[/bold green]")
    console.print(message.text, markup=False, highlight=False)
    number = 0
    for row in message.buttons or []:
        for button in row:
            number += 1
            console.print(f"  [{number}] {button['text']}", markup=False, highlight=False)
    if message.location_button:
        console.print(f"  ({message.location_button}: type @lat,lon)", markup=False)
