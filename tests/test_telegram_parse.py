"""``webhooks.telegram.parse_update`` reads the Bot API's JSON itself (PTB's objects for a whole
update were a third of a webhook's CPU). python-telegram-bot stays the reference: every recorded
update, and variants of each, must give what the former parser, built on ``Update.de_json``,
gave; and no shape of garbage may raise anything but Rejected or Ignored."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest
from telegram import Update

from bot.core.errors import Ignored, InboundError, Rejected
from bot.core.messages import MsgIn
from tests.fakes.telegram_updates import fixture_names, load_fixture
from webhooks import telegram


def ptb_reference(data: Any) -> tuple[MsgIn, str | None]:
    """The parser as it was until 2026-12-02, on python-telegram-bot's objects."""
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise Rejected("not a Telegram update", status_code=400)
    try:
        update = Update.de_json(data, None)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Rejected(f"malformed update: {type(exc).__name__}", status_code=400) from exc
    external_id = str(update.update_id)
    if update.callback_query is not None:
        query = update.callback_query
        chat = query.message.chat if query.message else None
        if chat is None or chat.type != "private":
            raise Ignored("callback outside a private chat")
        return (MsgIn(telegram.CHANNEL, f"telegram:{chat.id}", external_id, kind="choice",
                      choice=query.data or ""), query.id)
    if update.my_chat_member is not None:
        member = update.my_chat_member
        if member.chat.type == "private" and member.new_chat_member.status == "kicked":
            return (MsgIn(telegram.CHANNEL, f"telegram:{member.chat.id}", external_id,
                          kind="blocked"), None)
        raise Ignored("membership change")
    message = update.message
    if message is None:
        raise Ignored("update kind not served")
    if message.chat.type != "private":
        raise Ignored("group or channel message")
    address = f"telegram:{message.chat.id}"
    hint = message.from_user.language_code if message.from_user else None
    if message.location is not None:
        loc = message.location
        return (MsgIn(telegram.CHANNEL, address, external_id, kind="location",
                      location=(loc.latitude, loc.longitude), language_hint=hint), None)
    if message.text is not None:
        return MsgIn(telegram.CHANNEL, address, external_id,
                     text=message.text, language_hint=hint), None
    if message.photo:
        media = ("photo", message.photo[-1].file_id)
    elif message.voice is not None:
        media = ("voice", message.voice.file_id)
    elif any(getattr(message, kind, None) is not None for kind in telegram.UNSERVED_CONTENT):
        # PTB reads these too; the person gets a "send text" hint (issue 20)
        return MsgIn(telegram.CHANNEL, address, external_id, kind="media",
                     language_hint=hint), None
    else:
        raise Ignored("message kind not served")
    return (MsgIn(telegram.CHANNEL, address, external_id, kind="media", media=media,
                  text=message.caption or "", language_hint=hint), None)


def outcome(parse: Any, data: Any) -> Any:
    try:
        msg, callback = parse(copy.deepcopy(data))
    except Ignored as exc:
        return ("ignored", exc.reason)
    except Rejected:
        return ("rejected",)
    return (msg.channel, msg.address, msg.external_id, msg.kind, msg.text, msg.choice,
            msg.location, msg.media, msg.language_hint, callback)


def variants(update: dict[str, Any]) -> list[dict[str, Any]]:
    """The update, and the same with the fields we read changed as real updates vary."""
    out = [update]
    message = update.get("message")
    if isinstance(message, dict):
        for text in ("/start", "/start JOIN-CODE", "/menu@hanya_bot", "/unknown x", "  hi  ",
                     "", "RAPPORT ASSAMAKA 12"):
            changed = copy.deepcopy(update)
            changed["message"]["text"] = text
            out.append(changed)
        no_sender = copy.deepcopy(update)
        no_sender["message"].pop("from", None)
        out.append(no_sender)
        no_language = copy.deepcopy(update)
        if isinstance(no_language["message"].get("from"), dict):
            no_language["message"]["from"].pop("language_code", None)
        out.append(no_language)
        for kind in ("group", "supergroup", "channel"):
            elsewhere = copy.deepcopy(update)
            elsewhere["message"]["chat"]["type"] = kind
            out.append(elsewhere)
    query = update.get("callback_query")
    if isinstance(query, dict):
        no_data = copy.deepcopy(update)
        no_data["callback_query"].pop("data", None)
        out.append(no_data)
        no_message = copy.deepcopy(update)
        no_message["callback_query"].pop("message", None)
        out.append(no_message)
    return out


CASES = [(name, i, v) for name in fixture_names()
         for i, v in enumerate(variants(load_fixture(name)))]


@pytest.mark.parametrize(("name", "i", "update"), CASES,
                         ids=[f"{name}-{i}" for name, i, _ in CASES])
def test_every_recorded_update_reads_as_python_telegram_bot_reads_it(name, i, update):
    assert outcome(telegram.parse_update, update) == outcome(ptb_reference, update)


def test_the_recorded_updates_cover_every_kind_we_serve():
    parsed = [outcome(telegram.parse_update, load_fixture(n)) for n in fixture_names()]
    kinds = {o[3] for o in parsed if len(o) > 2}
    assert {"text", "choice", "location", "media", "blocked"} <= kinds


def _mangled(rng: random.Random, value: Any, depth: int = 0) -> Any:
    """``value`` with some leaves or objects replaced by values of the wrong type."""
    odd = [None, 0, -1, 1.5, True, "", "x", [], {}, [1], {"id": "x"}]
    if isinstance(value, dict):
        return {k: (rng.choice(odd) if rng.random() < 0.15 else _mangled(rng, v, depth + 1))
                for k, v in value.items() if rng.random() > 0.05}
    if isinstance(value, list):
        return [_mangled(rng, v, depth + 1) for v in value]
    return rng.choice(odd) if rng.random() < 0.1 else value


def test_garbage_in_any_field_is_rejected_or_ignored_never_raised():
    rng = random.Random(20261202)
    seen = set()
    for _ in range(3000):
        update = _mangled(rng, load_fixture(rng.choice(fixture_names())))
        if rng.random() < 0.5 and isinstance(update, dict):
            update["update_id"] = 1
        try:
            telegram.parse_update(update)
            seen.add("parsed")
        except InboundError as exc:
            seen.add(type(exc).__name__)
        json.dumps(update)  # the inputs stay what a webhook could receive
    assert {"parsed", "Rejected", "Ignored"} <= seen
