"""The information point: language, place, then the menu of topics for that place.

The table of steps is ``STEPS`` at the end; each answer returns the step that comes next.
"""

from __future__ import annotations

from enum import StrEnum

from bot.core import texts
from bot.core.content import Content, Point, Service, isolate
from bot.core.content_services import emergency_services, numbers_block
from bot.core.content_services import service_line as services_line
from bot.core.engine import NAV_LANGUAGE, NAV_POINT, Conversation, Next, Place, StepDef, Turn
from bot.core.i18n import Translator
from bot.core.keywords import normalise
from bot.core.messages import Option, Reply
from bot.core.sms_encoding import is_gsm7
from handlers import listen

NAME = "info"


class Step(StrEnum):
    CHOOSE_LANGUAGE = "choose_language"
    CHOOSE_POINT = "choose_point"
    CONFIRM_POINT = "confirm_point"
    MENU = "menu"


def place(step: Step) -> Place:
    return Place(NAME, step.value)


# --- choose_language -------------------------------------------------------------------------

def ask_language(turn: Turn) -> None:
    # Telegram may tell the phone's language: a newcomer is welcomed in it.
    t = turn.content.translator(turn.content.hinted(
        turn.contact.language, turn.msg.language_hint, turn.settings.default_language))
    intro = t(texts.CHOOSE_LANGUAGE)
    if turn.contact.language is None:
        intro = f"{t(texts.WELCOME)}\n{intro}"
    content = turn.content
    def label(code: str) -> str:  # a language with recordings says so where they play
        voice = turn.channel.voice and content.has_recordings(code)
        return f"{content.menu_name(code)} {listen.SPEAKER}" if voice else content.menu_name(code)

    options = [Option(f"lang:{code}", label(code), content.menu_name(code, sms=True))
               for code in content.languages]
    turn.say(Reply(intro, options=options))


def answer_language(turn: Turn) -> Next:
    code = _language_from(turn)
    if code is None:
        _not_understood(turn, ask_language)
        return None
    first_time = turn.contact.language is None
    turn.contact.language = code
    if first_time or turn.contact.notice_version != turn.settings.privacy_notice_version:
        days = turn.settings.retention_days
        short = (turn.t(texts.PRIVACY_NOTICE_SMS, days=days)
                 if turn.t.has_own(texts.PRIVACY_NOTICE_SMS) else None)
        turn.say(Reply(turn.t(texts.PRIVACY_NOTICE, days=days), sms_text=short))
        turn.contact.notice_version = turn.settings.privacy_notice_version
        turn.contact.notice_at = turn.clock()
    return Step.MENU if turn.contact.point_id else Step.CHOOSE_POINT


def _language_from(turn: Turn) -> str | None:
    if turn.choice and turn.choice.startswith("lang:"):
        return turn.choice.removeprefix("lang:")
    typed = normalise(turn.msg.text)
    for lang in turn.content.languages.values():  # "hausa", "english", "francais", "ar"...
        if typed and typed in {normalise(lang.name), normalise(lang.sms_name), lang.code}:
            return lang.code
    return None


# --- choose_point ----------------------------------------------------------------------------

def ask_point(turn: Turn) -> None:
    turn.say(points_reply(turn.content, turn.language.code))


def points_reply(content: Content, language: str) -> Reply:
    """Where are you? The places, as buttons or a numbered SMS list (pure: the check renders it)."""
    t = content.translator(language)
    options = [Option(f"point:{p.id}", p.display(language),
                      None if is_gsm7(p.display(language)) else p.name)  # Ɲamay: Niamey by SMS
               for p in content.points_in_order()]
    return Reply(t(texts.CHOOSE_POINT), options=options, request_location=True,
                 sms_text=_sms_form(t, texts.CHOOSE_POINT_SMS))


def answer_point(turn: Turn) -> Next:
    content, msg = turn.content, turn.msg
    point: Point | None = None
    if msg.kind == "location" and msg.location:
        found = content.nearest_point(*msg.location, max_km=turn.settings.nearest_point_max_km)
        if found is None:
            _far_from_every_point(turn, *msg.location)
            ask_point(turn)
            return None
        point, km = found
        turn.say_text(turn.t(texts.NEAREST_POINT, point=point.display(turn.language.code),
                             km=round(km)))
    elif turn.choice and turn.choice.startswith("point:"):
        point = content.points.get(turn.choice.removeprefix("point:"))
    elif msg.kind == "text":
        point = content.find_point(msg.text)
        if point is None:
            guessed = _typed_with_typo(turn)
            if guessed is not None:
                return guessed
    if point is None:
        _not_understood(turn, ask_point)
        return None
    turn.contact.point_id = point.id
    return Step.MENU


def _typed_with_typo(turn: Turn) -> Step | None:
    """A place typed with a typo: taken when sure (one letter off), asked when not."""
    found = turn.content.near_point(turn.msg.text)
    if found is None:
        return None
    if found.sure:
        turn.contact.point_id = found.value.id
        return Step.MENU
    turn.contact.state_data = {**turn.data, "point_guess": found.value.id}
    return Step.CONFIRM_POINT


def ask_confirm_point(turn: Turn) -> None:
    point = turn.content.points.get(str(turn.data.get("point_guess") or ""))
    name = point.display(turn.language.code) if point else ""
    turn.say(Reply(turn.t(texts.CONFIRM_POINT, point=name),
                   options=[Option("yes", turn.keyword("yes")), Option("no", turn.keyword("no"))]))


def answer_confirm_point(turn: Turn) -> Next:
    typed = turn.content.keywords.whole(turn.msg.text) if turn.msg.kind == "text" else None
    answer = turn.choice or typed
    guess = str(turn.data.get("point_guess") or "")
    turn.contact.state_data = {k: v for k, v in turn.data.items() if k != "point_guess"}
    if answer == "yes" and guess in turn.content.points:
        turn.contact.point_id = guess
        return Step.MENU
    if answer == "no":
        return Step.CHOOSE_POINT
    # another place typed, a location...: read as an answer to "where?"
    turn.contact.step = Step.CHOOSE_POINT.value
    turn.choice = None
    return answer_point(turn)


def _far_from_every_point(turn: Turn, lat: float, lon: float) -> None:
    """Perhaps lost in the desert: the numbers, and the position to read out to a rescuer."""
    content, lang = turn.content, turn.language.code
    position = isolate(f"{lat:.5f}, {lon:.5f}", content.direction(lang))
    lines = [services_line(content, lang, s, long=True) for s in emergency_services(content, None)]
    turn.say_text("\n".join([turn.t(texts.FAR_FROM_POINTS, position=position), *lines, "",
                             turn.t(texts.NO_POINT_NEAR)]))


# --- menu ------------------------------------------------------------------------------------

def ask_menu(turn: Turn) -> None:
    reply = menu_reply(turn.content, turn.language.code, _point(turn),
                       turn.contact.fallback_language)
    listen.menu_voice(turn, reply)
    turn.say(reply)


def menu_reply(content: Content, language: str, point: Point | None,
               prefer: str | None = None) -> Reply:
    """The topics of the main menu, then change language / place (pure: the check renders it).
    ``prefer``: the person's chosen fallback language (FALLBACK EN)."""
    t = content.translator(language, prefer)
    options = []
    for key in content.menu:
        topic = content.topic(language, key, prefer)
        if topic is not None:
            options.append(Option(f"topic:{key}", topic.title, topic.sms_title))
    options += [Option(NAV_LANGUAGE, t(texts.CHANGE_LANGUAGE),
                       _sms_form(t, texts.CHANGE_LANGUAGE_SMS)),
                Option(NAV_POINT, t(texts.CHANGE_POINT))]
    title = t(texts.MENU_TITLE, point=point.display(language) if point else "")
    return Reply(title, options=options, template="menu")


def answer_menu(turn: Turn) -> Next:
    choice = turn.choice or ""
    chosen = listen.payload(turn)
    if chosen is not None:
        listen.answer(turn, chosen, ask_menu)
        return None
    if choice == NAV_LANGUAGE:
        return Step.CHOOSE_LANGUAGE
    if choice == NAV_POINT:
        return Step.CHOOSE_POINT
    if choice.startswith("topic:"):
        show_topic(turn, choice.removeprefix("topic:"))  # stays in the menu
    else:
        _not_understood(turn, ask_menu)
    return None


def show_topic(turn: Turn, key: str) -> None:
    """Send a topic's text; for places the services there, for emergencies the numbers first."""
    lang, prefer = turn.language.code, turn.contact.fallback_language
    topic = turn.content.topic(lang, key, prefer)
    if topic is None:
        _not_understood(turn, ask_menu)
        return
    turn.topics_served.append(key)
    if key == "emergency":
        turn.say(listen.with_voice(turn, key, emergency_reply(
            turn.content, lang, turn.contact.point_id, prefer)))
        return
    text, sms = _announced(turn.content, lang, topic.language, topic.text, topic.sms)
    point = _point(turn)
    if key == "help_near_you" and point is not None:
        services = turn.content.services_at(point.id)
        header = (turn.t.ngettext(texts.SERVICES_COUNT, len(services), point=point.display(lang))
                  if services else _no_services(turn, point))
        text, sms = f"{text}\n\n{header}", f"{sms}\n{header}"
        text += "".join("\n" + service_line(turn, s, long=True) for s in services)
        sms += "".join("\n" + service_line(turn, s, long=False) for s in services)
    turn.say(listen.with_voice(turn, key, Reply(text, sms_text=sms, menu_button=True)))


def _no_services(turn: Turn, point: Point) -> str:
    """None known here: say so, and where the nearest place with services is."""
    lang = turn.language.code
    lines = [turn.t(texts.NO_SERVICES, point=point.display(lang))]
    nearest = turn.content.nearest_with_services(point)
    if nearest is not None:
        lines.append(turn.t(texts.NEAREST_WITH_SERVICES, point=nearest[0].display(lang),
                            km=round(nearest[1])))
    return "\n".join(lines)


def emergency_reply(content: Content, language: str, point_id: str | None,
                    prefer: str | None = None) -> Reply:
    """The Emergency topic: the numbers before any word, so that they are on the first SMS."""
    t = content.translator(language, prefer)
    services = emergency_services(content, point_id)
    header = t(texts.EMERGENCY_NUMBERS)
    lines = [services_line(content, language, s, long=True) for s in services]
    text = "\n".join([header, *lines])
    sms = f"{header} {numbers_block(content, language, services)}"
    topic = content.topic(language, "emergency", prefer)
    if topic is not None:  # after the numbers: they come first, in every language
        words, sms_words = _announced(content, language, topic.language, topic.text, topic.sms)
        text, sms = f"{text}\n\n{words}", f"{sms}\n{sms_words}"
    return Reply(text, sms_text=sms, menu_button=True, sos_button=True)


def _sms_form(t: Translator, message: str) -> str | None:
    """The plain-letter SMS spelling of a message, when this language's catalog has one."""
    return t(message) if t.has_own(message) else None


def _announced(content: Content, language: str, used: str, text: str,
               sms: str) -> tuple[str, str]:
    """A text in another language than the person's says so first, in the person's language."""
    if used == language or used not in content.languages:
        return text, sms
    note = content.translator(language)(texts.FALLBACK_NOTICE,
                                        language=content.languages[used].name)
    return f"{note}\n\n{text}", f"{note}\n{sms}"


def service_line(turn: Turn, service: Service, *, long: bool) -> str:
    """One service as the person reads it (see ``bot.core.content_services``)."""
    return services_line(turn.content, turn.language.code, service, long=long)


# --- shared ----------------------------------------------------------------------------------

def _point(turn: Turn) -> Point | None:
    return turn.content.points.get(turn.contact.point_id or "")


def _not_understood(turn: Turn, ask: object) -> None:
    if ask is ask_menu and listen.sent_voice_note(turn):
        reply = menu_reply(turn.content, turn.language.code, _point(turn))
        if listen.menu_voice(turn, reply, asked=True):  # a voice note: the menu, heard
            turn.say(reply)
            return
    message = texts.TEXT_ONLY if turn.msg.kind == "media" else texts.NOT_UNDERSTOOD
    turn.say_text(turn.t(message))
    ask(turn)  # type: ignore[operator]


STEPS: dict[str, StepDef] = {
    Step.CHOOSE_LANGUAGE: StepDef(ask=ask_language, answer=answer_language),
    Step.CHOOSE_POINT: StepDef(ask=ask_point, answer=answer_point),
    Step.CONFIRM_POINT: StepDef(ask=ask_confirm_point, answer=answer_confirm_point),
    Step.MENU: StepDef(ask=ask_menu, answer=answer_menu),
}

CONVERSATION = Conversation(NAME, STEPS)
