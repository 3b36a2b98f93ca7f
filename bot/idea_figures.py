"""Idea-box figures for the dashboard's indicators (``bot.indicators.FIGURE_PROVIDERS``).

Counts only: sensitive feedback lives in another table and is never counted here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.digest import idea_senders
from bot.idea_models import Idea
from bot.indicators import Count


def figures(session: Session, first: datetime, after: datetime) -> list[Count]:
    """Ideas received in [first, after) and the people who sent them."""
    ideas = session.scalar(select(func.count()).select_from(Idea).where(
        Idea.created_at >= first, Idea.created_at < after)) or 0
    return [Count("ideas", "Ideas", ideas),
            Count("idea_senders", "Idea senders", idea_senders(session, first, after))]
