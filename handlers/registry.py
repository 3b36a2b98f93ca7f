"""The conversations Hanya runs, wired into one engine."""

from __future__ import annotations

from bot.core.engine import Command, Conversation, Engine
from handlers import committee, fallback, idea, info_point, report, report_form, sos

# One line per conversation module: its name and its table of steps.
CONVERSATIONS: dict[str, Conversation] = {
    info_point.NAME: info_point.CONVERSATION,
    idea.NAME: idea.CONVERSATION,
    report_form.NAME: report_form.CONVERSATION,
}

# One line per leading keyword (content/keywords.yaml key) handled as a one-shot command.
COMMANDS: dict[str, Command] = {
    idea.KEYWORD: idea.COMMAND,
    "join": committee.JOIN,  # watch committees (handlers/committee.py, report.py, sos.py)
    "report": report.REPORT,
    "nothing_to_report": report.NOTHING_TO_REPORT,
    "cancel": report.CANCEL,
    "sos": sos.SOS,
    fallback.KEYWORD: fallback.FALLBACK,  # the language read when a text is missing in one's own
}


def build_engine() -> Engine:
    conversations = dict(CONVERSATIONS)
    return Engine(
        conversations,
        home=info_point.place(info_point.Step.MENU),
        language=info_point.place(info_point.Step.CHOOSE_LANGUAGE),
        point=info_point.place(info_point.Step.CHOOSE_POINT),
        onboarding=info_point.place(info_point.Step.CHOOSE_LANGUAGE),
        commands=dict(COMMANDS),
    )
