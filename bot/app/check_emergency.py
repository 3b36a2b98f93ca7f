"""The emergency-first rule of ``hanya content check``: in every language, the first SMS of the
Emergency topic and of the SOS reply carries every national number (police, ambulance, fire,
Alarme Phone Sahara), not a MORE away.

The replies are built by the handlers' own functions and cut into SMS pages as the renderer
does, so the check reads exactly what a person would receive.
"""

from __future__ import annotations

from pathlib import Path

from bot.core import texts
from bot.core.channel_registry import ChannelTraits
from bot.core.content import Content
from bot.core.content_services import emergency_services
from bot.core.messages import Reply
from bot.core.render import render
from bot.core.sms_encoding import paginate
from bot.features.editor.check_tree import Tree
from handlers.info_point import emergency_reply, menu_reply, points_reply
from handlers.sos_reply import sos_reply

__all__ = ["CHECKS", "check_emergency_first", "check_menus_fit", "first_sms"]


def first_sms(content: Content, language: str, reply: Reply, max_segments: int) -> str:
    """The first SMS page of ``reply`` in ``language``, as ``bot.core.render`` cuts it."""
    lang = content.languages[language]
    text, hint = (reply.sms_text or reply.text).strip(), content.translator(language)(
        texts.SMS_MORE_HINT)
    text, hint = lang.sms_spelling(text), lang.sms_spelling(hint)
    return paginate(text, max_segments, hint)[0]


def check_menus_fit(tree: Tree, content: Content) -> None:
    """The place list and the main menu fit one SMS page in every language: a menu cut behind
    MORE costs the person a reply before any real content (3 replies at most)."""
    traits = ChannelTraits("sms", buttons=False, location=False, max_segments=tree.max_segments)
    longest = max(content.points_in_order(), key=lambda p: len(p.name), default=None)
    for code, language in content.languages.items():
        for what, reply in (("the place list", points_reply(content, code)),
                            ("the main menu", menu_reply(content, code, longest))):
            if render([reply], traits, language, content.translator(code)).more:
                tree.add("error", tree.content_dir / code / "topics.yaml", None,
                         f"{what} does not fit {tree.max_segments} SMS: the person must reply "
                         "MORE before reaching any content (shorten titles, or give an "
                         "sms_title without letters outside GSM-7)", code)


def check_emergency_first(tree: Tree, content: Content) -> None:
    numbers = [s.phone for s in content.national_services() if s.phone]
    # Without a place, with the longest place name, and at each place with numbers of its own:
    # the only things that change the SMS.
    longest = max(content.points.values(), key=lambda p: len(p.name), default=None)
    points = [None, *(p for p in content.points.values()
                      if p is longest or emergency_services(content, p.id)
                      != emergency_services(content, None))]
    for code in content.languages:
        replies = {"the Emergency topic": emergency_reply(content, code, None)}
        for point in points:  # with and without a place: the notes after the numbers differ
            where = f" at {point.id}" if point else ""
            replies[f"the SOS reply{where}"] = sos_reply(content, code, point, told=True)
            if point:
                replies[f"the Emergency topic{where}"] = emergency_reply(content, code, point.id)
        for what, reply in replies.items():
            first = first_sms(content, code, reply, tree.max_segments)
            tag = content.translator(code)(texts.NOT_VERIFIED)
            unchecked = any(not s.verified_on for s in content.national_services() if s.phone)
            missing = [n for n in numbers if n not in first]
            missing += [f"the {tag!r} tag"] if unchecked and tag not in first else []
            if missing:
                tree.add("error", Path(tree.content_dir / code / "topics.yaml"), None,
                         f"{what}: the first SMS lacks {', '.join(missing)}; the emergency "
                         "numbers must come before anything that pushes them behind MORE", code)
                break  # one finding per language is enough to act on


# The content check's steps that build replies with the conversations' own functions: the app
# hands them to ``check_content`` (the editor's tools sit below the conversations).
CHECKS = (check_emergency_first, check_menus_fit)
