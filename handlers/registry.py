"""The conversations Hanya runs, wired into one engine."""

from __future__ import annotations

from bot.engine import Engine
from handlers import info_point


def build_engine() -> Engine:
    conversations = {info_point.NAME: info_point.CONVERSATION}
    return Engine(
        conversations,
        home=info_point.place(info_point.Step.MENU),
        language=info_point.place(info_point.Step.CHOOSE_LANGUAGE),
        point=info_point.place(info_point.Step.CHOOSE_POINT),
        onboarding=info_point.place(info_point.Step.CHOOSE_LANGUAGE),
    )
