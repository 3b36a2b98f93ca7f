"""A conversation through the real inbox, without a provider: what would be sent is returned
(and printed for ``hanya chat``). The terminal, ``/preview`` and ``hanya content stats`` use it."""

from __future__ import annotations

from typing import Protocol

from rich.console import Console
from sqlalchemy import select

from bot.core import channel_registry
from bot.core.crypto import Vault
from bot.core.inbox import Inbox
from bot.core.messages import MsgIn, Outgoing
from bot.core.models import OutboxMessage
from bot.core.recipients import route_of
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

    def __init__(self, runtime: ChatRuntime, channel: str, echo: bool = True) -> None:
        self.runtime, self.channel, self.echo = runtime, channel, echo
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
            for row in rows:  # shown here: count it as delivered (and forget it, as the sender)
                row.status, row.provider_id = "sent", "terminal"
                if row.forget_after_send:
                    session.delete(row)
            messages = [Outgoing.unseal(vault, row.payload_enc) for row in rows]
        if self.echo:
            for message in messages:
                print_outgoing(message, self.channel)
        return messages


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
