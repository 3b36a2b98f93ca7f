"""Shape neutral replies for a channel: buttons and 4096-character messages for chat apps
(numbered menus for a chat app without buttons), numbered menus within a segment budget (and
MORE pages) for SMS."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.core import texts
from bot.core.channel_registry import ChannelTraits
from bot.core.i18n import Language, Translator
from bot.core.messages import Outgoing, Reply
from bot.core.sms_encoding import paginate, sms_cost

VOICE_CAPTION = 1024  # Telegram's caption limit (sendVoice), in UTF-16 code units


@dataclass
class Rendered:
    messages: list[Outgoing]
    more: list[str] = field(default_factory=list)  # SMS pages kept for MORE


def render(replies: list[Reply], traits: ChannelTraits, language: Language,
           t: Translator) -> Rendered:
    """Turn one turn's replies into provider messages for ``traits``'s channel."""
    if not replies:
        return Rendered([])
    if traits.max_segments is not None:
        return _render_sms(replies, traits.max_segments, language, t)
    return Rendered([m for reply in replies
                     for m in _render_chat(reply, traits, t, language.code)])


def _render_chat(reply: Reply, traits: ChannelTraits, t: Translator,
                 language: str | None = None) -> list[Outgoing]:
    text = reply.text
    if reply.options and reply.numbered_hint and not traits.buttons:  # WhatsApp: numbers
        lines = [f"{i} {o.label}" for i, o in enumerate(reply.options, 1)]
        text = "\n".join([text, *lines, t(texts.SMS_MENU_HINT)])
    if reply.extra_buttons and reply.first_extra and not traits.buttons:  # "10 Listen"
        lines = [f"{i} {o.label}" for i, o in enumerate(reply.extra_buttons, reply.first_extra)]
        text = "\n\n".join([text.rstrip(), "\n".join(lines)])
    chunks = split_text(text, traits.max_text)
    buttons = None
    if reply.options and traits.buttons:
        buttons = [[{"text": o.label, "data": o.key}] for o in reply.options]
    if reply.sos_button and traits.buttons:
        buttons = (buttons or []) + [[{"text": "SOS", "data": "cmd:sos"}]]
    if reply.extra_buttons and traits.buttons:
        buttons = (buttons or []) + [[{"text": o.label, "data": o.key}]
                                     for o in reply.extra_buttons]
    if reply.menu_button and traits.buttons:
        buttons = (buttons or []) + [[{"text": t(texts.BACK_TO_MENU), "data": "nav:menu"}]]
    messages = [Outgoing(text=chunk) for chunk in chunks[:-1]]
    # The main menu in one message: a channel may send it as an interactive template.
    menu = reply.template == "menu" and bool(reply.options) and not traits.buttons and len(
        chunks) == 1
    messages.append(Outgoing(
        text=chunks[-1], buttons=buttons, menu_title=reply.text if menu else None,
        menu_options=[o.label for o in reply.options] if menu else None,
        language=language if menu else None))
    if reply.voice and traits.voice:
        path, digest = reply.voice
        caption = len(text.encode("utf-16-le")) // 2 <= min(VOICE_CAPTION, traits.voice_caption)
        if len(messages) == 1 and caption:  # the text as its caption, buttons under it
            messages = [replace(messages[0], voice_path=path, voice_digest=digest)]
        else:  # too long for a caption: the voice note, then the text just after
            messages.insert(0, Outgoing(text="", voice_path=path, voice_digest=digest))
    if reply.request_location and traits.location:
        messages.append(Outgoing(text=t(texts.SHARE_LOCATION_HINT),
                                 location_button=t(texts.SHARE_LOCATION_BUTTON)))
    return messages


def split_text(text: str, limit: int) -> list[str]:
    """Cut text under ``limit`` characters, at paragraph, line or word boundaries."""
    text = text.strip() or "…"
    chunks: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit))
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    chunks.append(text)
    return chunks


def _render_sms(replies: list[Reply], max_segments: int, language: Language,
                t: Translator) -> Rendered:
    if all(reply.preformatted for reply in replies):  # MORE pages, already shaped
        return Rendered([Outgoing(text="\n\n".join(r.text for r in replies))])
    parts: list[str] = []
    for reply in replies:
        body = reply.sms_text or reply.text
        if reply.options and reply.numbered_hint:
            lines = [f"{i} {o.sms_label or o.label}" for i, o in enumerate(reply.options, 1)]
            body = "\n".join([body, *lines, t(texts.SMS_MENU_HINT)])
        parts.append(body.strip())
    def shaped(text: str) -> str:
        return language.sms_spelling(text)

    def fits(text: str) -> bool:
        return sms_cost(text).segments <= max_segments

    more_hint = shaped(t(texts.SMS_MORE_HINT))
    *earlier, last = [shaped(part) for part in parts]
    text = "\n\n".join([*earlier, last])
    if fits(text) or not earlier:
        pages = paginate(text, max_segments, more_hint)
        return Rendered([Outgoing(text=pages[0])], more=pages[1:])
    # Together they would not fit: a notice must not push the menu that ends the turn behind
    # MORE (a reply the person must send), so each earlier reply goes as its own SMS (or SMS,
    # when it is longer than the budget: sent at once, "..." marking that one follows).
    sent = [page for part in earlier for page in paginate(part, max_segments, "...")]
    pages = paginate(last, max_segments, more_hint)
    return Rendered([*(Outgoing(text=page) for page in sent), Outgoing(text=pages[0])],
                    more=pages[1:])
