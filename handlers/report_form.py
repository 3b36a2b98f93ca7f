"""The guided report on a chat: one question per step, buttons wherever a choice is closed
(numbered choices on WhatsApp, which has none).

The steps (category, place, when, counts, description, media, confirm) are the table ``STEPS``
at the end; each answer returns the step that comes next. The answers wait in the contact's
state (the description encrypted); nothing is a report until Send. CANCEL or /cancel leaves
at any step (handlers/report.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.core import texts
from bot.core.engine import Answer, Conversation, Next, StepDef, Turn
from bot.core.engine import Step as Ask
from bot.core.messages import Option, Reply
from bot.features.committees import alerts
from bot.features.committees import texts as txt
from bot.features.committees.models import Committee
from bot.features.committees.parser import MAX_COUNT, fold, parse_day
from handlers import info_point
from handlers.report_filing import (
    Draft,
    day_noon,
    file_report,
    local_today,
    membership,
    tell_not_a_member,
    vault_for,
)

NAME = "report"
UNKNOWN, SKIP, SEND, DROP = "count:unknown", "report:skip", "report:send", "report:cancel"


class Step(StrEnum):
    CATEGORY = "category"
    PLACE = "place"
    OTHER_PLACE = "other_place"
    WHEN = "when"
    DATE = "date"
    TOTAL = "total"
    WOMEN = "women"
    CHILDREN = "children"
    DESCRIPTION = "description"
    MEDIA = "media"
    CONFIRM = "confirm"


def start(turn: Turn, committee: Committee) -> None:
    """Open the form; the committee's point is offered first."""
    turn.contact.state_data = {**_without_form(turn.data),
                               "report": {"home_point": committee.point_id}}
    turn.goto(CONVERSATION.at(Step.CATEGORY))


def abandon(turn: Turn) -> None:
    """Leave the form without filing anything."""
    turn.say_text(turn.t(txt.FORM_CANCELLED))
    _leave(turn)


# --- category, place, time -------------------------------------------------------------------

def ask_category(turn: Turn) -> None:
    chain = turn.content.chain(turn.language.code)
    options = [Option(f"cat:{c.id}", c.label(chain))
               for c in turn.content.vocabulary.categories.values()]
    turn.say(Reply(turn.t(txt.ASK_CATEGORY), options=options))


def answer_category(turn: Turn) -> Next:
    vocab = turn.content.vocabulary
    choice = turn.choice or ""
    category = choice.removeprefix("cat:") if choice.startswith("cat:") else (
        vocab.category_words.get(fold(turn.msg.text)) if turn.msg.kind == "text" else None)
    if category not in vocab.categories:
        _again(turn, ask_category)
        return None
    _remember(turn, category=category)
    return Step.PLACE


def ask_place(turn: Turn) -> None:
    home = turn.content.points.get(_form(turn).get("home_point", ""))
    options = [Option(f"place:{home.id}", home.display(turn.language.code))] if home else []
    options.append(Option("place:other", turn.t(txt.OTHER_PLACE)))
    turn.say(Reply(turn.t(txt.ASK_PLACE), options=options, request_location=True))


def ask_other_place(turn: Turn) -> None:
    lang = turn.language.code
    options = [Option(f"place:{p.id}", p.display(lang)) for p in turn.content.points_in_order()]
    turn.say(Reply(turn.t(txt.ASK_OTHER_PLACE), options=options, request_location=True))


def answer_place(turn: Turn) -> Next:
    msg, choice = turn.msg, turn.choice or ""
    point_id: str | None = None
    if choice == "place:other":
        return Step.OTHER_PLACE
    if choice.startswith("place:"):
        point_id = choice.removeprefix("place:")
    elif msg.kind == "location" and msg.location:
        found = turn.content.nearest_point(*msg.location,
                                           max_km=turn.settings.nearest_point_max_km)
        if found is None:
            turn.say_text(turn.t(texts.NO_POINT_NEAR))
            return Step.OTHER_PLACE
        point, km = found
        point_id = point.id
        turn.say_text(turn.t(texts.NEAREST_POINT, point=point.display(turn.language.code),
                             km=round(km)))
    elif msg.kind == "text":
        point_id = turn.content.vocabulary.places.get(fold(msg.text))
    if point_id not in turn.content.points:
        _again(turn, STEPS[turn.contact.step].ask)
        return None
    _remember(turn, point=point_id)
    return Step.WHEN


def ask_when(turn: Turn) -> None:
    options = [Option("when:now", turn.t(txt.WHEN_NOW)),
               Option("when:today", turn.t(txt.WHEN_TODAY)),
               Option("when:yesterday", turn.t(txt.WHEN_YESTERDAY)),
               Option("when:other", turn.t(txt.WHEN_OTHER))]
    turn.say(Reply(turn.t(txt.ASK_WHEN), options=options))


def answer_when(turn: Turn) -> Next:
    choice, today = turn.choice or "", local_today(turn)
    if choice == "when:now":
        _remember(turn, at=turn.msg.received_at.isoformat(), precision="time")
    elif choice in ("when:today", "when:yesterday"):
        day = today - timedelta(days=1 if choice == "when:yesterday" else 0)
        _remember(turn, at=day_noon(turn, day).isoformat(), precision="day")
    elif choice == "when:other":
        return Step.DATE
    elif not _typed_date(turn):
        _again(turn, ask_when)
        return None
    return Step.TOTAL


def ask_date(turn: Turn) -> None:
    turn.say_text(turn.t(txt.ASK_DATE))


def answer_date(turn: Turn) -> Next:
    if not _typed_date(turn):
        turn.say_text(turn.t(txt.BAD_DATE))
        return None
    return Step.TOTAL


def _typed_date(turn: Turn) -> bool:
    if turn.msg.kind != "text":
        return False
    today, typed = local_today(turn), turn.msg.text.strip()
    days_ago = turn.content.vocabulary.days.get(fold(typed))  # "hier", "yesterday" typed
    day = today - timedelta(days=days_ago) if days_ago is not None else parse_day(typed, today)
    if day is None or day > today:
        return False
    _remember(turn, at=day_noon(turn, day).isoformat(), precision="day")
    return True


# --- counts ----------------------------------------------------------------------------------

def _ask_count(message: str) -> Ask:
    def ask(turn: Turn) -> None:
        turn.say(Reply(turn.t(message), options=[Option(UNKNOWN, turn.t(txt.UNKNOWN))]))
    return ask


def _answer_count(field: str, next_step: Step) -> Answer:
    def answer(turn: Turn) -> Next:
        msg, form = turn.msg, _form(turn)
        # Typed digits are a count, never "option 1": read the text before any choice.
        typed = msg.text.strip() if msg.kind == "text" else ""
        if (msg.kind == "choice" and turn.choice == UNKNOWN) or typed in ("?", "-"):
            value = None
        elif typed.isdigit() and len(typed) <= 6:
            value = min(int(typed), MAX_COUNT)
        else:
            turn.say_text(turn.t(txt.BAD_COUNT))
            return None
        total = form.get("total")
        if field != "total" and value is not None and total is not None and value > total:
            turn.say_text(turn.t(txt.COUNT_ABOVE_TOTAL, total=total))
            return None
        _remember(turn, **{field: value})
        return next_step
    return answer


# --- description, media, confirmation --------------------------------------------------------

def ask_description(turn: Turn) -> None:
    turn.say(Reply(turn.t(txt.ASK_DESCRIPTION), options=[Option(SKIP, turn.t(txt.SKIP))]))


def answer_description(turn: Turn) -> Next:
    msg = turn.msg
    if msg.kind == "media" and msg.media:  # a photo with its caption answers both questions
        _keep_media(turn)
        return Step.CONFIRM
    if msg.kind == "text" and msg.text.strip():
        _remember(turn, description=vault_for(turn).encrypt(msg.text.strip()[:1000]))
    elif turn.choice != SKIP:
        _again(turn, ask_description)
        return None
    return Step.MEDIA


def ask_media(turn: Turn) -> None:
    turn.say(Reply(turn.t(txt.ASK_MEDIA), options=[Option(SKIP, turn.t(txt.SKIP))]))


def answer_media(turn: Turn) -> Next:
    if turn.msg.kind == "media" and turn.msg.media:
        _keep_media(turn)
    elif not (turn.msg.kind == "choice" and turn.choice == SKIP):
        ask_media(turn)
        return None
    return Step.CONFIRM


def _keep_media(turn: Turn) -> None:
    kind, file_id = turn.msg.media or ("", "")
    _remember(turn, media=[kind, file_id])
    caption = turn.msg.text.strip()
    if caption and not _form(turn).get("description"):
        _remember(turn, description=vault_for(turn).encrypt(caption[:1000]))


def ask_confirm(turn: Turn) -> None:
    options = [Option(SEND, turn.t(txt.SEND)), Option(DROP, turn.t(txt.CANCEL_BUTTON))]
    turn.say(Reply("\n".join([turn.t(txt.CHECK_SUMMARY), *summary_lines(turn)]),
                   options=options))


def answer_confirm(turn: Turn) -> Next:
    word = turn.content.keywords.whole(turn.msg.text) if turn.msg.kind == "text" else None
    if turn.choice == DROP or word == "no":
        abandon(turn)
    elif turn.choice == SEND or word == "yes":
        _send(turn)
    else:
        turn.say_text(turn.t(txt.SEND_OR_CANCEL))
        ask_confirm(turn)
    return None  # sent or dropped: _leave has moved the contact back to the menu


def summary_lines(turn: Turn) -> list[str]:
    form, t, lang = _form(turn), turn.t, turn.language.code
    category = turn.content.vocabulary.categories[form["category"]]
    point = turn.content.points[form["point"]]
    lines = [t(txt.LINE_CATEGORY, value=category.label(turn.content.chain(lang))),
             t(txt.LINE_PLACE, value=point.display(lang)),
             t(txt.LINE_WHEN, value=_when_text(turn, form)),
             t(txt.LINE_PEOPLE, value=alerts.people(t, form.get("total"), form.get("women"),
                                                    form.get("children")))]
    if form.get("description"):
        lines.append(t(txt.LINE_DESCRIPTION, value=_description(turn, form)))
    if form.get("media"):
        lines.append(t(txt.LINE_PHOTO if form["media"][0] == "photo" else txt.LINE_VOICE))
    return lines


def _description(turn: Turn, form: dict[str, Any]) -> str:
    """The waiting description; one encrypted under a key since removed is lost, not fatal."""
    try:
        return vault_for(turn).decrypt(form["description"]) if form.get("description") else ""
    except ValueError:
        return ""


def _when_text(turn: Turn, form: dict[str, Any]) -> str:
    moment = datetime.fromisoformat(form["at"]).astimezone(turn.zone)
    day = turn.t.date(moment.date())
    return f"{day} {moment:%H:%M}" if form.get("precision") == "time" else day


def _send(turn: Turn) -> None:
    found = membership(turn)
    if found is None:  # revoked while filling the form
        tell_not_a_member(turn)
        _leave(turn)
        return
    form = _form(turn)
    draft = Draft(form["category"], form["point"],
                  datetime.fromisoformat(form["at"]).astimezone(UTC), form["precision"],
                  form.get("total"), form.get("women"), form.get("children"),
                  _description(turn, form),
                  media=tuple(form["media"]) if form.get("media") else None)  # type: ignore[arg-type]
    report, alerted = file_report(turn, *found, draft)
    text = turn.t(txt.FORM_RECEIVED, reference=report.reference)
    if alerted:
        text += "\n" + turn.t(txt.URGENT_ALERTED)
    turn.say(Reply(text, menu_button=True))
    _leave(turn)


# --- plumbing --------------------------------------------------------------------------------

def _form(turn: Turn) -> dict[str, Any]:
    return dict(turn.data.get("report") or {})


def _remember(turn: Turn, **values: Any) -> None:
    turn.contact.state_data = {**turn.data, "report": {**_form(turn), **values}}


def _without_form(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("report", "options")}


def _again(turn: Turn, ask: Any) -> None:
    turn.say_text(turn.t(texts.TEXT_ONLY if turn.msg.kind == "media" else texts.NOT_UNDERSTOOD))
    ask(turn)


def _leave(turn: Turn) -> None:
    """Back to the information menu, without the form's answers."""
    turn.contact.state_data = _without_form(turn.data)
    turn.contact.conversation, turn.contact.step = info_point.NAME, info_point.Step.MENU.value


STEPS: dict[str, StepDef] = {
    Step.CATEGORY: StepDef(ask_category, answer_category),
    Step.PLACE: StepDef(ask_place, answer_place),
    Step.OTHER_PLACE: StepDef(ask_other_place, answer_place, free_text=True),
    Step.WHEN: StepDef(ask_when, answer_when),
    Step.DATE: StepDef(ask_date, answer_date),
    Step.TOTAL: StepDef(_ask_count(txt.ASK_TOTAL), _answer_count("total", Step.WOMEN)),
    Step.WOMEN: StepDef(_ask_count(txt.ASK_WOMEN), _answer_count("women", Step.CHILDREN)),
    Step.CHILDREN: StepDef(_ask_count(txt.ASK_CHILDREN),
                           _answer_count("children", Step.DESCRIPTION)),
    Step.DESCRIPTION: StepDef(ask_description, answer_description, free_text=True),
    Step.MEDIA: StepDef(ask_media, answer_media),
    Step.CONFIRM: StepDef(ask_confirm, answer_confirm),
}

CONVERSATION = Conversation(NAME, STEPS)
