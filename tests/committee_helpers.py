"""Set-up shared by the watch-committee tests: committees, codes, duty recipients, members."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.core.crypto import Vault
from bot.core.recipients import add_recipient
from bot.core.settings import Settings
from bot.core.store import Store
from bot.features.committees.models import Committee, Report, issue_code
from tests.support import SmsUser, TelegramUser

DUTY_CHAT = 777000111  # the SP/CCM duty officers' Telegram chat


def vault(settings: Settings) -> Vault:
    return Vault(settings.secret_key_or_dev())


def make_committee(store: Store, *, point: str = "assamaka", name: str = "Comité Assamaka",
                   slug: str | None = None, region: str = "NE001") -> int:
    with store.session() as session:
        committee = Committee(slug=slug or point, name=name, point_id=point, region=region)
        session.add(committee)
        session.flush()
        return committee.id


def invite(store: Store, settings: Settings, committee_id: int,
           lifetime: timedelta = timedelta(days=7)) -> str:
    with store.session() as session:
        committee = session.get(Committee, committee_id)
        code, _ = issue_code(session, vault(settings), committee, lifetime)
        return code


def add_duty(store: Store, settings: Settings, chat_id: int = DUTY_CHAT,
             language: str = "fr", subscriptions: tuple[str, ...] = ("alerts",)) -> None:
    with store.session() as session:
        add_recipient(session, vault(settings), name="SP/CCM duty", address=f"telegram:{chat_id}",
                      language=language, subscriptions=list(subscriptions))


def sms_member(client: Any, twilio_api: Any, store: Store, settings: Settings, number: str,
               committee_id: int, language_number: str | None = None) -> SmsUser:
    """An SMS contact enrolled with a fresh code (and a language chosen first, if given)."""
    user = SmsUser(client, twilio_api, store, number)
    if language_number is not None:
        user.say("INFO")
        user.say(language_number)
    user.say(f"JOIN {invite(store, settings, committee_id)}")
    return user


def telegram_member(client: Any, bot_api: Any, store: Store, settings: Settings, chat_id: int,
                    committee_id: int) -> TelegramUser:
    user = TelegramUser(client, bot_api, store, chat_id)
    user.say(f"/start {invite(store, settings, committee_id)}")
    return user


def reports(store: Store) -> list[Report]:
    with store.session() as session:
        return list(session.scalars(select(Report).order_by(Report.id)))
