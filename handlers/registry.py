"""The conversations Hanya runs, wired into one engine."""

from __future__ import annotations

from bot.engine import Command, Conversation, Engine
from handlers import info_point

# One line per conversation module: its name and its table of steps.
CONVERSATIONS: dict[str, Conversation] = {
    info_point.NAME: info_point.CONVERSATION,
}

# One line per leading keyword (content/keywords.yaml key) handled as a one-shot command.
COMMANDS: dict[str, Command] = {}


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
